"""`storyrender build` end to end with video from replicate/kwaivgi/kling-v2.1 (a fake Replicate API)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest
from PIL import Image
from replicate_fakes import TOKEN

from storyrender.media.probe import probe
from storyrender.testing import tiny_mp4

pytestmark = pytest.mark.slow

BOARD = """\
version: 1
title: e2e
output: {{size: 160x90, fps: 8}}
seconds: 5
providers:
  image: local
  keyframe: local
  video:
    use: replicate/kwaivgi/kling-v2.1
    options: {{poll_interval: 0.01}}
beats:
  - prompt: A cat steps into a forest
  - prompt: The cat climbs a tree
"""


@pytest.fixture(scope="module")
def clip_5s(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return tiny_mp4(path, frames=41, fps=8, width=160, height=90).read_bytes()


def build(cwd, *args):
    env = dict(os.environ, REPLICATE_API_TOKEN=TOKEN)
    env.pop("STORYRENDER_CACHE", None)
    return subprocess.run([sys.executable, "-m", "storyrender", "build", "board.yaml", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_build_two_beats_with_replicate_video(fake, clip_5s, tmp_path):
    pytest.importorskip("storyrender.cli.main")
    fake.output_name, fake.output_body, fake.output_shape = "clip.mp4", clip_5s, "str"
    (tmp_path / "board.yaml").write_text(textwrap.dedent(BOARD.format()), "utf-8")

    res = build(tmp_path)
    assert res.returncode == 0, res.stderr + res.stdout
    assert TOKEN not in res.stdout + res.stderr

    # two segments, each from its two local keyframes, with the documented parameters
    assert len(fake.creates) == 2
    prompts = []
    for create in fake.creates:
        assert create["path"] == "/v1/models/kwaivgi/kling-v2.1/predictions"
        inp = create["json"]["input"]
        assert inp["duration"] == 5 and inp["mode"] == "pro"
        prompts.append(inp["prompt"])
        first = Image.open(io.BytesIO(fake.upload_for(inp["start_image"])))
        last = Image.open(io.BytesIO(fake.upload_for(inp["end_image"])))
        assert first.format == last.format == "PNG" and first.size == last.size == (160, 90)
        assert fake.upload_for(inp["start_image"]) != fake.upload_for(inp["end_image"])
    assert any("forest" in p for p in prompts) and any("climbs" in p for p in prompts)

    out = tmp_path / "out" / "board.mp4"
    assert out.exists()
    info = probe(out)
    assert (info.width, info.height) == (160, 90)
    assert 9.0 <= info.duration <= 10.5

    manifest_path = tmp_path / "out" / "board.manifest.json"
    text = manifest_path.read_text("utf-8")
    assert TOKEN not in text
    manifest = json.loads(text)
    videos = [n for n in manifest["nodes"] if n["provider"] == "replicate"]
    assert len(videos) == 2
    for node in videos:
        assert node["status"] == "rendered" and node["model"] == "kwaivgi/kling-v2.1"
        assert node["cost_usd"] == pytest.approx(0.45)  # list price: 5 s x $0.09 (Replicate reports none)
        assert node["info"]["job_id"].startswith("pred")
    assert manifest["totals"]["cost_usd"] == pytest.approx(0.9)

    # a second build spends nothing
    res = build(tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(fake.creates) == 2
