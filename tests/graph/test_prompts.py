"""The prompt a provider receives: the beat's text, its characters, the board's style."""

from __future__ import annotations

from storyrender.graph.build import resolved_prompt
from storyrender.spec import load_board

from ..conftest import TINY


def test_characters_and_style_are_added(write_board):
    board = load_board(write_board(TINY + "style: ink wash\ncharacters:\n  mia: {description: a small orange cat}\n"
                                   "  rex: {description: loyal and old}\n"
                                   "beats:\n  - prompt: Mia meets REX at the gate\n  - prompt: the gate closes\n"))
    first, second = board.beats
    assert resolved_prompt(board, first) == (
        "Mia meets REX at the gate. Mia is a small orange cat. REX: loyal and old. ink wash")
    assert resolved_prompt(board, second) == "the gate closes. ink wash"  # no character named, none added
