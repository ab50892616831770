"""The request contract for fal, through real builds against the fake fal queue.

Takes and seeds, camera hints, call-only options, unknown options, and the hosted-job rules:
a failed download does not submit again, a killed build resumes its request, a submission whose
answer timed out or was a 5xx is not repeated (by the SDK or the runner), a 429 is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fal_fakes import INGRESS_503

from storyrender.api import build, open_store, prepare
from storyrender.testing import kill_build_when
from storyrender.graph.spec import vendor_seed
from storyrender.testing import png_bytes, tiny_mp4

FLUX = "acme/flux"
INTERP = "acme/interp"

BOARD = """\
version: 1
output: {{size: 160x90, fps: 8}}
seconds: 1
providers:
  image: {image}
  keyframe: local
  video:
    use: fal/acme/interp
    options:
      poll_interval: 0.01
      inputs: {{first_frame: a, last_frame: b, prompt: text, duration: secs, seed: seed}}
      durations: [1]{video_extra}
prices:
  fal/acme/interp: {{per_second: 0.01}}
  fal/acme/flux: {{per_image: 0.001}}
beats:
  - {{id: a, prompt: a cat in a forest, seed: 5{beat_extra}}}
"""


def flux(extra: str = "") -> str:
    return f"{{use: fal/{FLUX}, options: {{poll_interval: 0.01, inputs: {{prompt: prompt, seed: seed}}{extra}}}}}"


@pytest.fixture(scope="module")
def clip_1s(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return tiny_mp4(path, frames=9, fps=8, width=160, height=90).read_bytes()


@pytest.fixture
def served(fake, clip_1s):
    fake.app_outputs = {FLUX: ("k0.png", png_bytes(160, 90, (20, 90, 30))), INTERP: ("clip.mp4", clip_1s)}
    fake.script = ["IN_QUEUE", "IN_PROGRESS"]
    return fake


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.delenv("STORYRENDER_CACHE", raising=False)
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")


def write(path: Path, *, image: str | None = None, video_extra: str = "", beat_extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BOARD.format(image=image or "local", video_extra=video_extra, beat_extra=beat_extra), "utf-8")
    return path


def make(path: Path):
    prepared = prepare(path)
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2), prepared


def cli_env() -> dict:
    # FAL_KEY, SSL_CERT_FILE (the fake's CA), NO_PROXY and FAL_QUEUE_RUN_HOST (the fake) come from
    # the test's environment (conftest, fal_fakes)
    env = dict(os.environ)
    env.pop("STORYRENDER_CACHE", None)
    return env


def segment(report):
    return next(n for n in report.nodes if n.provider == "fal" and n.kind == "segment")


# -- a. takes ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_take_2_sends_another_seed_and_the_same_take_the_same_request(served, tmp_path):
    path = tmp_path / "one" / "board.yaml"
    write(path, image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert [a["seed"] for a in served.args(INTERP)] == [5]

    write(path, image=flux(), beat_extra=", take: 2")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    seeds = [a["seed"] for a in served.args(INTERP)]
    assert seeds == [5, vendor_seed(5, 2)] and seeds[1] != 5
    assert len(served.args(FLUX)) == 1  # a take is the segment's: keyframe 0 is kept

    before = len(served.submits)
    report, _ = make(path)  # the same take again: cached, nothing sent
    assert len(served.submits) == before and report.totals()["rendered"] == 0

    # the same take on a fresh cache sends exactly the same request
    other = write(tmp_path / "two" / "board.yaml", image=flux(), beat_extra=", take: 2")
    report, _ = make(other)
    assert report.status == "ok", report.failures
    assert served.args(INTERP)[1] == served.args(INTERP)[2]
    assert served.args(FLUX)[0] == served.args(FLUX)[1]


# -- b. camera -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_camera_edit_changes_the_segment_and_not_keyframe_0(served, tmp_path):
    path = write(tmp_path / "board.yaml", image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    assert [len(served.args(FLUX)), len(served.args(INTERP))] == [1, 1]
    assert "Camera" not in served.args(INTERP)[0]["text"]
    old = {n.role: n.key for n in report.nodes}

    write(path, image=flux(), beat_extra=", camera: slow push-in")
    report, _ = make(path)
    assert report.status == "ok", report.failures
    # keyframe 0 is a still: fal does not read its camera, so nothing is sent for it
    assert len(served.args(FLUX)) == 1
    k0 = next(n for n in report.nodes if n.role == "keyframe:0")
    assert k0.status == "cached" and k0.key == old["keyframe:0"]
    # the segment reads it: a new key, and the prompt carries it
    assert len(served.args(INTERP)) == 2
    assert served.args(INTERP)[1]["text"] == "a cat in a forest. Camera: slow push-in."
    assert segment(report).key != old[segment(report).role]


# -- c. call-only options --------------------------------------------------------------------------


def test_call_only_option_edits_render_nothing(served, tmp_path):
    path = write(tmp_path / "board.yaml", image=flux())
    report, _ = make(path)
    assert report.status == "ok", report.failures
    sent = len(served.server.log)

    write(path, image=flux(", timeout: 600, read_timeout: 30, upload: cdn"),
          video_extra="\n      timeout: 1200\n      read_timeout: 45\n      upload: cdn")
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
                                               ("poll_retries: 5", None)])
def test_unknown_option_is_refused_with_line_and_suggestion(served, tmp_path, option, suggestion):
    path = write(tmp_path / "board.yaml", video_extra=f"\n      {option}")
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
        assert "read_timeout" in res.stderr  # lists what exists
    if option.startswith("qualty"):
        assert "Did you mean" not in res.stderr
    assert served.server.log == []


# -- e. a download failing once ------------------------------------------------------------------


def test_download_failing_once_after_success_submits_once(served, tmp_path):
    served.media_failures = 1
    report, prepared = make(write(tmp_path / "board.yaml"))
    assert report.status == "ok", report.failures
    assert len(served.submits) == 1  # one submission: the retry resumed req-1 and downloaded again
    assert served.media_gets == 2
    node = segment(report)
    assert node.attempts == 2 and node.info["job_id"] == "req-1"
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # collected, then cleared


# -- f. kill -9 while polling --------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_while_polling_then_rerun_submits_nothing_new(served, tmp_path):
    served.hold = True  # the request stays IN_PROGRESS
    path = write(tmp_path / "board.yaml")
    kill_build_when(path, lambda: served.submits and "req-1" in served.polled, env=cli_env())
    assert len(served.submits) == 1

    prepared = prepare(path)
    key = next(n.key for n in prepared.graph if n.provider == "fal")
    with open_store(prepared.board, None) as store:
        job = store.get_job(key)
    assert job and job["job_id"] == "req-1" and job["provider"] == "fal"

    served.hold = False  # fal finishes the request meanwhile
    res = subprocess.run([sys.executable, "-m", "storyrender", "build", "-q", path.name], cwd=tmp_path,
                         env=cli_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(served.submits) == 1  # resumed, not submitted again
    assert (tmp_path / "out" / "board.mp4").exists()
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text("utf-8"))
    node = next(n for n in manifest["nodes"] if n["provider"] == "fal")
    assert node["status"] == "rendered" and node["info"]["job_id"] == "req-1"
    with open_store(prepared.board, None) as store:
        assert store.get_job(key) is None


# -- g. a submission whose answer timed out ------------------------------------------------------


def test_submission_answer_timing_out_is_not_submitted_again(served, tmp_path):
    served.submit_delay = 1.5  # the request is queued; the answer comes after the read timeout
    report, prepared = make(write(tmp_path / "board.yaml", video_extra="\n      read_timeout: 0.4"))
    assert report.status == "failed"
    assert len(served.submits) == 1  # neither the SDK nor the runner sent it again
    node = segment(report)
    assert node.status == "failed" and node.attempts <= 1
    assert "may have been queued" in node.error and "ReadTimeout" in node.error
    assert "https://fal.ai/dashboard/requests" in node.error
    with open_store(prepared.board, None) as store:
        assert store.jobs() == {}  # nothing was recorded: no id came back


# -- the submission rule for HTTP errors, through the runner ---------------------------------------


@pytest.mark.parametrize("answer", [(503, {"detail": "Service Unavailable"}, {"x-fal-request-id": "r"}),
                                    INGRESS_503], ids=["503", "503-ingress"])
def test_submission_answered_503_once_is_sent_once_and_uncertain(served, tmp_path, answer):
    # 503 is not documented as "not queued": one submission from the plugin's call (the SDK's
    # _maybe_retry_request would repeat an ingress 503), and no runner retry either
    served.submit_errors = [answer]
    report, _ = make(write(tmp_path / "board.yaml"))
    assert report.status == "failed"
    assert len(served.submits) == 1
    node = segment(report)
    assert "may have been queued (HTTP 503" in node.error and "https://fal.ai/dashboard/requests" in node.error


def test_submission_answered_429_once_is_retried_by_the_runner(served, tmp_path):
    served.submit_errors = [(429, {"detail": "Too many requests"}, {"Retry-After": "0"})]
    report, _ = make(write(tmp_path / "board.yaml"))
    assert report.status == "ok", report.failures
    assert len(served.submits) == 2  # the plugin's call sent it once; the runner's retry once more
    assert segment(report).attempts == 2
