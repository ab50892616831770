"""The files a run read to make its result (storyboards and templates, pinned images, references,
music), each with the size and mtime it had when read, and the folders whose listing chose a file
(where a template name was looked up).

Readers note what they read here; :mod:`storyrender.uptodate` keeps the list with a no-op build's
result, so the next identical build can tell, by a ``stat`` of each, that nothing it read has changed.
"""

from __future__ import annotations

import hashlib
import os
import threading

__all__ = ["note_file", "note_dir", "files", "texts", "dirs", "forget"]

_files: dict[str, tuple[int, int]] = {}
_texts: dict[str, str] = {}
_dirs: set[str] = set()
_lock = threading.Lock()


def note_file(path: str | os.PathLike, st: os.stat_result | None = None, *, content: bytes | None = None) -> None:
    """*path* was read (*st*: its stat when read, if the reader has it; *content*: the bytes read, for a
    small text such as a storyboard, whose digest is then kept too: an edit that keeps the size and
    lands in the same clock tick still shows)."""
    try:
        st = st or os.stat(path)
    except (OSError, ValueError):
        return
    with _lock:
        _files[os.path.abspath(path)] = (st.st_size, st.st_mtime_ns)
        if content is not None:
            _texts[os.path.abspath(path)] = hashlib.sha256(content).hexdigest()


def note_dir(path: str | os.PathLike) -> None:
    """*path*'s listing was searched (a file appearing or vanishing there could change the result)."""
    with _lock:
        _dirs.add(os.path.abspath(path))


def files() -> dict[str, tuple[int, int]]:
    """Every file read since :func:`forget`: absolute path -> (size, mtime_ns)."""
    with _lock:
        return dict(_files)


def texts() -> dict[str, str]:
    """The sha256 of every small text read whole (see :func:`note_file`)."""
    with _lock:
        return dict(_texts)


def dirs() -> list[str]:
    with _lock:
        return sorted(_dirs)


def forget() -> None:
    """Start a new run's list (a process may run several builds)."""
    with _lock:
        _files.clear()
        _texts.clear()
        _dirs.clear()
