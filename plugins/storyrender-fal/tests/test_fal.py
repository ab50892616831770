"""The fal provider against a fake fal queue (HTTPS on 127.0.0.1), through the real fal-client."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import ImageRequest, Job, RunContext, VideoRequest
from storyrender.testing import png_bytes
from storyrender_fal import FalProvider

from fal_fakes import KEY

VEO = "fal-ai/veo3.1/fast/first-last-frame-to-video"
WAN = "fal-ai/wan-flf2v"
KLING = "fal-ai/kling-video/v3/pro/image-to-video"
FAST = {"poll_interval": 0.01}


def video_request(frames, model=VEO, seconds=6.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=7, width=64, height=36,
                        options={**FAST, **options}, first=first, last=last_path if last else None,
                        seconds=seconds, negative_prompt="blurry")


def ctx_for(tmp_path: Path, name: str = "seg.mp4", log: list | None = None) -> RunContext:
    return RunContext(tmp_path / name, log=(log.append if log is not None else None))


def data_uri_bytes(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


# -- success paths --------------------------------------------------------------------------------

def test_veo_first_last_success(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    log: list[str] = []
    result = FalProvider().video(video_request(frames), ctx_for(tmp_path, log=log))

    assert len(fake.submits) == 1
    sub = fake.submits[0]
    assert sub["path"] == f"/{VEO}"
    assert sub["headers"]["Authorization"] == f"Key {KEY}"
    args = sub["json"]
    assert data_uri_bytes(args["first_frame_url"]) == frames[0].read_bytes()
    assert data_uri_bytes(args["last_frame_url"]) == frames[1].read_bytes()
    assert args["prompt"] == "the cat jumps"
    assert args["duration"] == "6s"
    assert args["aspect_ratio"] == "16:9"
    assert args["negative_prompt"] == "blurry"
    assert args["generate_audio"] is False
    # IN_QUEUE -> IN_PROGRESS -> IN_PROGRESS -> COMPLETED, then the result
    assert fake.status_polls >= 4
    assert [line.rsplit(" ", 1)[1] for line in log if " is " in line] == ["Queued", "InProgress", "Completed"]
    assert result.path.read_bytes() == mp4_bytes
    assert probe(result.path).frames == 12
    assert result.info["job_id"] == "req-1" and result.info["seed"] == 1234
    assert result.info["metrics"] == {"inference_time": 3.2}
    assert result.cost_usd is None
    assert result.info["list_price_usd"] == pytest.approx(0.6)


def test_wan_and_kling_mappings(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    p = FalProvider()
    p.video(video_request(frames, model=WAN, seconds=5), ctx_for(tmp_path, "a.mp4"))
    p.video(video_request(frames, model=KLING, seconds=10), ctx_for(tmp_path, "b.mp4"))
    wan, kling = (s["json"] for s in fake.submits)
    assert fake.submits[0]["path"] == f"/{WAN}" and fake.submits[1]["path"] == f"/{KLING}"
    for args in (wan, kling):
        assert data_uri_bytes(args["start_image_url"]) == frames[0].read_bytes()
        assert data_uri_bytes(args["end_image_url"]) == frames[1].read_bytes()
        assert args["prompt"] == "the cat jumps"
    assert wan["seed"] == 7 and "duration" not in wan
    assert kling["duration"] == "10"


def test_kling_first_frame_only(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    FalProvider().video(video_request(frames, model=KLING, seconds=5, last=False), ctx_for(tmp_path))
    args = fake.submits[0]["json"]
    assert "end_image_url" not in args
    assert args["duration"] == "5"


def test_custom_app_text_to_image(fake, tmp_path):
    fake.media_name, fake.media_body = "img.png", png_bytes(96, 54, (0, 128, 0))
    fake.result = {"images": [{"url": fake.media_url, "width": 96, "height": 54}]}
    req = ImageRequest(model="fal-ai/flux/schnell", prompt="a forest", seed=5, width=64, height=36,
                       options={**FAST, "inputs": {"prompt": "prompt", "seed": "seed"},
                                "params": {"image_size": "landscape_16_9"}})
    result = FalProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    assert fake.submits[0]["json"] == {"prompt": "a forest", "seed": 5, "image_size": "landscape_16_9"}
    with Image.open(result.path) as img:
        assert img.size == (64, 36) and img.getpixel((10, 10)) == (0, 128, 0)


# -- transient faults -----------------------------------------------------------------------------

def test_submit_429_is_retried_by_the_sdk(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.submit_errors = [(429, {"detail": "Too many requests"}, {"Retry-After": "0"})]
    result = FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert result.path.read_bytes() == mp4_bytes
    assert len(fake.submits) == 2


def test_submit_500_is_transient_then_next_call_succeeds(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.submit_errors = [(500, {"detail": "Internal Server Error"}, {})]
    p = FalProvider()
    with pytest.raises(TransientError, match="HTTP 500"):
        p.video(video_request(frames), ctx_for(tmp_path))
    assert p.video(video_request(frames), ctx_for(tmp_path)).path.read_bytes() == mp4_bytes


def test_status_500_is_retried_by_the_provider(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.status_errors = [(500, {"detail": "oops"}, {}), (503, {"detail": "busy"}, {"x-fal-request-id": "r"})]
    log: list[str] = []
    result = FalProvider().video(video_request(frames), ctx_for(tmp_path, log=log))
    assert result.path.read_bytes() == mp4_bytes
    assert len(fake.submits) == 1 and any("trying again" in line for line in log)


def test_result_500_is_retried(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.result_errors = [(500, {"detail": "storage hiccup"}, {})]
    assert FalProvider().video(video_request(frames), ctx_for(tmp_path)).path.read_bytes() == mp4_bytes


# -- failures -------------------------------------------------------------------------------------

def test_content_policy_violation_is_refused_with_vendor_reason(fake, frames, tmp_path):
    fake.result_errors = [(422, {"detail": [{
        "loc": ["body", "prompt"], "msg": "The content was flagged by a content checker.",
        "type": "content_policy_violation", "url": "https://docs.fal.ai/errors#content_policy_violation",
    }]}, {"X-Fal-Error-Type": "content_policy_violation"})]
    with pytest.raises(RefusedError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert "The content was flagged by a content checker. [prompt]" in str(err.value)
    assert err.value.job_id == "req-1"


def test_validation_error_is_provider_error(fake, frames, tmp_path):
    fake.submit_errors = [(422, {"detail": [{"loc": ["body", "duration"], "msg": "unexpected value",
                                             "type": "literal_error"}]}, {})]
    with pytest.raises(ProviderError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert type(err.value) is ProviderError and "unexpected value [duration]" in str(err.value)


def test_completed_with_error_names_the_request(fake, frames, tmp_path):
    fake.completed_extra = {"error": "Runner crashed", "error_type": "runner_disconnected"}
    with pytest.raises(ProviderError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert "Runner crashed" in str(err.value) and err.value.job_id == "req-1"


def test_timeout_cancels_the_request(fake, frames, tmp_path):
    fake.script = ["IN_QUEUE"] + ["IN_PROGRESS"] * 10_000
    with pytest.raises(ProviderError) as err:
        FalProvider().video(video_request(frames, timeout=0.3), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)
    assert err.value.job_id == "req-1" and "0.3 s" in str(err.value)
    assert fake.cancels == ["req-1"]


@pytest.mark.parametrize("body", [{"nope": 1}, "<html>not json</html>"])
def test_malformed_submit_response_is_provider_error(fake, frames, tmp_path, body):
    fake.submit_override = body
    with pytest.raises(ProviderError, match="unexpected response") as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)


def test_result_without_video_is_provider_error(fake, frames, tmp_path):
    fake.result = {"something": "else"}
    with pytest.raises(ProviderError, match="no file") as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert err.value.job_id == "req-1"


def test_result_that_is_not_a_video_is_provider_error(fake, frames, tmp_path):
    fake.media_body = b"\x89PNG not a video"
    with pytest.raises(ProviderError, match="not an MP4"):
        FalProvider().video(video_request(frames), ctx_for(tmp_path))


def test_refused_key_is_not_in_the_message(fake, frames, tmp_path):
    fake.submit_errors = [(401, {"detail": f"Invalid key Key {KEY}"}, {})]
    with pytest.raises(ProviderError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert KEY not in str(err.value) and "FAL_KEY" in str(err.value)


def test_missing_key_fails_before_any_request(fake, frames, monkeypatch, tmp_path):
    monkeypatch.delenv("FAL_KEY")
    monkeypatch.delenv("FAL_KEY_ID", raising=False)
    monkeypatch.delenv("FAL_KEY_SECRET", raising=False)
    with pytest.raises(MissingKeyError, match="FAL_KEY"):
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert fake.server.log == []


def test_key_id_and_secret_pair(fake, frames, mp4_bytes, monkeypatch, tmp_path):
    monkeypatch.delenv("FAL_KEY")
    monkeypatch.setenv("FAL_KEY_ID", "kid")
    monkeypatch.setenv("FAL_KEY_SECRET", "ksecret-0123456789")
    fake.media_body = mp4_bytes
    FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert fake.submits[0]["headers"]["Authorization"] == "Key kid:ksecret-0123456789"


# -- description and validation -------------------------------------------------------------------

def test_check_durations_and_aspect():
    p = FalProvider()
    veo = p.resolve_model(VEO)
    assert p.check(Job.FIRST_LAST_VIDEO, veo, seconds=8, width=1280, height=720, options={}) == []
    problems = p.check(Job.FIRST_LAST_VIDEO, veo, seconds=5, width=720, height=720, options={})
    assert any("4, 6, 8 s" in x for x in problems) and any("16:9, 9:16" in x for x in problems)
    assert p.check(Job.FIRST_FRAME_VIDEO, veo, seconds=8, width=1280, height=720, options={})


def test_check_unknown_app_needs_mapping():
    p = FalProvider()
    m = p.resolve_model("fal-ai/some/new-app")
    assert "options.inputs" in p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720, options={})[0]
    ok = {"inputs": {"first_frame": "a", "last_frame": "b"}}
    assert p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720, options=ok) == []
    with pytest.raises(KeyError):
        p.resolve_model("noslash")


def test_estimate_uses_list_prices():
    p = FalProvider()
    assert p.estimate(Job.FIRST_LAST_VIDEO, p.resolve_model(WAN), seconds=5) == pytest.approx(0.40)
    assert p.estimate(Job.FIRST_LAST_VIDEO, p.resolve_model(VEO), seconds=8) == pytest.approx(0.80)


def test_entry_point_discovery():
    from storyrender.plugins.manager import load_registry

    assert "fal" in load_registry().names()
