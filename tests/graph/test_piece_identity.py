"""A stitched piece's identity is its graph node's key: it follows the input clips, the fit and the
burnt-in captions, and nothing else."""

from __future__ import annotations

from storyrender.api import prepare

from ..conftest import TINY

BEATS = "beats:\n  - prompt: one\n  - prompt: two\n    transition: {type: fade, seconds: 0.25}\n"


def _pieces(write_board, text: str) -> dict[str, str]:
    graph = prepare(write_board(text), offline=True).graph
    return {n.role: n.key for n in graph if n.kind == "piece"}


def test_a_piece_key_follows_what_the_piece_shows(write_board):
    base = _pieces(write_board, TINY + BEATS)
    assert sorted(base) == ["body:beat-1", "body:beat-2", "junction:beat-1>beat-2"]
    assert base == _pieces(write_board, TINY + BEATS) and all(len(k) == 64 for k in base.values())
    cropped = _pieces(write_board, TINY.replace("fps: 8}", "fps: 8, fit: crop}") + BEATS)
    assert all(cropped[r] != base[r] for r in base)
    captioned = _pieces(write_board, TINY + "captions: {burn: true}\n" + BEATS.replace("one", "one\n    caption: hi"))
    assert captioned["body:beat-1"] != base["body:beat-1"] and captioned["body:beat-2"] == base["body:beat-2"]
    retaken = _pieces(write_board, TINY + BEATS.replace("two\n", "two\n    take: 2\n"))
    assert retaken["body:beat-1"] == base["body:beat-1"] and retaken["body:beat-2"] != base["body:beat-2"]

