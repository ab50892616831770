"""A pinned end card on the last beat is the video's last frame, clean."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyrender.media.probe import read_frames


def _card(path):
    img = Image.new("RGB", (160, 90), (20, 30, 120))
    d = ImageDraw.Draw(img)
    d.rectangle([40, 20, 120, 70], fill=(240, 220, 40))
    d.text((50, 40), "THE END", fill=(0, 0, 0))
    img.save(path)
    return np.asarray(img, dtype=np.float32)


@pytest.mark.slow
def test_last_frame_is_the_pinned_end_image(write_board, cli, tmp_path):
    card = _card(tmp_path / "end.png")
    board = write_board("""\
        version: 1
        output: {size: 160x90, fps: 8, formats: [mp4]}
        seconds: 1
        beats:
          - {prompt: a busy street at noon, camera: pan-right}
          - {prompt: the street at night, end_image: end.png}
        """)
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    frames = [f.astype(np.float32) for f in read_frames(tmp_path / "out" / "board.mp4")]
    assert len(frames) == 16
    last = float(np.abs(frames[-1] - card).mean())
    before = float(np.abs(frames[-2] - card).mean())
    assert last < 4, last  # the card itself, codec noise aside
    assert before > last + 2  # the frame before is still on its way there
