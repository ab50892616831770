"""Veo through the real ``google-genai`` SDK (Vertex AI mode), against a fake Vertex API on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import pytest
from google_fakes import OPERATION, TEST_KEY, frame, google_error, memory_journal, operation, run, video_request
from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import Job, RunContext
from storyrender.providers.hosted import Stopped, SubmitUncertain
from storyrender_google import PRICES

MODEL = "veo-3.1-generate-001"
NAME = OPERATION.format(model=MODEL, n=1)
RESOURCE = f"/v1beta1/projects/test-project/locations/us-central1/publishers/google/models/{MODEL}"


def _no_leftovers(ctx: RunContext) -> None:
    folder = ctx.output_path.parent
    assert not ctx.output_path.exists()
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


def _queue_success(fake, video: bytes, pending: int = 2, name: str = NAME) -> None:
    fake.push("predict", {"name": name})
    for _ in range(pending):
        fake.push("fetch", operation(name, done=False))
    fake.push("fetch", operation(name, done=True, video=video))


# -- success ------------------------------------------------------------------------------------


def test_first_last_video_sends_both_frames_polls_until_done_and_writes_the_clip(env, fake, provider, vctx,
                                                                                 keyframes, tiny_mp4):
    first, last = keyframes
    _queue_success(fake, tiny_mp4, pending=2)  # done: false, false, then true
    result = run(provider.video, video_request(first, last), vctx)

    (predict,) = fake.of("predict")
    assert predict.path == f"/v1beta1/publishers/google/models/{MODEL}:predictLongRunning"
    assert predict.headers["x-goog-api-key"] == TEST_KEY  # Vertex AI express mode
    (instance,) = predict.json["instances"]
    assert instance["prompt"] == "The cat climbs the tree"
    assert frame(instance["image"]) == ("image/png", first.read_bytes())
    assert frame(instance["lastFrame"]) == ("image/png", last.read_bytes())
    assert predict.json["parameters"] == {"durationSeconds": 6, "aspectRatio": "16:9", "sampleCount": 1,
                                          "seed": 3}

    polls = fake.of("fetch")
    assert len(polls) == 3
    for poll in polls:
        assert poll.path == f"{RESOURCE}:fetchPredictOperation"
        assert poll.json == {"operationName": NAME}

    assert vctx.output_path.read_bytes() == tiny_mp4  # the clip, decoded from the operation, intact
    media = probe(vctx.output_path)
    assert media.frames == 12 and (media.width, media.height) == (64, 36)
    assert result.cost_usd == pytest.approx(PRICES["video"]["veo-3.1"]["720p"] * 6)
    assert result.info["operation"] == NAME
    assert result.info["polls"] == 3
    assert result.info["vendor_video"]["frames"] == 12


def test_first_frame_video_with_resolution_negative_prompt_and_audio(env, fake, provider, vctx, keyframes,
                                                                     tiny_mp4):
    first, _ = keyframes
    name = OPERATION.format(model="veo-3.1-fast-generate-001", n=2)
    _queue_success(fake, tiny_mp4, pending=0, name=name)
    req = video_request(first, None, "veo-3.1-fast-generate-001", seconds=8,
                        width=180, height=320, resolution="1080p", negative_prompt="text, watermark",
                        generate_audio=False)
    result = run(provider.video, req, vctx)
    body = fake.of("predict")[0].json
    assert "lastFrame" not in body["instances"][0]
    assert frame(body["instances"][0]["image"]) == ("image/png", first.read_bytes())
    assert body["parameters"] == {"durationSeconds": 8, "aspectRatio": "9:16", "sampleCount": 1, "seed": 3,
                                  "resolution": "1080p", "negativePrompt": "text, watermark",
                                  "generateAudio": False}
    assert result.cost_usd == pytest.approx(PRICES["video"]["veo-3.1-fast"]["1080p"] * 8)


def test_vertex_base_url_env_var_is_honoured(env, fake, provider, vctx, keyframes, tiny_mp4, monkeypatch):
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", fake.base_url)
    _queue_success(fake, tiny_mp4, pending=0)
    run(provider.video, video_request(*keyframes), vctx)
    assert len(fake.of("predict")) == 1 and vctx.output_path.exists()


# -- transient faults -------------------------------------------------------------------------------


def test_429_on_submit_is_transient_with_retry_after_then_success(env, fake, provider, vctx, keyframes, tiny_mp4):
    fake.push("predict", google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for veo requests."),
              status=429, headers={"Retry-After": "20"})
    req = video_request(*keyframes)
    with pytest.raises(TransientError) as info:
        run(provider.video, req, vctx)
    assert info.value.retry_after == 20.0
    assert len(fake.seen) == 1  # no retry inside the SDK, no poll
    _no_leftovers(vctx)

    _queue_success(fake, tiny_mp4, pending=1)
    run(provider.video, req, vctx)  # the executor's retry
    assert len(fake.of("predict")) == 2 and vctx.output_path.exists()


def test_5xx_on_submit_is_submit_uncertain_and_not_retried(env, fake, provider, vctx, keyframes):
    """Google does not document that a 5xx means no operation was started: never submitted twice."""
    fake.push("predict", google_error(503, "UNAVAILABLE", "The service is currently unavailable."), status=503)
    req = video_request(*keyframes)
    with pytest.raises(SubmitUncertain) as info:
        run(provider.video, req, vctx)
    assert "503 UNAVAILABLE" in str(info.value) and "Media Studio" in str(info.value)
    assert not isinstance(info.value, TransientError)
    assert len(fake.of("predict")) == 1 and fake.of("fetch") == []
    _no_leftovers(vctx)


def test_a_failed_poll_is_transient_and_the_retry_resumes_the_recorded_operation(env, fake, provider, vctx,
                                                                                 keyframes, tiny_mp4):
    fake.push("predict", {"name": NAME})
    fake.push("fetch", operation(NAME, done=False))
    fake.push("fetch", google_error(500, "INTERNAL", "try again"), status=500)
    fake.push("fetch", operation(NAME, done=True, video=tiny_mp4))
    kept: dict = {}
    ctx = RunContext(vctx.output_path, journal=memory_journal(kept))
    req = video_request(*keyframes)
    with pytest.raises(TransientError, match="500 INTERNAL.*polling operation") as info:
        run(provider.video, req, ctx)
    assert info.value.job_id == NAME
    assert kept["job"]["job_id"] == NAME and kept["job"]["provider"] == "google"  # recorded before polling
    result = run(provider.video, req, ctx)  # the runner's retry
    assert len(fake.of("predict")) == 1  # one clip paid for
    assert len(fake.of("fetch")) == 3
    assert result.info["job_id"] == NAME and result.info["operation"] == NAME
    assert vctx.output_path.read_bytes() == tiny_mp4


def test_a_recorded_operation_google_no_longer_knows_is_submitted_again(env, fake, provider, vctx, keyframes,
                                                                        tiny_mp4):
    gone = OPERATION.format(model=MODEL, n=9)
    fake.push("fetch", google_error(404, "NOT_FOUND", "Operation not found."), status=404)
    _queue_success(fake, tiny_mp4, pending=0)
    charged: list[int] = []
    kept = {"job": {"job_id": gone, "provider": "google"}}
    ctx = RunContext(vctx.output_path, journal=memory_journal(kept), charge=lambda: charged.append(1))
    result = run(provider.video, video_request(*keyframes), ctx)
    assert fake.of("fetch")[0].json == {"operationName": gone}
    assert len(fake.of("predict")) == 1 and charged == [1]
    assert result.info["job_id"] == NAME


# -- refusals and failures ------------------------------------------------------------------------------


def test_filtered_clip_is_refused_with_the_vendors_reason_and_job_id(env, fake, provider, vctx, keyframes):
    reason = "The image violates the usage guidelines (celebrity likeness). Support code: 29310472."
    fake.push("predict", {"name": NAME})
    fake.push("fetch", operation(NAME, done=True, filtered=[reason]))
    with pytest.raises(RefusedError) as info:
        run(provider.video, video_request(*keyframes), vctx)
    assert reason in str(info.value)
    assert info.value.job_id == NAME
    _no_leftovers(vctx)


@pytest.mark.parametrize("error, kind", [
    ({"code": 3, "message": "Input image violates Responsible AI practices."}, RefusedError),
    ({"code": 13, "message": "Internal error while generating."}, TransientError),  # Google's own fault: submitted again
    ({"code": 3, "message": "lastFrame has a different aspect ratio than image."}, ProviderError),
])
def test_failed_operation(env, fake, provider, vctx, keyframes, error, kind):
    fake.push("predict", {"name": NAME})
    fake.push("fetch", operation(NAME, done=True, error=error))
    kept: dict = {}
    with pytest.raises(kind) as info:
        run(provider.video, video_request(*keyframes),
            RunContext(vctx.output_path, journal=memory_journal(kept)))
    assert type(info.value) is kind
    assert kept == {}  # a failed operation is forgotten: the next build submits again
    assert error["message"] in str(info.value) and info.value.job_id == NAME
    _no_leftovers(vctx)


def test_timeout_of_the_operation_is_a_provider_error_with_the_job_id(env, fake, provider, vctx, keyframes):
    fake.push("predict", {"name": NAME})
    for _ in range(200):
        fake.push("fetch", operation(NAME, done=False))
    req = video_request(*keyframes, poll_interval=0.01, timeout=0.1)
    log: list[str] = []
    kept: dict = {}
    with pytest.raises(ProviderError) as info:
        run(provider.video, req, RunContext(vctx.output_path, log=log.append, journal=memory_journal(kept)))
    assert type(info.value) is ProviderError
    assert "cannot cancel it, so it may still finish and be billed" in str(info.value)  # Veo has no cancel
    assert kept == {}  # given up: the next build submits again
    assert info.value.job_id == NAME
    assert "did not finish within 0.1 s" in str(info.value) and NAME in str(info.value)
    assert 2 <= len(fake.of("fetch")) <= 15
    _no_leftovers(vctx)


def test_cancelled_build_leaves_the_operation_running_and_recorded(env, fake, provider, vctx, keyframes):
    fake.push("predict", {"name": NAME})
    for _ in range(3):
        fake.push("fetch", operation(NAME, done=False))
    polls = fake.of
    kept: dict = {}
    ctx = RunContext(vctx.output_path, cancelled=lambda: len(polls("fetch")) >= 2, journal=memory_journal(kept))
    with pytest.raises(Stopped, match="left running at the vendor and recorded") as info:
        run(provider.video, video_request(*keyframes), ctx)
    assert info.value.job_id == NAME and len(fake.of("fetch")) == 2
    assert kept["job"]["job_id"] == NAME


@pytest.mark.parametrize("final", [
    operation(NAME, done=True),  # done, but no response at all
    {"name": NAME, "done": True, "response": {"videos": []}},
    {"name": NAME, "done": True, "response": {"videos": [{"gcsUri": "gs://bucket/clip.mp4", "mimeType": "video/mp4"}]}},
])
def test_finished_operation_without_a_video_is_a_provider_error(env, fake, provider, vctx, keyframes, final):
    fake.push("predict", {"name": NAME})
    fake.push("fetch", final)
    with pytest.raises(ProviderError) as info:
        run(provider.video, video_request(*keyframes), vctx)
    assert type(info.value) is ProviderError and info.value.job_id == NAME
    _no_leftovers(vctx)


def test_clip_that_is_not_a_video_is_a_provider_error_and_leaves_no_file(env, fake, provider, vctx, keyframes):
    fake.push("predict", {"name": NAME})
    fake.push("fetch", operation(NAME, done=True, video=b"\x00\x00\x00\x18ftypmp42 truncated garbage"))
    with pytest.raises(ProviderError, match="not a readable video") as info:
        run(provider.video, video_request(*keyframes), vctx)
    assert info.value.job_id == NAME
    _no_leftovers(vctx)


@pytest.mark.parametrize("body, raw", [({}, None), ({"done": False}, None), (None, b"<html>oops</html>")])
def test_submit_answer_without_an_operation_is_submit_uncertain(env, fake, provider, vctx, keyframes, body, raw):
    fake.push("predict", body, raw=raw)
    with pytest.raises(SubmitUncertain, match="Media Studio"):
        run(provider.video, video_request(*keyframes), vctx)
    assert fake.of("fetch") == []
    _no_leftovers(vctx)


def test_refused_credentials(env, fake, provider, vctx, keyframes):
    fake.push("predict", google_error(401, "UNAUTHENTICATED", "API keys are not supported by this API."),
              status=401)
    with pytest.raises(ProviderError) as info:
        run(provider.video, video_request(*keyframes), vctx)
    assert "express-mode" in str(info.value) and "GOOGLE_CLOUD_PROJECT" in str(info.value)
    assert TEST_KEY not in str(info.value)


def test_missing_credentials_fail_before_any_request(clean_env, fake, provider, vctx, keyframes):
    with pytest.raises(MissingKeyError) as info:
        run(provider.video, video_request(*keyframes), vctx)
    text = str(info.value)
    assert "GOOGLE_API_KEY" in text and "GEMINI_API_KEY" in text and "GOOGLE_CLOUD_PROJECT" in text
    assert fake.seen == []


def test_a_beat_length_veo_cannot_make_fails_before_any_request(env, fake, provider, vctx, keyframes):
    with pytest.raises(ProviderError, match="4, 6 or 8 s, not 5 s"):
        run(provider.video, video_request(*keyframes, seconds=5), vctx)
    assert fake.seen == []


# -- credentials, validation, discovery ----------------------------------------------------------------


def test_vertex_credentials_project_with_adc_or_express_key(clean_env, provider, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-1234567890")
    assert provider.credentials({}, vertex=True) == {"api_key": "gemini-key-1234567890"}
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    assert provider.credentials({}, vertex=True) == {"project": "my-project", "location": "global"}
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    assert provider.credentials({}, vertex=True) == {"project": "my-project", "location": "us-central1"}
    assert provider.credentials({"project": "p2", "location": "europe-west4"}, vertex=True) == {
        "project": "p2", "location": "europe-west4"}
    assert provider.credentials({}, vertex=False) == {"api_key": "gemini-key-1234567890"}
    monkeypatch.delenv("GEMINI_API_KEY")
    assert provider.has_key()  # a project is enough for Veo
    with pytest.raises(MissingKeyError):
        provider.credentials({}, vertex=False)


def test_check_rejects_what_veo_cannot_make_and_says_what_would_work(provider):
    veo = provider.resolve_model(MODEL)
    ok = provider.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=1280, height=720, options={})
    assert ok == []
    problems = provider.check(Job.FIRST_LAST_VIDEO, veo, seconds=5, width=1280, height=720, options={})
    assert problems == [f"google/{MODEL} makes clips of 4, 6, 8 s, not 5 s: set the beat's seconds to one of those "
                        "or a sum of them (a longer beat is made of several clips)"]
    problems = provider.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=640, height=480, options={})
    assert any("16:9, 9:16" in p for p in problems)
    problems = provider.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=1280, height=720,
                              options={"resolution": "1080p"})
    assert any("8 s only" in p and "720p" in p for p in problems)
    problems = provider.check(Job.FIRST_LAST_VIDEO, veo, seconds=8, width=1280, height=720,
                              options={"vertexai": False})
    assert any("Vertex AI mode only" in p for p in problems)
    image = provider.resolve_model("gemini-3.1-flash-image")
    assert provider.check(Job.NEXT_KEYFRAME, image, seconds=5, width=640, height=480, options={}) == []
    assert provider.check(Job.NEXT_KEYFRAME, image, seconds=5, width=640, height=480,
                          options={"image_size": "8K"})


def test_discovered_through_the_entry_point_with_the_right_jobs():
    from storyrender.plugins.manager import load_registry

    registry = load_registry()
    assert "google" in registry.names()
    google = registry.get("google")
    images = {"gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"}
    for m in google.models:
        if Job.WRITE_STORY in m.jobs:  # a text model (storyrender new)
            assert m.jobs == {Job.WRITE_STORY} and m.name == "gemini-3.5-flash" and m.price.per_call
        elif m.name.startswith("gemini-"):
            assert m.jobs == {Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}, m.name
            assert m.price.as_of == PRICES["as_of"]
            assert bool(m.price.per_image) == (m.name in PRICES["images"]), m.name
        else:
            assert m.name.startswith("veo-3.1-")
            assert m.jobs == {Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}, m.name
            assert m.limits.durations == (4.0, 6.0, 8.0) and m.limits.aspect_ratios == ("16:9", "9:16")
            assert m.price.per_second and m.price.as_of == PRICES["as_of"]
    assert images <= {m.name for m in google.models if m.status == "ga"}
    assert google.default_model(Job.TEXT_TO_IMAGE) == "gemini-3.1-flash-image"
    assert google.default_model(Job.FIRST_LAST_VIDEO) == MODEL
    assert google.estimate(Job.FIRST_LAST_VIDEO, google.resolve_model(MODEL), seconds=6) == pytest.approx(2.4)


@pytest.mark.slow
def test_sdk_refuses_veo_in_gemini_api_mode():
    """Why Veo always runs in Vertex AI mode: the installed SDK raises before sending anything."""
    code = (
        "from google import genai\n"
        "c = genai.Client(api_key='x', vertexai=False, http_options={'base_url': 'http://127.0.0.1:9/'})\n"
        "try:\n"
        "    c.models.generate_videos(model='veo-3.1-generate-001', source={'prompt': 'p'})\n"
        "except ValueError as e:\n"
        "    raise SystemExit(0 if 'only supported in' in str(e) else 2)\n"
        "raise SystemExit(1)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.slow
def test_plan_estimate_follows_veo_resolution(tmp_path):
    import json
    import subprocess
    import sys

    def total(video: str) -> float:
        board = tmp_path / "board.yaml"
        board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 8\n"
                         f"providers: {{image: local, keyframe: local, video: {video}}}\n"
                         "beats:\n  - {prompt: a cat}\n")
        proc = subprocess.run([sys.executable, "-m", "storyrender", "plan", "--json", str(board), "--cache-dir",
                               str(tmp_path / "cache")], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["totals"]["estimate_usd"]

    assert total("google/veo-3.1-generate-001") == pytest.approx(8 * 0.40)
    assert total("{use: google/veo-3.1-generate-001, options: {resolution: 4k}}") == pytest.approx(8 * 0.60)
    assert total("{use: google/veo-3.1-lite-generate-001, options: {resolution: 1080p}}") == pytest.approx(8 * 0.08)
