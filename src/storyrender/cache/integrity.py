"""Is a cached artifact still the file that was recorded? (pure file checks; the store calls them)

Each record keeps its artifact's size, mtime and sha256. :func:`problem` says what is wrong with a
file: missing, a different size, a head that does not match its type (cheap), or, when asked, a
different digest. The store trusts a file that still has the size and mtime it was stored with;
any other it checks here, the digest included when the file is small or a final video. ``storyrender
cache verify`` checks every digest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_of", "problem", "DIGEST_ON_READ", "MISSING"]

#: what :func:`problem` says of a file that is not there
MISSING = "the file is missing"

#: files up to this size get their digest checked on every read (hashing them costs little)
DIGEST_ON_READ = 8 << 20

#: what an artifact of each suffix starts with (offset, allowed bytes)
_HEADS: dict[str, tuple[int, tuple[bytes, ...]]] = {
    ".png": (0, (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": (0, (b"\xff\xd8",)),
    ".mp4": (4, (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")),
    ".m4a": (4, (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")),
    ".wav": (0, (b"RIFF",)),
    ".webm": (0, (b"\x1a\x45\xdf\xa3",)),
    ".gif": (0, (b"GIF87a", b"GIF89a")),
    ".json": (0, (b"{", b"[")),
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def problem(path: Path, *, size: int, sha256: str | None, suffix: str, digest: bool | None = None) -> str | None:
    """What is wrong with the artifact at *path* against its record, or None when it checks out.

    *digest*: True always, False never, None when the file is small (:data:`DIGEST_ON_READ`).
    """
    try:
        actual = path.stat().st_size
    except OSError:
        return MISSING
    if actual != size:
        return f"{actual} bytes, recorded {size}"
    offset, heads = _HEADS.get(suffix, (0, ()))
    if heads:
        with open(path, "rb") as f:
            f.seek(offset)
            head = f.read(max(len(h) for h in heads))
        if not any(head.startswith(h) for h in heads):
            return f"no longer starts like a {suffix} file"
    if sha256 and (digest or (digest is None and size <= DIGEST_ON_READ)):
        if sha256_of(path) != sha256:
            return "its content changed (sha256 differs)"
    return None
