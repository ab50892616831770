"""The getimg provider against a fake getimg.ai v2 API, through the real getimg SDK."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import ImageRequest, Job, KeyframeRequest, RunContext, VideoRequest
from storyrender.testing import png_bytes
from storyrender_getimg import GetimgProvider

from getimg_fakes import KEY

FAST = {"poll_interval": 0.01}


def opts(fake, **more):
    return {"base_url": fake.base, **FAST, **more}


def video_request(fake, frames, model="seedance-v1-pro", seconds=5.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=7, width=64, height=36,
                        options=opts(fake, **options), first=first, last=last_path if last else None,
                        seconds=seconds)


def ctx_for(tmp_path: Path, name: str = "seg.mp4", log: list | None = None) -> RunContext:
    return RunContext(tmp_path / name, log=(log.append if log is not None else None))


def data_uri_bytes(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


# -- success paths --------------------------------------------------------------------------------

def test_first_last_video_success(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    log: list[str] = []
    result = GetimgProvider().video(video_request(fake, frames, resolution="720p"), ctx_for(tmp_path, log=log))

    assert len(fake.creates) == 1
    create = fake.creates[0]
    assert create["path"] == "/v2/videos/generations"
    assert create["headers"]["Authorization"] == f"Bearer {KEY}"
    body = create["json"]
    assert body["model"] == "seedance-v1-pro" and body["prompt"] == "the cat jumps"
    assert body["duration"] == 5 and body["aspect_ratio"] == "16:9" and body["resolution"] == "720p"
    assert body["sound"] is False
    roles = {img["role"]: data_uri_bytes(img["url"]) for img in body["images"]}
    assert roles == {"first_frame": frames[0].read_bytes(), "last_frame": frames[1].read_bytes()}
    # pending -> processing -> processing -> completed
    assert fake.polls == 4
    assert [line.rsplit(" ", 1)[1] for line in log] == ["pending", "processing", "completed"]
    assert result.path.read_bytes() == mp4_bytes and probe(result.path).frames == 12
    assert result.cost_usd == pytest.approx(0.3)  # usage.total_cost, the actual cost
    assert result.info["job_id"] == "vid-1" and result.info["fps"] == 24


def test_first_frame_only_video(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    GetimgProvider().video(video_request(fake, frames, last=False, params={"seed": 3}), ctx_for(tmp_path))
    body = fake.creates[0]["json"]
    assert [img["role"] for img in body["images"]] == ["first_frame"]
    assert body["seed"] == 3  # extra fields go through extra_body


def test_text_to_image(fake, tmp_path):
    fake.media_name, fake.media_body, fake.cost = "k0.png", png_bytes(96, 54, (0, 99, 0)), 0.035
    req = ImageRequest(model="seedream-5-lite", prompt="a forest", seed=1, width=64, height=36, options=opts(fake))
    result = GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    body = fake.creates[0]["json"]
    assert fake.creates[0]["path"] == "/v2/images/generations"
    assert body == {"model": "seedream-5-lite", "prompt": "a forest", "aspect_ratio": "16:9", "output_format": "png"}
    with Image.open(result.path) as img:
        assert img.size == (64, 36) and img.getpixel((5, 5)) == (0, 99, 0)
    assert result.cost_usd == pytest.approx(0.035) and result.info["native_size"] == [96, 54]


def test_next_keyframe_sends_the_previous_keyframe(fake, frames, tmp_path, monkeypatch):
    monkeypatch.setenv("GETIMG_AI_BASE_URL", fake.base)  # the SDK's own variable works
    fake.media_name, fake.media_body = "k1.png", png_bytes(64, 36, (1, 1, 1))
    req = KeyframeRequest(model="seedream-5-lite", prompt="the cat climbs", seed=1, width=64, height=36,
                          options=FAST, previous=frames[0], seconds=6)
    GetimgProvider().next_keyframe(req, ctx_for(tmp_path, "k1.png"))
    body = fake.creates[0]["json"]
    assert body["prompt"] == "The same scene, 6 seconds later: the cat climbs"
    assert [data_uri_bytes(i["url"]) for i in body["images"]] == [frames[0].read_bytes()]


# -- transient faults -----------------------------------------------------------------------------

def test_create_429_then_success_retried_by_the_sdk(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.create_errors = [(429, {"error": {"code": "rate_limited", "message": "slow down"}},
                           {"retry-after-ms": "10"})]
    result = GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert result.path.read_bytes() == mp4_bytes and len(fake.creates) == 2


def test_create_429_past_retries_is_transient_with_retry_after(fake, frames, tmp_path):
    fake.create_errors = [(429, {"error": {"code": "rate_limited", "message": "slow down"}},
                           {"retry-after-ms": "10"})] * 5
    with pytest.raises(TransientError) as err:
        GetimgProvider().video(video_request(fake, frames, max_retries=1), ctx_for(tmp_path))
    assert err.value.retry_after == pytest.approx(0.01) and "slow down" in str(err.value)
    assert len(fake.creates) == 2


def test_poll_500_then_success(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.poll_errors = [(500, {"error": {"code": "internal", "message": "boom"}}, {"retry-after-ms": "5"})] * 4
    result = GetimgProvider().video(video_request(fake, frames, max_retries=1), ctx_for(tmp_path))
    assert result.path.read_bytes() == mp4_bytes and len(fake.creates) == 1


# -- failures -------------------------------------------------------------------------------------

def test_failed_for_content_policy_is_refused(fake, frames, tmp_path):
    fake.final = {"status": "failed", "error": {"code": "content_policy_violation",
                                                "message": "The prompt was flagged by the safety system."}}
    with pytest.raises(RefusedError) as err:
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert "The prompt was flagged by the safety system." in str(err.value) and err.value.job_id == "vid-1"


def test_failed_otherwise_is_provider_error(fake, frames, tmp_path):
    fake.final = {"status": "failed", "error": {"code": "generation_failed", "message": "GPU fell over"}}
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert type(err.value) is ProviderError and "GPU fell over" in str(err.value)


def test_image_refusal_on_create(fake, tmp_path):
    fake.create_errors = [(400, {"error": {"type": "invalid_request_error", "code": "content_policy_violation",
                                           "message": "Request rejected by moderation"}}, {})]
    req = ImageRequest(model="seedream-5-lite", prompt="x", seed=1, width=64, height=36, options=opts(fake))
    with pytest.raises(RefusedError, match="Request rejected by moderation"):
        GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))


def test_timeout_names_the_generation(fake, frames, tmp_path):
    fake.script = ["pending"] * 100_000
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(fake, frames, timeout=0.3), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)
    assert err.value.job_id == "vid-1" and "0.3 s" in str(err.value)


@pytest.mark.parametrize("body", [{"unexpected": True}, "<html>nope</html>"])
def test_malformed_create_is_provider_error(fake, frames, tmp_path, body):
    fake.create_override = body
    with pytest.raises(ProviderError, match="unexpected response") as err:
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)


def test_completed_without_file_is_provider_error(fake, frames, tmp_path):
    fake.final = {"status": "completed", "url": ""}
    with pytest.raises(ProviderError, match="no file"):
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))


def test_download_that_is_not_a_video(fake, frames, tmp_path):
    fake.media_body = b"garbage"
    with pytest.raises(ProviderError, match="not an MP4"):
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))


def test_refused_key_not_in_message(fake, frames, tmp_path):
    fake.create_errors = [(401, {"error": {"message": f"bad key Bearer {KEY}"}}, {})]
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert KEY not in str(err.value) and "GETIMG_API_KEY" in str(err.value)


def test_missing_key_fails_before_any_request(fake, frames, monkeypatch, tmp_path):
    monkeypatch.delenv("GETIMG_API_KEY")
    with pytest.raises(MissingKeyError, match="GETIMG_API_KEY"):
        GetimgProvider().video(video_request(fake, frames), ctx_for(tmp_path))
    assert fake.server.log == []


# -- description ----------------------------------------------------------------------------------

def test_any_model_id_and_checks():
    p = GetimgProvider()
    m = p.resolve_model("kling-2-1-pro")
    assert Job.FIRST_LAST_VIDEO in m.jobs
    assert p.check(Job.FIRST_LAST_VIDEO, m, seconds=5.5, width=1280, height=720, options={})
    assert "4, 8 s" in p.check(Job.FIRST_LAST_VIDEO, m, seconds=5, width=1280, height=720,
                               options={"durations": [4, 8]})[0]
    assert p.check(Job.FIRST_LAST_VIDEO, p.resolve_model("seedream-5-lite"), seconds=5, width=1280,
                   height=720, options={})
    with pytest.raises(KeyError):
        p.resolve_model("bad/id")
    assert p.default_model(Job.FIRST_LAST_VIDEO) == "seedance-v1-pro"
    assert p.estimate(Job.FIRST_LAST_VIDEO, p.resolve_model("seedance-v1-pro"), seconds=5) == pytest.approx(0.3)


def test_entry_point_discovery():
    from storyrender.plugins.manager import load_registry

    assert "getimg" in load_registry().names()
