"""`storyrender build` end to end on Luma (a fake Luma API, an S3 emulator lending the frames), and a
build killed with kill -9 that resumes its generation instead of paying for another."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from luma_fakes import KEY

from storyrender.api import open_store, prepare
from storyrender.media.probe import probe, read_frame
from storyrender.testing import kill_build_when, png_bytes, tiny_mp4

pytestmark = pytest.mark.slow

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 5
providers:
  image: {use: luma/photon-1, options: {poll_interval: 0.01}}
  keyframe: local
  video: {use: luma/ray-2, options: {poll_interval: 0.01}}
beats:
  - {prompt: A cat steps into a forest}
"""


@pytest.fixture
def served(fake, bucket, tmp_path_factory):
    clip = tiny_mp4(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=41, fps=8, width=160, height=90)
    fake.files = {"clip.mp4": clip.read_bytes(), "image.png": png_bytes(160, 90, (40, 160, 60))}
    return fake


def env() -> dict:
    e = dict(os.environ, LUMAAI_API_KEY=KEY, NO_PROXY="127.0.0.1,localhost")
    e.pop("STORYRENDER_CACHE", None)
    return e


def build(cwd):
    return subprocess.run([sys.executable, "-m", "storyrender", "build", "board.yaml"], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=300)


def test_build_with_luma_image_and_video(served, tmp_path):
    (tmp_path / "board.yaml").write_text(BOARD, "utf-8")
    res = build(tmp_path)
    assert res.returncode == 0, res.stderr
    assert KEY not in res.stdout + res.stderr
    assert [c["path"] for c in served.creates] == ["/generations/image", "/generations/video"]
    video = served.creates[1]["json"]
    assert video["duration"] == "5s" and video["resolution"] == "720p" and set(video["keyframes"]) == {"frame0",
                                                                                                      "frame1"}
    # the first frame Luma fetches is the Photon keyframe the fake drew (green)
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(httpx.get(video["keyframes"]["frame0"]["url"]).content)) as first_frame:
        assert first_frame.size == (160, 90) and first_frame.getpixel((10, 10)) == (40, 160, 60)
    out = tmp_path / "out" / "board.mp4"
    info = probe(out)
    assert (info.width, info.height) == (160, 90) and 4.8 <= info.duration <= 5.3
    first, last = read_frame(out, 1), read_frame(out, info.frames - 2)
    assert first[..., 2].mean() > first[..., 0].mean() + 100  # the vendor's blue-to-red ramp plays
    assert last[..., 0].mean() > last[..., 2].mean() + 100
    assert not info.has_audio or (info.audio_duration and abs(info.audio_duration - info.duration) < 0.2)
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text("utf-8"))
    seg = next(n for n in manifest["nodes"] if n["provider"] == "luma" and n["kind"] == "segment")
    assert seg["info"]["job_id"] == "gen-2" and KEY not in json.dumps(manifest)
    assert build(tmp_path).returncode == 0 and len(served.creates) == 2  # cached: nothing new is paid


def test_kill_9_while_polling_then_rerun_resumes_the_generation(served, tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(BOARD.replace("image: {use: luma/photon-1, options: {poll_interval: 0.01}}", "image: local"),
                     "utf-8")
    served.hold = True
    kill_build_when(board, lambda: served.creates and "gen-1" in served.polled, env=env())
    assert len(served.creates) == 1
    prepared = prepare(board)
    key = next(n.key for n in prepared.graph if n.provider == "luma")
    with open_store(prepared.board, None) as store:
        job = store.get_job(key)
    assert job and job["job_id"] == "gen-1" and job["provider"] == "luma"
    served.hold = False
    res = build(tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(served.creates) == 1  # resumed, not submitted again
    assert probe(tmp_path / "out" / "board.mp4").duration > 4.8
