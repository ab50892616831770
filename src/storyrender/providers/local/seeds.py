"""Deterministic choices from text: hashes, seeded generators and a prompt's content words."""

from __future__ import annotations

import hashlib
import re

import numpy as np


def digest(*parts: object) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.digest()


def seeded_rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(digest(*parts)[:8], "big"))


def seeded_unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from *parts*."""
    return int.from_bytes(digest(*parts)[:6], "big") / float(1 << 48)


STOP_WORDS = set(
    "a an the and or but of to in on at by for with from into onto over under up down out off as is are was "
    "were be been being it its this that these those there here then than so very just his her their our your "
    "my we you they he she him them us i me not no yes all some any each every through across toward towards "
    "while when where who whom which what how slowly quickly finally again still".split()
)


def content_words(prompt: str) -> list[str]:
    """Content words of *prompt* (lower case, in order, without duplicates)."""
    seen: list[str] = []
    for w in re.findall(r"[^\W\d_]+", prompt.lower()):
        if len(w) < 3 or w in STOP_WORDS or w in seen:
            continue
        seen.append(w)
    return seen


