"""The getimg provider against a fake getimg.ai v2 API, through the real getimg SDK."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import ImageRequest, Job, JobJournal, KeyframeRequest, RunContext, VideoRequest
from storyrender.providers.hosted import SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_getimg import GetimgProvider

from getimg_fakes import KEY


def video_request(frames, model="seedance-v1-pro", seconds=5.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=None, width=64, height=36,
                        options=options, first=first, last=last_path if last else None, seconds=seconds)


class Journal:
    """The store's job record for one node, in memory."""

    def __init__(self) -> None:
        self.job: dict | None = None

    def journal(self) -> JobJournal:
        def record(job):
            self.job = dict(job)

        def clear():
            self.job = None

        return JobJournal(lambda: self.job, record, clear)


def ctx_for(tmp_path: Path, name: str = "seg.mp4", log: list | None = None, journal=None,
            **call) -> RunContext:
    call = {"poll_interval": 0.01, **call}
    return RunContext(tmp_path / name, log=(log.append if log is not None else None), call=call,
                      journal=journal.journal() if journal is not None else None)


def data_uri_bytes(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


# -- success paths --------------------------------------------------------------------------------

def test_first_last_video_success(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    log: list[str] = []
    journal = Journal()
    result = GetimgProvider().video(video_request(frames, resolution="720p"),
                                    ctx_for(tmp_path, log=log, journal=journal))

    assert len(fake.creates) == 1
    create = fake.creates[0]
    assert create["path"] == "/v2/videos/generations"
    assert create["headers"]["Authorization"] == f"Bearer {KEY}"
    assert "Idempotency-Key" not in create["headers"]  # the SDK sends none (see the module docstring)
    body = create["json"]
    assert body["model"] == "seedance-v1-pro" and body["prompt"] == "the cat jumps"
    assert body["duration"] == 5 and body["aspect_ratio"] == "16:9" and body["resolution"] == "720p"
    assert body["sound"] is False and "seed" not in body
    roles = {img["role"]: data_uri_bytes(img["url"]) for img in body["images"]}
    assert roles == {"first_frame": frames[0].read_bytes(), "last_frame": frames[1].read_bytes()}
    # pending -> processing -> processing -> completed
    assert fake.polls == 4
    assert any("job vid-1 accepted" in line for line in log)
    assert any(line.endswith("vid-1 is pending") for line in log)
    assert result.path.read_bytes() == mp4_bytes and probe(result.path).frames == 12
    assert result.cost_usd == pytest.approx(0.3)  # usage.total_cost, the actual cost
    assert result.info["job_id"] == "vid-1" and result.info["fps"] == 24
    assert journal.job["job_id"] == "vid-1" and journal.job["provider"] == "getimg"  # recorded while waiting


def test_first_frame_only_video(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    GetimgProvider().video(video_request(frames, last=False, params={"seed": 3}), ctx_for(tmp_path))
    body = fake.creates[0]["json"]
    assert [img["role"] for img in body["images"]] == ["first_frame"]
    assert body["seed"] == 3  # extra fields go through extra_body


def test_video_prompt_carries_camera_and_negative_prompt(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    req = video_request(frames)
    req = VideoRequest(**{**req.__dict__, "camera": "slow push-in", "negative_prompt": "text, logos"})
    GetimgProvider().video(req, ctx_for(tmp_path))
    assert fake.creates[0]["json"]["prompt"] == "the cat jumps. Camera: slow push-in. Avoid: text, logos."


def test_text_to_image(fake, tmp_path):
    fake.media_name, fake.media_body, fake.cost = "k0.png", png_bytes(96, 54, (0, 99, 0)), 0.035
    req = ImageRequest(model="seedream-5-lite", prompt="a forest", seed=None, width=64, height=36)
    journal = Journal()
    result = GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png", journal=journal))
    body = fake.creates[0]["json"]
    assert fake.creates[0]["path"] == "/v2/images/generations"
    assert body == {"model": "seedream-5-lite", "prompt": "a forest", "aspect_ratio": "16:9", "output_format": "png"}
    with Image.open(result.path) as img:
        assert img.size == (64, 36) and img.getpixel((5, 5)) == (0, 99, 0)
    assert result.cost_usd == pytest.approx(0.035) and result.info["native_size"] == [96, 54]
    assert result.info["job_id"] == "img-1"
    assert journal.job["job_id"] == "img-1" and journal.job["url"].endswith("/media/k0.png?sig=abc")


def test_next_keyframe_sends_the_previous_keyframe(fake, frames, tmp_path, monkeypatch):
    fake.media_name, fake.media_body = "k1.png", png_bytes(64, 36, (1, 1, 1))
    req = KeyframeRequest(model="seedream-5-lite", prompt="the cat climbs", seed=None, width=64, height=36,
                          previous=frames[0], seconds=6, camera="pan left", negative_prompt="blur")
    GetimgProvider().next_keyframe(req, ctx_for(tmp_path, "k1.png"))
    body = fake.creates[0]["json"]
    assert body["prompt"] == "The same scene, 6 seconds later: the cat climbs. Camera: pan left. Avoid: blur."
    assert [data_uri_bytes(i["url"]) for i in body["images"]] == [frames[0].read_bytes()]


def test_reads_and_options():
    p = GetimgProvider()
    assert p.reads_for(Job.TEXT_TO_IMAGE) == {"negative_prompt"}
    assert p.reads_for(Job.NEXT_KEYFRAME) == p.reads_for(Job.FIRST_LAST_VIDEO) == {"camera", "negative_prompt"}
    names = {o.name: o.identity for o in p.options_schema}
    assert {k for k, v in names.items() if not v} == {"timeout", "read_timeout", "poll_interval", "durations"}
    assert "max_retries" not in names and "poll_retries" not in names


def test_the_sdk_client_never_retries(fake, frames, tmp_path, monkeypatch):
    import getimg

    made = []
    real = getimg.GetimgAI

    def spy(**kwargs):
        made.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(getimg, "GetimgAI", spy)
    fake.create_errors = [(500, {"error": {"code": "internal", "message": "boom"}}, {})]
    with pytest.raises(SubmitUncertain):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert made and all(k["max_retries"] == 0 for k in made)
    assert len(fake.creates) == 1


# -- transient faults -----------------------------------------------------------------------------

def test_create_429_is_transient_with_retry_after_and_not_repeated_by_the_sdk(fake, frames, tmp_path):
    fake.create_errors = [(429, {"error": {"code": "rate_limited", "message": "slow down"}},
                           {"retry-after-ms": "10"})] * 5
    with pytest.raises(TransientError) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert err.value.retry_after == pytest.approx(0.01) and "slow down" in str(err.value)
    assert len(fake.creates) == 1


def test_create_refused_connection_is_transient(frames, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("GETIMG_AI_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError, match="nothing was sent"):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))


def test_create_500_is_uncertain_and_names_where_to_look(fake, frames, tmp_path):
    fake.create_errors = [(500, {"error": {"code": "internal", "message": "boom"}}, {})]
    with pytest.raises(SubmitUncertain) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert "HTTP 500" in str(err.value) and "/v2/billing/costs" in str(err.value)
    assert not isinstance(err.value, TransientError)


def test_poll_500_is_transient_and_the_retry_resumes_the_job(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.poll_errors = [(500, {"error": {"code": "internal", "message": "boom"}}, {})]
    journal = Journal()
    with pytest.raises(TransientError, match="HTTP 500"):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert journal.job["job_id"] == "vid-1"
    result = GetimgProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert result.path.read_bytes() == mp4_bytes and len(fake.creates) == 1
    assert result.info["job_id"] == "vid-1"


def test_a_job_gone_at_the_vendor_is_submitted_again(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    journal = Journal()
    journal.job = {"provider": "getimg", "job_id": "vid-unknown"}
    result = GetimgProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert "vid-unknown" in fake.polled and len(fake.creates) == 1
    assert result.info["job_id"] == "vid-1"


def test_image_download_failing_is_retried_from_the_recorded_url(fake, tmp_path):
    fake.media_name, fake.media_body = "k0.png", png_bytes(96, 54, (0, 99, 0))
    fake.media_failures = 1
    journal = Journal()
    req = ImageRequest(model="seedream-5-lite", prompt="a forest", seed=None, width=64, height=36)
    with pytest.raises(TransientError, match="downloading the result"):
        GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png", journal=journal))
    result = GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png", journal=journal))
    assert len(fake.creates) == 1 and fake.media_gets == 2  # generated once, downloaded twice
    assert result.info["job_id"] == "img-1" and result.cost_usd == pytest.approx(0.3)


def test_an_expired_image_url_generates_a_new_image(fake, tmp_path):
    fake.media_name, fake.media_body = "k0.png", png_bytes(96, 54, (0, 99, 0))
    journal = Journal()
    journal.job = {"provider": "getimg", "job_id": "img-old", "url": fake.url_for("expired.png")}
    req = ImageRequest(model="seedream-5-lite", prompt="a forest", seed=None, width=64, height=36)
    result = GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png", journal=journal))
    assert len(fake.creates) == 1 and result.info["job_id"] == "img-1"


def test_image_answer_timing_out_is_uncertain_and_sent_once(fake, tmp_path):
    fake.media_name, fake.media_body = "k0.png", png_bytes(96, 54, (0, 99, 0))
    fake.create_delay = 1.0
    journal = Journal()
    req = ImageRequest(model="seedream-5-lite", prompt="a forest", seed=None, width=64, height=36)
    with pytest.raises(SubmitUncertain) as err:
        GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png", journal=journal, timeout=0.3))
    assert len(fake.creates) == 1
    assert "did not answer within 0.3 s" in str(err.value) and "/v2/billing/costs" in str(err.value)
    assert "timeout option" in str(err.value)
    assert journal.job is None  # no id came back: nothing to resume


# -- failures -------------------------------------------------------------------------------------

def test_failed_for_content_policy_is_refused(fake, frames, tmp_path):
    fake.final = {"status": "failed", "error": {"code": "content_policy_violation",
                                                "message": "The prompt was flagged by the safety system."}}
    journal = Journal()
    with pytest.raises(RefusedError) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert "The prompt was flagged by the safety system." in str(err.value) and err.value.job_id == "vid-1"
    assert journal.job is None  # a failed generation is not resumed


def test_failed_otherwise_is_provider_error(fake, frames, tmp_path):
    fake.final = {"status": "failed", "error": {"code": "generation_failed", "message": "GPU fell over"}}
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert type(err.value) is ProviderError and "GPU fell over" in str(err.value)


def test_image_refusal_on_create(fake, tmp_path):
    fake.create_errors = [(400, {"error": {"type": "invalid_request_error", "code": "content_policy_violation",
                                           "message": "Request rejected by moderation"}}, {})]
    req = ImageRequest(model="seedream-5-lite", prompt="x", seed=None, width=64, height=36)
    with pytest.raises(RefusedError, match="Request rejected by moderation"):
        GetimgProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))


def test_timeout_names_the_generation(fake, frames, tmp_path):
    fake.hold = True
    log: list[str] = []
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path, log=log, timeout=0.3))
    assert not isinstance(err.value, TransientError)
    assert err.value.job_id == "vid-1" and "0.3 s" in str(err.value)
    assert "cannot cancel" in str(err.value) and "billed" in str(err.value)
    assert any("cannot cancel" in line for line in log)


@pytest.mark.parametrize("body", [{"unexpected": True}, "<html>nope</html>"])
def test_malformed_create_is_provider_error(fake, frames, tmp_path, body):
    fake.create_override = body
    with pytest.raises(ProviderError, match="unexpected response") as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)


def test_completed_without_file_is_provider_error(fake, frames, tmp_path):
    fake.final = {"status": "completed", "url": ""}
    with pytest.raises(ProviderError, match="no file"):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))


def test_download_that_is_not_a_video(fake, frames, tmp_path):
    fake.media_body = b"garbage"
    journal = Journal()
    with pytest.raises(ProviderError, match="not an MP4"):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert journal.job is None  # a useless result is not collected again


def test_refused_key_not_in_message(fake, frames, tmp_path):
    fake.create_errors = [(401, {"error": {"message": f"bad key Bearer {KEY}"}}, {})]
    with pytest.raises(ProviderError) as err:
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
    assert KEY not in str(err.value) and "GETIMG_API_KEY" in str(err.value)


def test_missing_key_fails_before_any_request(fake, frames, monkeypatch, tmp_path):
    monkeypatch.delenv("GETIMG_API_KEY")
    with pytest.raises(MissingKeyError, match="GETIMG_API_KEY"):
        GetimgProvider().video(video_request(frames), ctx_for(tmp_path))
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
