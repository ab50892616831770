"""The provider contract, through whole builds against the fake Google APIs on 127.0.0.1: what is
in a node's key (take, seed, camera), what is not (timeouts, poll intervals), option validation,
and the hosted-job guarantees for Veo (a failed download, ``kill -9`` while polling and a timed-out
submission never pay for a second clip)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from google_fakes import TEST_KEY, GoogleAPI
from storyrender.api import build, open_store, prepare
from storyrender.graph.spec import vendor_seed
from storyrender.plugins.manager import load_registry
from storyrender.testing import tiny_mp4

pytestmark = pytest.mark.slow

IMAGE = "gemini-3.1-flash-image"
VEO = "veo-3.1-generate-001"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """A 4 s, 8 fps, 160x90 MP4: what the fake Veo returns."""
    return tiny_mp4(tmp_path_factory.mktemp("clip") / "veo.mp4", frames=32, fps=8, width=160, height=90).read_bytes()


@pytest.fixture
def api(httpserver, clip) -> GoogleAPI:
    return GoogleAPI(httpserver, clip, finish_after=2, image_size=(320, 180))


@pytest.fixture(autouse=True)
def google_env(monkeypatch, httpserver):
    for var in ("GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_CLOUD_PROJECT",
                "GOOGLE_CLOUD_LOCATION", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_VERTEX_BASE_URL", "STORYRENDER_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", TEST_KEY)
    # the fake is reached through the SDK's own host variables: a board cannot set a host
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", httpserver.url_for("/"))
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", httpserver.url_for("/"))
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    monkeypatch.setenv("STORYRENDER_RETRY_CAP", "0.05")


def board_text(beat: str = "{id: a, prompt: a cat in a forest, seed: 5}", *, image_options: str = "",
               video_options: str = "poll_interval: 0.01") -> str:
    image = f"{{use: google/{IMAGE}, options: {{{image_options}}}}}"
    video = f"{{use: google/{VEO}, options: {{{video_options}}}}}"
    return textwrap.dedent(f"""\
        version: 1
        output: {{size: 160x90, fps: 8}}
        seconds: 4
        transition: cut
        providers:
          image: {image}
          keyframe: {image}
          video: {video}
        beats:
          - {beat}
        """)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.yaml"
    path.write_text(text)
    return path


def make(path: Path):
    prepared = prepare(path, registry=load_registry())
    with open_store(prepared.board, None) as store:
        return build(prepared, store, jobs=2), prepared


def by_role(report) -> dict:
    return {n.role: n for n in report.nodes}


def texts(seen) -> list[str]:
    return [s.json["contents"][0]["parts"][0]["text"] for s in seen]


# -- a. takes ------------------------------------------------------------------------------------


def test_take_2_sends_veo_a_new_seed_and_the_same_take_is_the_same_request(tmp_path, api, httpserver):
    path = write(tmp_path, board_text())
    report, _ = make(path)
    assert report.status == "ok", [n.error for n in report.failures]
    assert [p.json["parameters"]["seed"] for p in api.predicts] == [5]
    assert [s.json["generationConfig"]["seed"] for s in api.images] == [5, 5]  # Gemini gets the seed too

    write(tmp_path, board_text("{id: a, prompt: a cat in a forest, seed: 5, take: 2}"))
    report, _ = make(path)
    assert report.status == "ok"
    assert len(api.predicts) == 2 and len(api.images) == 2  # only the segment is a new request
    assert api.predicts[1].json["parameters"]["seed"] == vendor_seed(5, 2) != 5
    assert by_role(report)["segment:a"].status == "rendered"

    report, _ = make(path)  # take 2 again: the same request, from the cache
    assert len(api.predicts) == 2 and len(api.images) == 2
    assert all(n.status == "cached" for n in report.nodes)


# -- b. camera -----------------------------------------------------------------------------------


def test_a_camera_edit_reaches_both_keyframes_and_the_segment(tmp_path, api, httpserver):
    path = write(tmp_path, board_text())
    first, _ = make(path)
    assert not any("Camera:" in t for t in texts(api.images))
    assert "Camera:" not in api.predicts[0].json["instances"][0]["prompt"]

    write(tmp_path, board_text("{id: a, prompt: a cat in a forest, seed: 5, camera: slow push-in}"))
    second, _ = make(path)
    assert second.status == "ok"
    before, after = by_role(first), by_role(second)
    for role in ("keyframe:0", "keyframe:a", "segment:a"):
        assert after[role].key != before[role].key and after[role].status == "rendered", role
    new_images = texts(api.images[2:])
    assert len(new_images) == 2 and all("Camera: slow push-in." in t for t in new_images)
    assert len(api.predicts) == 2
    assert api.predicts[1].json["instances"][0]["prompt"] == "a cat in a forest. Camera: slow push-in."


def test_reference_images_reach_the_keyframes_but_not_veo(provider):
    from storyrender.providers.base import Job

    assert "references" in provider.reads_for(Job.TEXT_TO_IMAGE)
    assert "references" in provider.reads_for(Job.NEXT_KEYFRAME)
    assert "references" not in provider.reads_for(Job.FIRST_LAST_VIDEO)
    assert "camera" in provider.reads_for(Job.FIRST_LAST_VIDEO) and "seed" in provider.reads_for(Job.FIRST_FRAME_VIDEO)
    assert "fps" not in provider.reads_for(Job.FIRST_LAST_VIDEO)  # Veo 3.1 makes 24 fps: not sent, not keyed


# -- c. call-only options ----------------------------------------------------------------------


@pytest.mark.parametrize("image_options, video_options", [
    ("http_timeout: 45", "poll_interval: 0.01"),
    ("", "poll_interval: 0.02"),
    ("", "poll_interval: 0.01, timeout: 99"),
    ("", "poll_interval: 0.01, http_timeout: 30"),
    ("vertexai: false", "poll_interval: 0.01, location: us-central1"),
], ids=["http_timeout", "poll_interval", "timeout", "veo-http_timeout", "mode-and-location"])
def test_editing_call_only_options_renders_nothing(tmp_path, api, httpserver, image_options, video_options):
    path = write(tmp_path, board_text())
    assert make(path)[0].status == "ok"
    seen = len(api.images) + len(api.predicts) + len(api.polls)
    write(tmp_path, board_text(image_options=image_options, video_options=video_options))
    report, _ = make(path)
    assert report.status == "ok"
    assert len(api.images) + len(api.predicts) + len(api.polls) == seen  # zero new requests
    assert all(n.status == "cached" for n in report.nodes), [(n.role, n.status) for n in report.nodes]


# -- d. unknown options ------------------------------------------------------------------------


def _validate(path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env["GOOGLE_API_KEY"] = TEST_KEY
    return subprocess.run([sys.executable, "-m", "storyrender", "validate", str(path)], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def test_an_unknown_option_is_refused_by_validate_with_file_line_and_a_suggestion(tmp_path, httpserver):
    path = write(tmp_path, board_text(video_options="poll_interval: 0.01, resolutin: 720p"))
    res = _validate(path)
    assert res.returncode == 2, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert "board.yaml:8" in out  # the video provider's line
    assert "google has no option 'resolutin'" in out and "Did you mean 'resolution'?" in out

    write(tmp_path, board_text(image_options="qualty: high"))
    res = _validate(path)
    out = res.stdout + res.stderr
    assert res.returncode == 2 and "board.yaml:6" in out and "google has no option 'qualty'" in out
    assert "image_size" in out  # no close name: the options there are
    assert httpserver.log == []


# -- e. a download that fails once ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_a_failed_download_after_the_clip_is_done_is_fetched_again_without_a_new_submission(
        tmp_path, api, httpserver, mode):
    api.fail_done, api.fail_mode = 1, mode  # the answer carrying the finished clip fails once
    path = write(tmp_path, board_text())
    report, prepared = make(path)
    assert report.status == "ok", [n.error for n in report.failures]
    assert len(api.predicts) == 1  # one clip paid for
    segment = by_role(report)["segment:a"]
    assert segment.attempts == 2
    name = next(iter(api.ops))
    assert segment.info["job_id"] == name == segment.info["operation"]
    assert [p.json["operationName"] for p in api.polls] == [name] * 3  # pending; done but failed; resumed: done
    with open_store(prepared.board, None) as store:
        assert store.get_job(segment.key) is None  # collected


# -- f. kill -9 while polling ------------------------------------------------------------------


def test_kill_9_while_polling_then_rerun_submits_nothing_new(tmp_path, api, httpserver):
    path = write(tmp_path, board_text(video_options="poll_interval: 0.05"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env["GOOGLE_API_KEY"] = TEST_KEY
    env["GOOGLE_GEMINI_BASE_URL"] = env["GOOGLE_VERTEX_BASE_URL"] = httpserver.url_for("/")
    cmd = [sys.executable, "-m", "storyrender", "build", "-q", path.name]
    api.hold.set()  # the operation stays pending
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (api.predicts and api.polls) and proc.poll() is None:
            time.sleep(0.02)
        assert api.predicts and api.polls, proc.stderr.read().decode() if proc.poll() is not None else "no poll"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert len(api.predicts) == 1
    name = next(iter(api.ops))

    prepared = prepare(path, registry=load_registry())
    segment = next(n for n in prepared.graph if n.role == "segment:a")
    with open_store(prepared.board, None) as store:
        recorded = store.get_job(segment.key)
    assert recorded["job_id"] == name and recorded["provider"] == "google"

    api.release()  # the vendor finishes the clip
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(api.predicts) == 1  # resumed, not submitted again
    assert (tmp_path / "out" / "board.mp4").stat().st_size > 0
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    node = next(n for n in manifest["nodes"] if n["role"] == "segment:a")
    assert node["status"] == "rendered" and node["info"]["job_id"] == name
    with open_store(prepared.board, None) as store:
        assert store.get_job(segment.key) is None


# -- g. a submission whose answer times out ------------------------------------------------------


def test_a_submission_whose_answer_times_out_is_not_submitted_again(tmp_path, api, httpserver):
    api.predict_delay = 1.5  # the fake accepts the job, then answers after the client gave up
    path = write(tmp_path, board_text(video_options="poll_interval: 0.01, http_timeout: 0.5"))
    report, prepared = make(path)
    assert report.status == "failed"
    segment = by_role(report)["segment:a"]
    assert segment.status == "failed"
    assert "did not answer within 0.5 s (the http_timeout option) after the request was sent" in segment.error
    assert "Media Studio" in segment.error and "Billing" in segment.error
    time.sleep(api.predict_delay)  # let the fake finish answering
    assert len(api.predicts) == 1 and api.polls == []
    with open_store(prepared.board, None) as store:
        assert store.get_job(segment.key) is None  # nothing known to resume
