"""Loading storyboards: YAML -> templates and vars -> JSON Schema -> frozen :class:`Board`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BoardError, BoardErrors
from .compose import compose
from .board import build_board
from .model import Board, Beat
from .partial import well_formed_part
from .validate import schema_board_errors

__all__ = ["load_board", "check_board", "Checked", "Board", "Beat"]

#: fields whose problems leave the providers' own checks unsafe (they would judge a stand-in)
_RESOLVES_FROM = ("output", "providers", "audio", "mode", "prices")


@dataclass
class Checked:
    """A board's problems, schema and semantic, found in one round."""

    #: the board (on problems: only its well-formed beats; ``None`` when no provider check would be safe)
    board: Board | None
    errors: list[BoardError] = field(default_factory=list)

    def error(self) -> BoardError:
        """The problems as one error."""
        return BoardErrors(self.errors) if len(self.errors) > 1 else self.errors[0]


def load_board(path: str | os.PathLike) -> Board:
    """Load and validate the storyboard at *path*.

    :raises storyrender.errors.BoardError: naming file:line, the field and what to do.
    """
    checked = check_board(path)
    if checked.errors:
        raise checked.error()
    assert checked.board is not None
    return checked.board


def check_board(path: str | os.PathLike) -> Checked:
    """Every problem of the board at *path* in one round: where the schema is broken, the checks
    that need well-formed input still run on the parts that are (a beat with a schema error is left
    out whole). Raises :class:`BoardError` only when the file cannot be read as a board at all."""
    p = Path(path)
    display = str(path)
    data, positions = compose(p, display=display)
    errors = schema_board_errors(data, positions, display)
    skip, touched = frozenset(), frozenset()
    if errors:
        part = well_formed_part(data)
        if part is None:
            return Checked(None, errors)
        data, skip, touched = part
    board = build_board(data, positions, p, display, skip=skip, problems=errors)
    if not errors:
        return Checked(board)
    bad_beats = {int(e.pointer.split("/")[2]) for e in errors if (e.pointer or "").startswith("/beats/")
                 and e.pointer.split("/")[2].isdigit()} | set(skip)
    top = touched | {(e.pointer or "/").split("/")[1] for e in errors if not (e.pointer or "").startswith("/beats/")}
    if top & set(_RESOLVES_FROM):
        return Checked(None, errors)
    beats = tuple(b for b in board.beats if b.index - 1 not in bad_beats)
    return Checked(dataclasses.replace(board, beats=beats), errors)
