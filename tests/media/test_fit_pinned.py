"""output.fit applies to pinned images too: a square pin on a 16:9 board fills it with crop, is pillarboxed with pad."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from storyrender.media.fit import fit_image, flatten
from storyrender.media.probe import read_frames


def _build(write_board, cli, tmp_path, fit: str):
    Image.new("RGB", (120, 120), (230, 200, 40)).save(tmp_path / "square.png")
    write_board(f"""\
        version: 1
        output: {{size: 160x90, fps: 8, fit: {fit}, formats: [mp4]}}
        seconds: 1
        beats:
          - {{prompt: a yellow wall, start_image: square.png, end_image: square.png}}
        """, name=f"{fit}.yaml")
    res = cli(["build", f"{fit}.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return [f.astype(np.float32) for f in read_frames(tmp_path / "out" / f"{fit}.mp4")]


@pytest.mark.slow
def test_crop_fills_the_frame_and_pad_letterboxes(write_board, cli, tmp_path):
    crop = _build(write_board, cli, tmp_path, "crop")
    pad = _build(write_board, cli, tmp_path, "pad")
    for frame in (crop[0], crop[-1]):
        assert frame[:, :20].mean() > 120 and frame[:, -20:].mean() > 120  # the square's colour to the edges
    for frame in (pad[0], pad[-1]):
        assert frame[:, :20].mean() < 20 and frame[:, -20:].mean() < 20  # black pillars
        assert frame[:, 70:90].mean() > 120


def test_fit_image_crops_to_fill_or_pads_with_black_pillars():
    square = Image.new("RGB", (120, 120), (230, 200, 40))
    crop = np.asarray(fit_image(square, 160, 90, "crop"), np.float32)
    pad = np.asarray(fit_image(square, 160, 90, "pad"), np.float32)
    assert crop.shape == pad.shape == (90, 160, 3)
    assert crop[:, :20].mean() > 120 and crop[:, -20:].mean() > 120  # the square's colour to the edges
    assert pad[:, :30].max() == 0 and pad[:, -30:].max() == 0  # the 90 px square centred: pillars 35 px wide
    assert pad[:, 40:120].mean(axis=2).min() > 120  # the square, whole, between them
    assert fit_image(square, 120, 120, "crop") is square  # already the frame's size: untouched
    clear = flatten(Image.new("RGBA", (4, 4), (255, 0, 0, 0)))
    assert clear.mode == "RGB" and clear.getpixel((1, 1)) == (0, 0, 0)  # transparency over black
