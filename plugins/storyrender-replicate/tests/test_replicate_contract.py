"""The request contract for replicate, through real builds against the fake Replicate API.

Takes and seeds, camera hints, call-only options, unknown options, and the hosted-job rules:
a failed download does not submit again, a killed build resumes its prediction, and a create
whose answer timed out is not repeated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from replicate_fakes import TOKEN

from storyrender.api import build, open_store, prepare
from storyrender.testing import kill_build_when
from storyrender.graph.spec import vendor_seed
from storyrender.testing import png_bytes, tiny_mp4

FLUX = "black-forest-labs/flux-schnell"
INTERP = "acme/interp"

BOARD = """\
version: 1
output: {{size: 160x90, fps: 8}}
seconds: 1
providers:
  image: {image}
  keyframe: local
  video:
    use: replicate/acme/interp
    options:
      poll_interval: 0.01
      inputs: {{first_frame: a, last_frame: b, prompt: text, duration: secs, seed: seed}}
      durations: [1]{video_extra}
prices:
  replicate/acme/interp: {{per_second: 0.01}}
beats:
  - {{id: a, prompt: a cat in a forest, seed: 5{beat_extra}}}
"""


def flux(extra: str = "") -> str:
    return f'{{use: replicate/{FLUX}, options: {{poll_interval: 0.01{extra}}}}}'


@pytest.fixture(scope="module")
def clip_1s(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return tiny_mp4(path, frames=9, fps=8, width=160, height=90).read_bytes()


@pytest.fixture
def served(fake, clip_1s):
    fake.model_outputs = {FLUX: ("k0.png", png_bytes(160, 90, (20, 90, 30))), INTERP: ("clip.mp4", clip_1s)}
    fake.script = ["starting", "processing"]
    return fake


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.delenv("STORYRENDER_CACHE", raising=False)
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")


def write(path: Path, fake, *, image: str | None = None, video_extra: str = "", beat_extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BOARD.format(image=image or "local", video_extra=video_extra,
                                 beat_extra=beat_extra), "utf-8")
    return path


def make(path: Path):
    prepared = prepare(path)
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2), prepared


def cli_env() -> dict:
    env = dict(os.environ, REPLICATE_API_TOKEN=TOKEN, NO_PROXY="127.0.0.1,localhost")
    env.pop("STORYRENDER_CACHE", None)
    return env  # REPLICATE_BASE_URL (the fake, set by its fixture) is kept


def segment(report):
    return next(n for n in report.nodes if n.provider == "replicate" and n.kind == "segment")


# -- a. takes ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_take_2_sends_another_seed_and_the_same_take_the_same_request(served, tmp_path):
    path = tmp_path / "one" / "board.yaml"
    write(path, served, image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert [i["seed"] for i in served.inputs(INTERP)] == [5]

    write(path, served, image=flux(), beat_extra=", take: 2")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    seeds = [i["seed"] for i in served.inputs(INTERP)]
    assert seeds == [5, vendor_seed(5, 2)] and seeds[1] != 5
    assert len(served.inputs(FLUX)) == 1  # a take is the segment's: keyframe 0 is kept

    before = len(served.creates)
    report, _ = make(path)  # the same take again: cached, nothing sent
    assert len(served.creates) == before and report.totals()["rendered"] == 0

    # the same take on a fresh cache sends exactly the same request
    other = write(tmp_path / "two" / "board.yaml", served, image=flux(), beat_extra=", take: 2")
    report, _ = make(other)
    assert report.status == "ok", report.failures
    take2, again = served.inputs(INTERP)[1], served.inputs(INTERP)[2]
    for frame in ("a", "b"):  # uploaded again (new file URLs), the same bytes
        assert served.upload_for(take2.pop(frame)) == served.upload_for(again.pop(frame))
    assert take2 == again
    assert served.inputs(FLUX)[0] == served.inputs(FLUX)[1]


# -- b. camera -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_camera_edit_changes_the_segment_and_not_keyframe_0(served, tmp_path):
    path = write(tmp_path / "board.yaml", served, image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert [len(served.inputs(FLUX)), len(served.inputs(INTERP))] == [1, 1]
    assert "Camera" not in served.inputs(INTERP)[0]["text"]
    old = {n.role: n.key for n in report.nodes}

    write(path, served, image=flux(), beat_extra=", camera: slow push-in")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    # keyframe 0 is a still: replicate does not read its camera, so nothing is sent for it
    assert len(served.inputs(FLUX)) == 1
    k0 = next(n for n in report.nodes if n.role == "keyframe:0")
    assert k0.status == "cached" and k0.key == old["keyframe:0"]
    # the segment reads it: a new key, and the prompt carries it
    assert len(served.inputs(INTERP)) == 2
    assert served.inputs(INTERP)[1]["text"] == "a cat in a forest. Camera: slow push-in."
    assert segment(report).key != old[segment(report).role]


# -- c. call-only options --------------------------------------------------------------------------


def test_call_only_option_edits_render_nothing(served, tmp_path):
    path = write(tmp_path / "board.yaml", served, image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    sent = len(served.server.log)

    write(path, served, image=flux(", timeout: 600, read_timeout: 30, wait: 5, file_encoding: base64"),
          video_extra="\n      timeout: 1200\n      read_timeout: 45\n      wait: 10\n      file_encoding: base64")
    text = path.read_text().replace("poll_interval: 0.01", "poll_interval: 0.02")
    path.write_text(text)
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert len(served.server.log) == sent  # zero requests at the fake
    totals = report.totals()
    assert totals["rendered"] == 0 and totals["cached"] == totals["nodes"]


# -- d. unknown options --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("option,suggestion", [("qualty: high", None), ("read_timout: 5", "read_timeout"),
                                               ("poll_intervall: 1", "poll_interval")])
def test_unknown_option_is_refused_with_line_and_suggestion(served, tmp_path, option, suggestion):
    path = write(tmp_path / "board.yaml", served, video_extra=f"\n      {option}")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == option)
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


@pytest.mark.slow
def test_download_failing_once_after_success_submits_once(served, tmp_path):
    served.output_failures = 1
    report, prepared = make(write(tmp_path / "board.yaml", served))
    assert report.status == "ok", report.failures
    assert len(served.creates) == 1  # one submission: the retry resumed pred1 and downloaded again
    assert served.output_gets == 2
    node = segment(report)
    assert node.attempts == 2 and node.info["job_id"] == "pred1"
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # collected, then cleared


# -- f. kill -9 while polling --------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_while_polling_then_rerun_submits_nothing_new(served, tmp_path):
    served.hold = True  # the prediction stays processing
    path = write(tmp_path / "board.yaml", served)
    kill_build_when(path, lambda: served.creates and "pred1" in served.polled, env=cli_env())
    assert len(served.creates) == 1

    prepared = prepare(path)
    key = next(n.key for n in prepared.graph if n.provider == "replicate")
    with open_store(prepared.board, None) as store:
        job = store.get_job(key)
    assert job and job["job_id"] == "pred1" and job["provider"] == "replicate"

    served.hold = False  # Replicate finishes the prediction meanwhile
    res = subprocess.run([sys.executable, "-m", "storyrender", "build", "-q", path.name], cwd=tmp_path,
                         env=cli_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(served.creates) == 1  # resumed, not submitted again
    assert (tmp_path / "out" / "board.mp4").exists()
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text("utf-8"))
    node = next(n for n in manifest["nodes"] if n["provider"] == "replicate")
    assert node["status"] == "rendered" and node["info"]["job_id"] == "pred1"
    with open_store(prepared.board, None) as store:
        assert store.get_job(key) is None


# -- g. a create whose answer timed out ----------------------------------------------------------


@pytest.mark.slow
def test_create_answer_timing_out_is_not_submitted_again(served, tmp_path):
    served.create_delay = 1.5  # the prediction exists; the answer comes after the read timeout
    report, prepared = make(write(tmp_path / "board.yaml", served, video_extra="\n      read_timeout: 0.4"))
    assert report.status == "failed"
    assert len(served.creates) == 1  # the runner did not retry it
    node = segment(report)
    assert node.status == "failed"
    assert "may have been created" in node.error and "ReadTimeout" in node.error
    assert "https://replicate.com/predictions" in node.error
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # nothing was recorded: no id came back
