"""GIF and WebM have their own settings; by default the GIF follows the board's frame rate."""

from __future__ import annotations

import pytest
from PIL import Image

from storyrender.media.probe import probe
from storyrender.stitch.final import gif_size


def _gif(path):
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return im.size, durations


@pytest.mark.slow
def test_gif_defaults_to_the_board_fps_and_can_be_set(write_board, cli, tmp_path):
    base = """\
        version: 1
        output: {{size: 160x90, fps: 8, formats: [mp4, gif, webm]{extra}}}
        seconds: 1
        beats: [{{prompt: one, camera: pan-right}}, {{prompt: two, camera: pan-left}}]
        """
    write_board(base.format(extra=""), name="plain.yaml")
    write_board(base.format(extra=", gif: {fps: 4, width: 80}, webm: {crf: 50}"), name="set.yaml")
    for name in ("plain", "set"):
        res = cli(["build", f"{name}.yaml"], cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    mp4 = probe(out / "plain.mp4")
    size, durations = _gif(out / "plain.gif")
    assert size == (160, 90)
    assert len(durations) == mp4.frames == 16  # one GIF frame per video frame: none duplicated
    assert abs(sum(durations) - 2000) <= 10 and set(durations) <= {120, 130}  # 8 fps (GIF counts in 1/100 s)
    size, durations = _gif(out / "set.gif")
    assert size == (80, 44) and len(durations) == 8 and set(durations) == {250}
    assert (out / "set.webm").stat().st_size < (out / "plain.webm").stat().st_size


def test_gif_size_keeps_the_aspect_within_the_width_and_both_sides_even():
    assert gif_size(160, 90, 80) == (80, 44)  # 45 rounded down to even
    assert gif_size(1280, 720) == (480, 270)
    assert gif_size(161, 91) == (160, 90)  # odd sizes become even, never wider than the source
    assert gif_size(3, 1000, 480) == (2, 666)
