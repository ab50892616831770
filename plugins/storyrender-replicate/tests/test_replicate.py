"""The replicate provider against a fake Replicate API, through the real replicate 1.x client."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import ImageRequest, Job, JobJournal, KeyframeRequest, RunContext, VideoRequest
from storyrender.providers.hosted import Stopped, SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_replicate import ReplicateProvider

from replicate_fakes import TOKEN

FAST = {"poll_interval": 0.01}
#: call-only options for each test (they travel in the context, not the request)
CALL: dict = {}


@pytest.fixture(autouse=True)
def _call(fake):
    CALL.clear()
    CALL.update(**FAST)
    yield
    CALL.clear()


def video_request(fake, frames, model="kwaivgi/kling-v2.1", seconds=5.0, **options):
    first, last = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=7, width=64, height=36,
                        options=options, first=first, last=last, seconds=seconds)


class Journal(JobJournal):
    """The store's job record for one node, in memory."""

    def __init__(self) -> None:
        self.job: dict | None = None
        super().__init__(lambda: self.job, lambda job: setattr(self, "job", job), lambda: setattr(self, "job", None))


def ctx_for(tmp_path: Path, name: str, log: list | None = None, *, journal: JobJournal | None = None,
            cancelled=None, **call) -> RunContext:
    return RunContext(tmp_path / name, log=(log.append if log is not None else None), call={**CALL, **call},
                      journal=journal, cancelled=cancelled)


# -- success paths --------------------------------------------------------------------------------

