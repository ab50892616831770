"""The request contract for getimg, through real builds against the fake getimg v2 API.

Takes, camera hints, call-only options, unknown options, and the submission rules: a failed
download does not generate again, a killed build resumes its video generation, and a POST whose
answer timed out is not repeated (images are synchronous, videos are hosted jobs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from getimg_fakes import KEY

from storyrender.api import build, manifest_path, open_store, prepare
from storyrender.testing import kill_build_when
from storyrender.testing import png_bytes, tiny_mp4

IMAGES = "/v2/images/generations"
VIDEOS = "/v2/videos/generations"

BOARD = """\
version: 1
output: {{size: 160x90, fps: 8}}
seconds: 1
providers:
  image: {image}
  keyframe: {keyframe}
  video: {video}
beats:
  - {{id: a, prompt: a cat in a forest, seed: 5{beat_extra}}}
"""


def getimg(model: str, extra: str = "") -> str:
    return f'{{use: getimg/{model}, options: {{poll_interval: 0.01{extra}}}}}'


def image(extra: str = "") -> str:
    return getimg("seedream-5-lite", extra)


def video(extra: str = "") -> str:
    return getimg("seedance-v1-pro", extra)


@pytest.fixture(scope="module")
def clip_1s(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return tiny_mp4(path, frames=9, fps=8, width=160, height=90).read_bytes()


@pytest.fixture
def served(fake, clip_1s):
    fake.files = {"image.png": png_bytes(160, 90, (20, 90, 30)), "clip.mp4": clip_1s}
    fake.script = ["pending", "processing"]
    return fake


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.delenv("STORYRENDER_CACHE", raising=False)
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")


def write(path: Path, *, image: str = "local", keyframe: str = "local", video: str = "local",
          beat_extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BOARD.format(image=image, keyframe=keyframe, video=video, beat_extra=beat_extra), "utf-8")
    return path


def make(path: Path):
    prepared = prepare(path)
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2), prepared


def cli_env() -> dict:
    env = dict(os.environ, GETIMG_API_KEY=KEY, NO_PROXY="127.0.0.1,localhost")
    for var in ("STORYRENDER_CACHE", "GETIMG_AI_CUSTOM_HEADERS"):  # GETIMG_AI_BASE_URL: the fake
        env.pop(var, None)
    return env


def node(report, role: str):
    return next(n for n in report.nodes if n.role == role)


def segment(report):
    return next(n for n in report.nodes if n.kind == "segment")


# -- a. takes ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_take_2_is_a_new_request_and_the_same_take_the_same_request(served, tmp_path):
    path = write(tmp_path / "one" / "board.yaml", video=video())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    first_key = segment(report).key
    assert len(served.bodies(VIDEOS)) == 1

    write(path, video=video(), beat_extra=", take: 2")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert segment(report).key != first_key
    take1, take2 = served.bodies(VIDEOS)
    # the v2 API takes no seed: take 2 is a second request at getimg with the same fields
    assert "seed" not in take1 and take1 == take2

    before = len(served.creates)
    report, _ = make(path)  # the same take again: cached, nothing sent
    assert len(served.creates) == before and report.totals()["rendered"] == 0

    other = write(tmp_path / "two" / "board.yaml", video=video(), beat_extra=", take: 2")
    report, _ = make(other)  # the same take on a fresh cache: the same key and the same request
    assert report.status == "ok", report.failures
    assert served.bodies(VIDEOS)[2] == take2


# -- b. camera -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_camera_edit_changes_keyframe_1_and_the_segment_and_not_keyframe_0(served, tmp_path):
    path = write(tmp_path / "board.yaml", image=image(), keyframe=image(), video=video())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert [len(served.bodies(IMAGES)), len(served.bodies(VIDEOS))] == [2, 1]
    old = {n.role: n.key for n in report.nodes}

    write(path, image=image(), keyframe=image(), video=video(),
          beat_extra=", camera: slow push-in")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    # keyframe 0 is drawn, not moved: getimg does not read its camera, so nothing is sent for it
    k0 = node(report, "keyframe:0")
    assert k0.status == "cached" and k0.key == old["keyframe:0"]
    new_images = served.bodies(IMAGES)[2:]
    assert len(new_images) == 1 and "images" in new_images[0]  # keyframe 1 only
    assert new_images[0]["prompt"].endswith("a cat in a forest. Camera: slow push-in.")
    assert node(report, "keyframe:a").key != old["keyframe:a"]
    # the segment reads it too
    assert len(served.bodies(VIDEOS)) == 2
    assert served.bodies(VIDEOS)[1]["prompt"] == "a cat in a forest. Camera: slow push-in."
    assert segment(report).key != old[segment(report).role]


@pytest.mark.slow
def test_camera_edit_sends_nothing_when_getimg_draws_only_keyframe_0(served, tmp_path):
    path = write(tmp_path / "board.yaml", image=image())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    sent = len(served.server.log)
    write(path, image=image(), beat_extra=", camera: slow push-in")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert len(served.server.log) == sent  # zero requests at the fake
    assert node(report, "keyframe:0").status == "cached"


# -- c. call-only options --------------------------------------------------------------------------


def test_call_only_option_edits_render_nothing(served, tmp_path):
    path = write(tmp_path / "board.yaml", image=image(), keyframe=image(), video=video())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    sent = len(served.server.log)

    extra = ", timeout: 600, read_timeout: 30, durations: [1, 2]"
    write(path, image=image(extra), keyframe=image(extra), video=video(extra))
    path.write_text(path.read_text().replace("poll_interval: 0.01", "poll_interval: 0.02"))
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert len(served.server.log) == sent  # zero requests at the fake
    totals = report.totals()
    assert totals["rendered"] == 0 and totals["cached"] == totals["nodes"]


# -- d. unknown options --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("option,suggestion", [("qualty: high", None), ("read_timout: 5", "read_timeout"),
                                               ("poll_intervall: 1", "poll_interval"),
                                               ("max_retries: 2", None)])
def test_unknown_option_is_refused_with_line_and_suggestion(served, tmp_path, option, suggestion):
    path = write(tmp_path / "board.yaml", video=video())
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  video:"))
    lines[at:at + 1] = ["  video:", "    use: getimg/seedance-v1-pro", "    options:",
                        f"      {option}"]
    path.write_text("\n".join(lines) + "\n")
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.strip() == option)
    res = subprocess.run([sys.executable, "-m", "storyrender", "validate", path.name], cwd=tmp_path, env=cli_env(),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    name = option.split(":")[0]
    assert f"board.yaml:{line}" in res.stderr and repr(name) in res.stderr
    assert "Traceback" not in res.stderr
    if suggestion:
        assert f"Did you mean {suggestion!r}" in res.stderr
    else:
        assert "Did you mean" not in res.stderr and "read_timeout" in res.stderr  # lists what exists
    assert served.server.log == []


# -- e. a download failing once ------------------------------------------------------------------


def test_video_download_failing_once_after_success_submits_once(served, tmp_path):
    served.media_failures = 1
    report, prepared = make(write(tmp_path / "board.yaml", video=video()))
    assert report.status == "ok", report.failures
    assert len(served.bodies(VIDEOS)) == 1  # one submission: the retry resumed vid-1 and downloaded again
    assert served.media_gets == 2
    seg = segment(report)
    assert seg.attempts == 2 and seg.info["job_id"] == "vid-1"
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # collected, then cleared


def test_image_download_failing_once_generates_once(served, tmp_path):
    served.media_failures = 1
    report, _ = make(write(tmp_path / "board.yaml", image=image()))
    assert report.status == "ok", report.failures
    assert len(served.bodies(IMAGES)) == 1 and served.media_gets == 2  # the recorded URL, downloaded again
    k0 = node(report, "keyframe:0")
    assert k0.attempts == 2 and k0.info["job_id"] == "img-1"


# -- f. kill -9 while polling --------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_while_polling_then_rerun_submits_nothing_new(served, tmp_path):
    served.hold = True  # the generation stays pending
    path = write(tmp_path / "board.yaml", video=video())
    kill_build_when(path, lambda: served.creates and "vid-1" in served.polled, env=cli_env())
    assert len(served.creates) == 1

    prepared = prepare(path)
    key = next(n.key for n in prepared.graph if n.provider == "getimg")
    with open_store(prepared.board, None) as store:
        job = store.get_job(key)
    assert job and job["job_id"] == "vid-1" and job["provider"] == "getimg"

    served.hold = False  # getimg finishes the generation meanwhile
    res = subprocess.run([sys.executable, "-m", "storyrender", "build", "-q", path.name], cwd=tmp_path,
                         env=cli_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(served.creates) == 1  # resumed, not submitted again
    assert (tmp_path / "out" / "board.mp4").exists()
    manifest = json.loads(manifest_path(prepared.board).read_text("utf-8"))
    row = next(n for n in manifest["nodes"] if n["provider"] == "getimg")
    assert row["status"] == "rendered" and row["info"]["job_id"] == "vid-1"
    with open_store(prepared.board, None) as store:
        assert store.get_job(key) is None


# -- g. a submission whose answer timed out --------------------------------------------------------


@pytest.mark.slow
def test_video_create_answer_timing_out_is_not_submitted_again(served, tmp_path):
    served.create_delay = 1.5  # the generation exists; the answer comes after the read timeout
    report, prepared = make(write(tmp_path / "board.yaml", video=video(", read_timeout: 0.4")))
    assert report.status == "failed"
    assert len(served.creates) == 1  # the runner did not retry it
    seg = segment(report)
    assert seg.status == "failed"
    assert "did not answer within 0.4 s" in seg.error and "ReadTimeout" in seg.error
    assert "may have accepted" in seg.error and "/v2/billing/costs" in seg.error
    assert "read_timeout option" in seg.error
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # nothing was recorded: no id came back


def test_image_answer_timing_out_is_not_generated_again(served, tmp_path):
    served.create_delay = 1.0
    report, _ = make(write(tmp_path / "board.yaml", image=image(", timeout: 0.3")))
    assert report.status == "failed", [(n.role, n.status, n.error) for n in report.nodes]
    assert len(served.creates) == 1
    k0 = node(report, "keyframe:0")
    assert k0.status == "failed" and "may have accepted" in k0.error and "/v2/billing/costs" in k0.error
