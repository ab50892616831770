"""output.fit applies to pinned images too: a square pin on a 16:9 board fills it with crop, is pillarboxed with pad."""

from __future__ import annotations

import numpy as np
from PIL import Image

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


def test_crop_fills_the_frame_and_pad_letterboxes(write_board, cli, tmp_path):
    crop = _build(write_board, cli, tmp_path, "crop")
    pad = _build(write_board, cli, tmp_path, "pad")
    for frame in (crop[0], crop[-1]):
        assert frame[:, :20].mean() > 120 and frame[:, -20:].mean() > 120  # the square's colour to the edges
    for frame in (pad[0], pad[-1]):
        assert frame[:, :20].mean() < 20 and frame[:, -20:].mean() < 20  # black pillars
        assert frame[:, 70:90].mean() > 120