def test_first_last_video_success_polls_uploads_and_downloads(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body, fake.output_shape = "clip.mp4", mp4_bytes, "str"
    fake.script = ["starting", "processing", "processing"]
    log: list[str] = []
    result = ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", log))

    # the create request: model path, documented parameters, both frames
    assert len(fake.creates) == 1
    create = fake.creates[0]
    assert create["path"] == "/v1/models/kwaivgi/kling-v2.1/predictions"
    assert create["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert "Prefer" not in create["headers"]  # video: no held-open create
    inp = create["json"]["input"]
    assert inp["prompt"] == "the cat jumps"
    assert inp["duration"] == 5 and isinstance(inp["duration"], int)
    assert inp["mode"] == "pro"
    # frames went through the Files API (the SDK's default) and their URLs into the input
    assert fake.upload_for(inp["start_image"]) == frames[0].read_bytes()
    assert fake.upload_for(inp["end_image"]) == frames[1].read_bytes()
    assert sorted(fake.upload_names.values()) == ["first.png", "last.png"]
    # polled through starting -> processing -> processing -> succeeded
    assert fake.polls == 3
    assert any("pred1 is starting" in line for line in log) and any("pred1 is succeeded" in line for line in log)
    # the clip downloaded intact
    assert result.path == tmp_path / "seg.mp4"
    assert result.path.read_bytes() == mp4_bytes
    assert probe(result.path).frames == 12
    assert result.info["job_id"] == "pred1"
    assert result.cost_usd is None  # Replicate reports no cost per prediction
    assert result.info["list_price_usd"] == pytest.approx(0.45)  # 5 s x $0.09
    assert result.info["metrics"] == {"predict_time": 1.5}


def test_base64_file_encoding_sends_data_uris(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    req = video_request(fake, frames, model="minimax/hailuo-02", seconds=6)
    ReplicateProvider().video(req, ctx_for(tmp_path, "seg.mp4", file_encoding="base64"))
    inp = fake.creates[0]["json"]["input"]
    assert fake.uploads == {}
    for param, path in (("first_frame_image", frames[0]), ("last_frame_image", frames[1])):
        head, data = inp[param].split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data) == path.read_bytes()
    assert inp["duration"] == 6 and inp["prompt"] == "the cat jumps"


@pytest.mark.parametrize("model,first,last,extra", [
    ("luma/ray-flash-2-720p", "start_image", "end_image", {"aspect_ratio": "16:9"}),
    ("luma/ray-2-540p", "start_image", "end_image", {"aspect_ratio": "16:9"}),
    ("pixverse/pixverse-v4", "image", "last_frame_image", {"seed": 7}),
])
def test_builtin_video_mappings(fake, frames, mp4_bytes, tmp_path, model, first, last, extra):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    ReplicateProvider().video(video_request(fake, frames, model=model), ctx_for(tmp_path, "seg.mp4"))
    inp = fake.creates[0]["json"]["input"]
    assert fake.upload_for(inp[first]) == frames[0].read_bytes()
    assert fake.upload_for(inp[last]) == frames[1].read_bytes()
    assert inp["duration"] == 5 and inp["prompt"] == "the cat jumps"
    for k, v in extra.items():
        assert inp[k] == v


def test_first_frame_only_video_sends_no_end_image(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    first, _ = frames
    req = VideoRequest(model="kwaivgi/kling-v2.1", prompt="p", seed=1, width=64, height=36,
                       first=first, last=None, seconds=10)
    ReplicateProvider().video(req, ctx_for(tmp_path, "seg.mp4"))
    inp = fake.creates[0]["json"]["input"]
    assert "end_image" not in inp
    assert inp["mode"] == "standard"  # always sent: the vendor's default, pinned
    assert inp["duration"] == 10


def test_kling_first_frame_mode_follows_the_board(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    req = VideoRequest(model="kwaivgi/kling-v2.1", prompt="p", seed=1, width=64, height=36, first=frames[0],
                       last=None, seconds=5, options={"params": {"mode": "pro"}})
    ReplicateProvider().video(req, ctx_for(tmp_path, "seg.mp4"))
    assert fake.creates[0]["json"]["input"]["mode"] == "pro"


def test_hailuo_resolution_is_sent_and_priced(fake, frames, mp4_bytes, tmp_path):
    """Hailuo-02 defaults to 1080p at the vendor; the plugin sends 768p unless the board asks."""
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    p = ReplicateProvider()
    pinned = p.video(video_request(fake, frames, model="minimax/hailuo-02", seconds=10), ctx_for(tmp_path, "a.mp4"))
    chosen = p.video(video_request(fake, frames, model="minimax/hailuo-02", seconds=6,
                                   params={"resolution": "1080p"}), ctx_for(tmp_path, "b.mp4"))
    first, second = (c["json"]["input"] for c in fake.creates)
    assert first["resolution"] == "768p" and first["duration"] == 10
    assert second["resolution"] == "1080p" and second["duration"] == 6
    assert pinned.info["list_price_usd"] == pytest.approx(0.45)
    assert chosen.info["list_price_usd"] is None  # no 1080p price known: not a made-up figure
    m = p.resolve_model("minimax/hailuo-02")
    assert not p.price_for(m, {"params": {"resolution": "1080p"}}).known
    assert p.price_for(m, {}).per_second == 0.045


def test_text_to_image_flux_schnell(fake, tmp_path):
    fake.output_body = png_bytes(128, 72, (10, 200, 10))  # the model's own size; fitted to the board's
    fake.script = []
    req = ImageRequest(model="black-forest-labs/flux-schnell", prompt="a forest at dusk", seed=42,
                       width=64, height=36)
    result = ReplicateProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    create = fake.creates[0]
    assert create["headers"]["Prefer"] == "wait=60"
    assert fake.polls == 0  # the held-open create answered with the finished prediction
    assert create["json"]["input"] == {
        "prompt": "a forest at dusk", "seed": 42, "aspect_ratio": "16:9", "output_format": "png", "num_outputs": 1,
    }
    with Image.open(result.path) as img:
        assert img.format == "PNG" and img.size == (64, 36)
        assert img.getpixel((32, 18)) == (10, 200, 10)
    assert result.info["native_size"] == [128, 72]
    assert result.info["list_price_usd"] == pytest.approx(0.003)


def test_next_keyframe_flux_kontext(fake, frames, tmp_path):
    fake.output_body = png_bytes(64, 36, (1, 2, 3))
    fake.output_shape = "str"
    req = KeyframeRequest(model="black-forest-labs/flux-kontext-pro", prompt="the cat climbs", seed=3,
                          width=64, height=36, previous=frames[0], seconds=5)
    result = ReplicateProvider().next_keyframe(req, ctx_for(tmp_path, "k1.png"))
    inp = fake.creates[0]["json"]["input"]
    assert fake.upload_for(inp["input_image"]) == frames[0].read_bytes()
    assert inp["prompt"] == "The same scene, 5 seconds later: the cat climbs"
    assert inp["aspect_ratio"] == "match_input_image" and inp["seed"] == 3 and inp["output_format"] == "png"
    assert Image.open(result.path).size == (64, 36)


def test_versioned_model_posts_to_predictions_with_version(fake, tmp_path):
    fake.output_body = png_bytes(64, 36, (9, 9, 9))
    req = ImageRequest(model="black-forest-labs/flux-dev:abc123", prompt="x", seed=1, width=64, height=36)
    ReplicateProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    assert fake.creates[0]["path"] == "/v1/predictions"
    assert fake.creates[0]["json"]["version"] == "abc123"


def test_custom_model_with_board_mapping(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    req = video_request(fake, frames, model="acme/interp", seconds=4,
                        inputs={"first_frame": "a", "last_frame": "b", "prompt": "text", "duration": "secs"},
                        params={"fps": 24})
    ReplicateProvider().video(req, ctx_for(tmp_path, "seg.mp4"))
    create = fake.creates[0]
    assert create["path"] == "/v1/models/acme/interp/predictions"
    inp = create["json"]["input"]
    assert set(inp) == {"a", "b", "text", "secs", "fps"}
    assert inp["text"] == "the cat jumps" and inp["secs"] == 4 and inp["fps"] == 24
    assert fake.upload_for(inp["a"]) == frames[0].read_bytes()
    assert fake.upload_for(inp["b"]) == frames[1].read_bytes()


def test_base_url_from_the_sdk_environment_variable(fake, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLICATE_BASE_URL", fake.base)
    fake.output_body = png_bytes(64, 36, (5, 5, 5))
    req = ImageRequest(model="black-forest-labs/flux-schnell", prompt="x", seed=1, width=64, height=36)
    ReplicateProvider().text_to_image(req, RunContext(tmp_path / "k0.png", call=FAST))
    assert len(fake.creates) == 1


# -- transient faults -----------------------------------------------------------------------------

def test_create_429_is_transient_with_retry_after_then_succeeds(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    fake.create_errors = [(429, {"title": "Too Many Requests", "status": 429,
                                 "detail": "Request was throttled. Expected available in 2 seconds."}, {})]
    provider = ReplicateProvider()
    with pytest.raises(TransientError) as err:
        provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert err.value.retry_after == 2.0 and "throttled" in str(err.value)
    # the SDK never retries the POST that creates a prediction: the caller's retry does
    result = provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert result.path.read_bytes() == mp4_bytes
    assert len(fake.creates) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_create_5xx_is_uncertain_and_names_where_to_look(fake, frames, tmp_path, status):
    fake.create_errors = [(status, "<html>upstream broke</html>", {})]
    with pytest.raises(SubmitUncertain) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert f"HTTP {status}" in str(err.value) and "https://replicate.com/predictions" in str(err.value)
    assert not isinstance(err.value, TransientError)
    assert len(fake.creates) == 1


def test_create_connection_refused_is_transient(fake, frames, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("REPLICATE_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError, match="ConnectError"):
        ReplicateProvider().video(video_request(None, frames),
                                  ctx_for(tmp_path, "seg.mp4", file_encoding="base64"))


def test_failed_poll_is_transient_and_the_retry_resumes_the_prediction(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    fake.poll_errors = [(503, {"detail": "slow down"}, {"Retry-After": "0"})]
    journal = Journal()
    provider = ReplicateProvider()
    with pytest.raises(TransientError) as err:
        provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", journal=journal))
    assert err.value.job_id == "pred1" and "HTTP 503" in str(err.value)
    assert fake.polls == 1  # the SDK's own GET retries are off: the runner is the retry layer
    assert journal.job["job_id"] == "pred1" and journal.job["provider"] == "replicate"
    log: list[str] = []
    result = provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", log, journal=journal))
    assert result.path.read_bytes() == mp4_bytes and result.info["job_id"] == "pred1"
    assert len(fake.creates) == 1  # resumed, not created again
    assert any("resuming job pred1" in line for line in log)


def test_poll_429_is_transient_with_the_job_id(fake, frames, tmp_path):
    fake.poll_errors = [(429, {"detail": "Request was throttled. Your rate limit resets in ~3s."}, {})]
    with pytest.raises(TransientError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert err.value.job_id == "pred1" and err.value.retry_after == 3.0


def test_a_recorded_prediction_replicate_no_longer_knows_is_submitted_again(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    journal = Journal()
    journal.record("gone123", provider="replicate")
    result = ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", journal=journal))
    assert fake.polled[0] == "gone123" and len(fake.creates) == 1
    assert result.info["job_id"] == "pred1"


def test_download_failure_is_one_try_and_transient(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    fake.output_failures = 1
    journal = Journal()
    provider = ReplicateProvider()
    with pytest.raises(TransientError) as err:
        provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", journal=journal))
    assert fake.output_gets == 1 and err.value.job_id == "pred1" and "HTTP 500" in str(err.value)
    result = provider.video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", journal=journal))
    assert result.path.read_bytes() == mp4_bytes
    assert len(fake.creates) == 1 and fake.output_gets == 2


def test_an_expired_output_clears_the_record(fake, frames, tmp_path):
    fake.final = {"status": "succeeded", "output": f"{fake.base}/expired/clip.mp4"}
    fake.server.expect_request("/expired/clip.mp4").respond_with_data("gone", status=404)
    journal = Journal()
    with pytest.raises(TransientError, match="expired"):
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", journal=journal))
    assert journal.job is None  # the retry submits again


def test_output_is_downloaded_without_the_api_token(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    (get,) = fake.requests_to(r"^/outputs/")
    assert "Authorization" not in get.headers


# -- failures -------------------------------------------------------------------------------------

def test_nsfw_failure_is_refused_with_vendor_reason(fake, frames, tmp_path):
    reason = "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
    fake.final = {"status": "failed", "error": reason}
    with pytest.raises(RefusedError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert reason in str(err.value)
    assert err.value.job_id == "pred1"


def test_model_failure_is_provider_error_with_job_id(fake, frames, tmp_path):
    fake.final = {"status": "failed", "error": "CUDA out of memory"}
    with pytest.raises(ProviderError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert type(err.value) is ProviderError
    assert "CUDA out of memory" in str(err.value) and err.value.job_id == "pred1"


def test_timeout_cancels_and_names_the_prediction(fake, frames, tmp_path):
    fake.script = ["starting"] + ["processing"] * 10_000
    with pytest.raises(ProviderError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", timeout=0.3))
    assert not isinstance(err.value, TransientError)
    assert err.value.job_id == "pred1" and "pred1" in str(err.value)
    assert "0.3 s" in str(err.value)
    assert fake.cancels == ["pred1"]


def test_stopping_the_build_leaves_the_prediction_running_and_recorded(fake, frames, tmp_path):
    fake.script = ["starting"] + ["processing"] * 10_000
    journal = Journal()
    ctx = ctx_for(tmp_path, "seg.mp4", journal=journal, cancelled=lambda: fake.polls >= 2)
    with pytest.raises(Stopped) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx)
    assert "pred1" in str(err.value) and fake.cancels == []
    assert journal.job["job_id"] == "pred1"


@pytest.mark.parametrize("body", [{"unexpected": True}, "not json at all"])
def test_malformed_create_response_is_uncertain(fake, frames, tmp_path, body):
    fake.create_override = body
    with pytest.raises(SubmitUncertain) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert not isinstance(err.value, TransientError)
    assert "unexpected response" in str(err.value)


def test_success_without_output_is_provider_error(fake, frames, tmp_path):
    fake.final = {"status": "succeeded", "output": None}
    with pytest.raises(ProviderError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert "no file" in str(err.value) and err.value.job_id == "pred1"


def test_output_that_is_not_a_video_is_provider_error(fake, frames, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", b"<html>oops</html>"
    with pytest.raises(ProviderError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert "not an MP4" in str(err.value)
    assert not (tmp_path / "seg.mp4").exists()


def test_output_that_is_not_an_image_is_provider_error(fake, tmp_path):
    fake.output_body = b"\x00garbage"
    req = ImageRequest(model="black-forest-labs/flux-schnell", prompt="x", seed=1, width=64, height=36)
    with pytest.raises(ProviderError, match="not an image"):
        ReplicateProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))


def test_unauthorized_error_never_contains_the_key(fake, frames, tmp_path):
    fake.create_errors = [(401, {"title": "Unauthenticated", "detail": f"Invalid token Bearer {TOKEN}"}, {})]
    with pytest.raises(ProviderError) as err:
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert TOKEN not in str(err.value) and "REPLICATE_API_TOKEN" in str(err.value)


def test_missing_key_fails_before_any_request(fake, frames, monkeypatch, tmp_path):
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    with pytest.raises(MissingKeyError, match="REPLICATE_API_TOKEN"):
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4"))
    assert fake.server.log == []


# -- description and validation -------------------------------------------------------------------

def test_defaults_and_jobs():
    p = ReplicateProvider()
    assert p.default_model(Job.TEXT_TO_IMAGE) == "black-forest-labs/flux-schnell"
    assert p.default_model(Job.NEXT_KEYFRAME) == "black-forest-labs/flux-kontext-pro"
    assert p.default_model(Job.FIRST_LAST_VIDEO) == "kwaivgi/kling-v2.1"
    assert p.resolve_model("kwaivgi/kling-v2.1:abc").limits.durations == (5, 10)


def test_check_duration_says_what_would_work():
    p = ReplicateProvider()
    m = p.resolve_model("minimax/hailuo-02")
    problems = p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720, options={})
    assert len(problems) == 1 and "6, 10 s" in problems[0] and "not 5 s" in problems[0]
    assert p.check(Job.FIRST_LAST_VIDEO, m, seconds=6, width=1280, height=720, options={}) == []
    assert p.check(Job.FIRST_LAST_VIDEO, m, seconds=10, width=1280, height=720, options={}) == []
    ten_at_1080 = p.check(Job.FIRST_LAST_VIDEO, m, seconds=10, width=1280, height=720,
                          options={"params": {"resolution": "1080p"}})
    assert len(ten_at_1080) == 1 and "10 s clips at 768p only" in ten_at_1080[0]
    assert "resolution must be one of" in p.check(Job.FIRST_LAST_VIDEO, m, seconds=6, width=1280, height=720,
                                                  options={"params": {"resolution": "4k"}})[0]
    kling = p.resolve_model("kwaivgi/kling-v2.1")
    assert "standard or pro" in p.check(Job.FIRST_FRAME_VIDEO, kling, seconds=5, width=1280, height=720,
                                        options={"params": {"mode": "master"}})[0]


def test_check_unknown_model_needs_a_mapping():
    p = ReplicateProvider()
    m = p.resolve_model("acme/new-model")
    problems = p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720, options={})
    assert "options.inputs" in problems[0] and "kwaivgi/kling-v2.1" in problems[0]
    ok = {"inputs": {"first_frame": "a", "last_frame": "b"}, "durations": [4, 8]}
    assert p.check(Job.FIRST_LAST_VIDEO, m, seconds=4, width=1280, height=720, options=ok) == []
    assert "4, 8 s" in p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720, options=ok)[0]
    first_only = {"inputs": {"first_frame": "a"}}
    assert "not first-last-video" in p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720,
                                             options=first_only)[0]
    assert p.check(Job.TEXT_TO_IMAGE, m, seconds=None, width=1280, height=720,
                   options={"inputs": {"prompt": "text"}}) == []


def test_check_kling_needs_mode_pro_for_an_end_image():
    p = ReplicateProvider()
    m = p.resolve_model("kwaivgi/kling-v2.1")
    problems = p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720,
                       options={"params": {"mode": "standard"}})
    assert "mode pro" in problems[0]
    assert p.check(Job.FIRST_FRAME_VIDEO, m, seconds=5, width=1280, height=720,
                   options={"params": {"mode": "standard"}}) == []


def test_malformed_model_name_is_a_key_error():
    with pytest.raises(KeyError, match="OWNER/NAME"):
        ReplicateProvider().resolve_model("just-a-name")


def test_estimate_uses_list_prices():
    p = ReplicateProvider()
    kling = p.resolve_model("kwaivgi/kling-v2.1")
    assert p.estimate(Job.FIRST_LAST_VIDEO, kling, seconds=10) == pytest.approx(0.9)
    assert p.estimate(Job.TEXT_TO_IMAGE, p.resolve_model("black-forest-labs/flux-schnell")) == pytest.approx(0.003)
    assert kling.price.as_of == "2026-11-24"


def test_entry_point_discovery():
    from storyrender.plugins.manager import load_registry

    registry = load_registry()
    assert "replicate" in registry.names()
    assert isinstance(registry.get("replicate"), ReplicateProvider)


# -- what the request carries -----------------------------------------------------------------------

def test_reads_and_options_schema():
    p = ReplicateProvider()
    assert p.reads_for(Job.FIRST_LAST_VIDEO) == {"camera", "negative_prompt", "seed"}
    assert p.reads_for(Job.NEXT_KEYFRAME) == {"camera", "negative_prompt", "seed"}
    assert p.reads_for(Job.TEXT_TO_IMAGE) == {"negative_prompt", "seed"}  # keyframe 0 is a still
    identity = {o.name for o in p.options_schema if o.identity}
    call = {o.name for o in p.options_schema if not o.identity}
    assert identity == {"inputs", "params", "durations", "keyframe_prompt"}
    assert call == {"timeout", "poll_interval", "read_timeout", "wait", "file_encoding"}
    assert p.option("file_encoding").problem("zip") and p.option("wait").problem(False)


def test_negative_prompt_is_a_parameter_or_inline_and_camera_is_in_the_prompt(fake, frames, mp4_bytes, tmp_path):
    fake.output_name, fake.output_body = "clip.mp4", mp4_bytes
    first, last = frames
    req = VideoRequest(model="kwaivgi/kling-v2.1", prompt="the cat jumps", seed=7, width=64, height=36,
                       negative_prompt="blur", camera="pan left", first=first, last=last, seconds=5)
    ReplicateProvider().video(req, ctx_for(tmp_path, "seg.mp4"))
    inp = fake.inputs()[0]
    assert inp["prompt"] == "the cat jumps. Camera: pan left." and inp["negative_prompt"] == "blur"

    fake.output_name, fake.output_body = "k0.png", png_bytes(64, 36, (1, 1, 1))
    req = ImageRequest(model="black-forest-labs/flux-schnell", prompt="a forest", seed=1, width=64, height=36,
                       negative_prompt="people")
    ReplicateProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    inp = fake.inputs()[1]
    assert inp["prompt"] == "a forest Avoid: people." and "negative_prompt" not in inp  # flux has none


def test_the_same_request_twice_sends_the_same_body(fake, tmp_path):
    fake.output_body = png_bytes(64, 36, (9, 9, 9))
    req = ImageRequest(model="black-forest-labs/flux-schnell", prompt="x", seed=11, width=64, height=36, take=2)
    for name in ("a.png", "b.png"):
        ReplicateProvider().text_to_image(req, ctx_for(tmp_path, name))
    assert fake.creates[0]["json"] == fake.creates[1]["json"] and fake.inputs()[0]["seed"] == 11


def test_create_without_wait_has_a_read_timeout(fake, frames, tmp_path):
    # the SDK sends such creates with no timeout at all; the plugin bounds them by read_timeout
    fake.create_delay = 1.0
    with pytest.raises(SubmitUncertain, match="ReadTimeout"):
        ReplicateProvider().video(video_request(fake, frames), ctx_for(tmp_path, "seg.mp4", read_timeout=0.3))
    assert len(fake.creates) == 1


def test_load_imports_the_sdk():
    import sys

    ReplicateProvider().load()
    assert "replicate.prediction" in sys.modules and "replicate.client" in sys.modules
