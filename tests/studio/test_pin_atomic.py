"""Pin this frame is all or nothing: a rejected pin leaves the board, ``frames/`` and an earlier pin as they were,
and the error names the board (not the copy that was checked)."""

from __future__ import annotations

import pytest
from PIL import Image

from storyrender.errors import BoardError
from storyrender.studio import edits

EXTEND = """\
version: 1
mode: extend   # end images are refused here
output: {size: 160x90, fps: 8}
seconds: 1
beats:
  - {id: one, prompt: a}
  - {id: two, prompt: b}
"""


def _png(path, colour):
    Image.new("RGB", (160, 90), colour).save(path)
    return path


def test_a_rejected_pin_writes_nothing(tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(EXTEND)
    frame = _png(tmp_path / "made.png", (10, 20, 30))
    with pytest.raises(BoardError) as err:
        edits.pin_frame(board, 2, frame, offline=True)
    assert err.value.format().startswith(f"{board}:7:") and "end_image is only for keyframes mode" in err.value.format()
    assert board.read_text() == EXTEND
    assert not (tmp_path / "frames").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.yaml", "made.png"]


def test_a_rejected_pin_restores_the_earlier_pin(tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(EXTEND)
    (tmp_path / "frames").mkdir()
    earlier = _png(tmp_path / "frames" / "two.png", (200, 0, 0)).read_bytes()
    _png(tmp_path / "frames" / "other.png", (0, 200, 0))
    with pytest.raises(BoardError):
        edits.pin_frame(board, 2, _png(tmp_path / "made.png", (10, 20, 30)), offline=True)
    assert (tmp_path / "frames" / "two.png").read_bytes() == earlier
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["other.png", "two.png"]
    assert board.read_text() == EXTEND


def test_an_accepted_pin_is_written(tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(EXTEND.replace("mode: extend   # end images are refused here\n", ""))
    frame = _png(tmp_path / "made.png", (10, 20, 30))
    edits.pin_frame(board, 2, frame, offline=True)
    assert (tmp_path / "frames" / "two.png").read_bytes() == frame.read_bytes()
    assert "{id: two, prompt: b, end_image: frames/two.png}" in board.read_text()
