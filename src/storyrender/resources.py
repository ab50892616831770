"""Where the package's data lives: the JSON Schema and the template library.

In a source checkout (editable install) they are read from the repository's ``schemas/`` and
``storyboards/templates/``; an installed wheel carries copies under ``storyrender/_data/``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

__all__ = ["schema_path", "load_schema", "templates_dir"]

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent.parent


def _find(repo_rel: str, data_rel: str) -> Path:
    packaged = _PKG / "_data" / data_rel
    if packaged.exists():
        return packaged
    return _REPO / repo_rel


def schema_path() -> Path:
    """Path of ``storyboard.schema.json``."""
    return _find("schemas/storyboard.schema.json", "storyboard.schema.json")


@functools.lru_cache(maxsize=1)
def load_schema() -> dict:
    """The storyboard JSON Schema (the one source of truth for validation)."""
    return json.loads(schema_path().read_text("utf-8"))


def templates_dir() -> Path:
    """The template library shipped with storyrender."""
    return _find("storyboards/templates", "templates")
