"""Text layout shared by everything that draws words into pixels (keyframe labels, burned captions)."""

from __future__ import annotations

import re
from typing import Callable

__all__ = ["wrap_text", "find_name"]


def find_name(name: str, text: str) -> re.Match | None:
    """Where *name* appears in *text* as whole words, ignoring case ("sam" is in "Sam's hat", not in "same").

    A name is whole when no letter, digit or underscore touches either end of it.
    """
    if not name.strip():
        return None
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE)


def wrap_text(text: str, measure: Callable[[str], float], max_width: float,
              max_lines: int | None = None) -> list[str]:
    """Greedy word wrap of *text* into lines whose *measure* (a width, e.g. ``font.getlength``) is
    at most *max_width*. Newlines start new paragraphs; a word too wide for a line alone is broken
    where it must be. With *max_lines*, only that many lines are kept and the last one ends in "…".
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            candidate = f"{line} {word}" if line else word
            if measure(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while measure(word) > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
        if max_lines is not None and len(lines) > max_lines:
            break
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and measure(last + "…") > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines
