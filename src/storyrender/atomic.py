"""Writing files so that nobody ever reads half of one.

Every file storyrender writes for a user (videos, sidecars, the manifest, the review page) is
first written to a temporary file beside it, named ``.<name>.<pid>-<random>.part<ext>``, and
then moved into place with ``os.replace``: a reader sees the old file or the new one, never a
mix. A process killed mid-write (even by SIGKILL) can leave such a temporary file behind;
:func:`sweep` removes those whose writing process is gone, and every build sweeps the folders
it writes to.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "write_bytes", "write_text", "copy_file", "sweep", "is_running"]

_PART = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.part(\.[A-Za-z0-9]+)?$")


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside *dest* (its folder is made); when the block ends without an
    error the file replaces *dest*, otherwise it is deleted.

    :param suffix: the temporary file's extension (default *dest*'s), for tools that choose a
        format by it (ffmpeg, Pillow).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    ext = dest.suffix if suffix is None else suffix
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part{ext}")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(dest: str | os.PathLike, data: bytes) -> Path:
    """Write *data* to *dest* atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text(dest: str | os.PathLike, text: str) -> Path:
    """Write *text* (UTF-8) to *dest* atomically."""
    return write_bytes(dest, text.encode("utf-8"))


def copy_file(src: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy *src* to *dest* atomically (a copy: editing *dest* never touches *src*)."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dest)


def sweep(folder: str | os.PathLike) -> int:
    """Remove the temporary files of writers that are no longer running; returns how many."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for entry in entries:
        m = _PART.match(entry.name)
        if m and not is_running(int(m.group(1))):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    return removed


def is_running(pid: int) -> bool:
    """True while process *pid* exists (the writer of a temporary file may still finish it)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
