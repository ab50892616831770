"""Paths written in a board: what text may be a path, and the project a board lives in."""

from __future__ import annotations

import os
from pathlib import Path


#: a path written in a board: at most this many bytes in all, and per name
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255


def path_text_problem(text: str) -> str | None:
    """Why *text* cannot be a path, checked before any system call sees it; None when it can."""
    if "\0" in text:
        return "holds a NUL byte"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "holds a lone surrogate, which is not a character"
    size = len(text.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        return f"is too long ({size} bytes; a path is at most {MAX_PATH_BYTES})"
    longest = max((len(part.encode("utf-8")) for part in text.replace("\\", "/").split("/")), default=0)
    if longest > MAX_NAME_BYTES:
        return f"has a name too long ({longest} bytes; a file name is at most {MAX_NAME_BYTES})"
    return None


def project_root(start: Path) -> Path:
    """The nearest ancestor holding ``.git`` (or ``$STORYRENDER_PROJECT_ROOT``), else *start*."""
    env = os.environ.get("STORYRENDER_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start

