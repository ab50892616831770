"""Loading storyboards: YAML -> templates and vars -> JSON Schema -> frozen :class:`Board`."""

from __future__ import annotations

import os
from pathlib import Path

from .compose import compose
from .board import build_board
from .model import Board, Beat
from .validate import validate_document

__all__ = ["load_board", "Board", "Beat"]


def load_board(path: str | os.PathLike) -> Board:
    """Load and validate the storyboard at *path*.

    :raises storyrender.errors.BoardError: naming file:line, the field and what to do.
    """
    p = Path(path)
    display = str(path)
    data, positions = compose(p, display=display)
    validate_document(data, positions, display)
    return build_board(data, positions, p, display)
