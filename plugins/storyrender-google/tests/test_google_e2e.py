"""End to end: ``storyrender build`` (the real CLI, in a subprocess) renders a 2-beat board with the
google provider (Gemini image model for keyframes, Veo for segments) against a fake Google API on
127.0.0.1, reached through the SDK's own GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from google_fakes import TEST_KEY, GoogleAPI, frame, inline
from storyrender.media.probe import probe
from storyrender.testing import tiny_mp4
from storyrender_google import PRICES

IMAGE_MODEL = "gemini-3.1-flash-image"
VIDEO_MODEL = "veo-3.1-generate-001"

BOARD = f"""\
version: 1
title: Two beats through the google provider
output:
  size: 320x180
  fps: 24
seconds: 4
transition: cut
providers:
  image: google/{IMAGE_MODEL}
  keyframe: google/{IMAGE_MODEL}
  video:
    use: google/{VIDEO_MODEL}
    options: {{poll_interval: 0.01}}
beats:
  - id: arrive
    prompt: A cat steps into a magical forest at dusk
  - id: tree
    prompt: The cat approaches a glowing ancient tree
    camera: push-in
"""


@pytest.fixture(scope="module")
def four_second_clip(tmp_path_factory) -> bytes:
    return tiny_mp4(tmp_path_factory.mktemp("clip") / "veo.mp4", frames=96, fps=24).read_bytes()


@pytest.mark.slow
def test_build_renders_a_two_beat_board_with_gemini_keyframes_and_veo_segments(httpserver, tmp_path,
                                                                               four_second_clip):
    fake = GoogleAPI(httpserver, four_second_clip, finish_after=3)
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "GEMINI_", "STORYRENDER_"))}
    env.update(GOOGLE_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=fake_url(httpserver),
               GOOGLE_VERTEX_BASE_URL=fake_url(httpserver))
    cmd = [sys.executable, "-m", "storyrender", "build", str(board), "--json", "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert report["status"] == "ok"

    # keyframes: 3 generateContent calls (keyframe 0, then one per beat), Gemini API mode
    assert len(fake.images) == 3
    assert all(c.path == f"/v1/models/{IMAGE_MODEL}:generateContent" for c in fake.images)
    assert all(c.headers["x-goog-api-key"] == TEST_KEY for c in fake.images)
    next_kf = [c for c in fake.images if len(c.json["contents"][0]["parts"]) == 2]
    assert len(next_kf) == 2
    assert all(c.json["contents"][0]["parts"][0]["text"].startswith("The same scene 4 seconds later")
               for c in next_kf)
    assert all(c.json["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"} for c in fake.images)

    # segments: 2 predictLongRunning calls in Vertex AI mode, first AND last frame, 4 s, 16:9
    assert len(fake.predicts) == 2
    by_prompt = {}
    for call in fake.predicts:
        assert call.path == f"/v1beta1/publishers/google/models/{VIDEO_MODEL}:predictLongRunning"
        assert call.headers["x-goog-api-key"] == TEST_KEY
        (inst,) = call.json["instances"]
        assert call.json["parameters"]["durationSeconds"] == 4
        assert call.json["parameters"]["aspectRatio"] == "16:9"
        first, last = frame(inst["image"])[1], frame(inst["lastFrame"])[1]
        assert first != last
        by_prompt["tree" if "ancient tree" in inst["prompt"] else "arrive"] = (first, last)
    assert "Camera: push-in." in next(c.json["instances"][0]["prompt"] for c in fake.predicts
                                      if "ancient tree" in c.json["instances"][0]["prompt"])
    # chained: segment 2 starts on the keyframe segment 1 ends on
    assert by_prompt["arrive"][1] == by_prompt["tree"][0]
    # ... which is the image the Gemini fake drew for keyframe 1, fitted to the board
    kf1 = next(c for c in next_kf if "forest at dusk" in c.json["contents"][0]["parts"][0]["text"])
    assert inline(kf1.json["contents"][0]["parts"][1])[1] == by_prompt["arrive"][0]
    assert all(n == 3 for n in fake.ops.values())

    # the video
    out = tmp_path / "out" / "board.mp4"
    assert report["boards"][0]["outputs"]["mp4"] == str(out)
    media = probe(out)
    assert (media.width, media.height) == (320, 180)
    assert media.fps == pytest.approx(24)
    assert media.duration == pytest.approx(8.0, abs=0.1)

    # the manifest: list-price costs per node and in total, and no key anywhere
    manifest_text = (tmp_path / "out" / "board.manifest.json").read_text()
    assert TEST_KEY not in manifest_text
    manifest = json.loads(manifest_text)
    image_price = PRICES["images"][IMAGE_MODEL]["1K"]
    video_price = PRICES["video"]["veo-3.1"]["720p"] * 4
    nodes = [n for n in manifest["nodes"] if n["provider"] == "google"]
    assert sorted(n["cost_usd"] for n in nodes) == pytest.approx([image_price] * 3 + [video_price] * 2)
    assert manifest["totals"]["cost_usd"] == pytest.approx(3 * image_price + 2 * video_price)
    segments = [n for n in nodes if n["kind"] == "segment"]
    assert {n["info"]["operation"] for n in segments} == set(fake.ops)
    assert {n["info"]["job_id"] for n in segments} == set(fake.ops)  # the vendor job id, recorded

    # a second build is fully cached: no call reaches the fake
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert len(fake.images) == 3 and len(fake.predicts) == 2


def test_build_rejects_a_beat_length_veo_cannot_make_before_any_call(httpserver, tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(BOARD.replace("seconds: 4", "seconds: 5"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "STORYRENDER_"))}
    env.update(GOOGLE_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=fake_url(httpserver),
               GOOGLE_VERTEX_BASE_URL=fake_url(httpserver))
    proc = subprocess.run([sys.executable, "-m", "storyrender", "build", str(board), "--cache-dir",
                           str(tmp_path / "cache")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "makes clips of 4, 6, 8 s, not 5 s" in proc.stderr
    assert httpserver.log == []


@pytest.mark.slow
def test_build_without_credentials_names_the_variables(tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "STORYRENDER_"))}
    proc = subprocess.run([sys.executable, "-m", "storyrender", "build", str(board), "--cache-dir",
                           str(tmp_path / "cache")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "GOOGLE_API_KEY" in proc.stderr and "GEMINI_API_KEY" in proc.stderr


def fake_url(server) -> str:
    return server.url_for("/")
