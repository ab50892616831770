"""The luma provider against a fake Luma API on 127.0.0.1, through the real lumaai SDK; frames reach
it as presigned URLs of an S3 emulator standing in for the remote cache."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from luma_fakes import KEY
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.provider_api import ImageRequest, Job, JobJournal, RunContext, VideoRequest
from storyrender.providers.hosted import SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_luma import LumaProvider

FAST = {"poll_interval": 0.01}


class MemoryJournal(JobJournal):
    def __init__(self) -> None:
        self.value: dict | None = None
        super().__init__(lambda: self.value, self._set, self._clear)

    def _set(self, job: dict) -> None:
        self.value = job

    def _clear(self) -> None:
        self.value = None


def ctx_for(tmp_path: Path, name: str = "seg.mp4", log: list | None = None, journal=None, **call) -> RunContext:
    return RunContext(tmp_path / name, log=(log.append if log is not None else None), call={**FAST, **call},
                      journal=journal)


def video_request(frames, model="ray-2", seconds=5.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=None, width=64, height=36, options=options,
                        first=first, last=last_path if last else None, seconds=seconds, negative_prompt="blurry")


@pytest.fixture
def served(fake, bucket, mp4_bytes):
    fake.files = {"clip.mp4": mp4_bytes, "image.png": png_bytes(64, 36, (30, 30, 200))}
    return fake


@pytest.mark.slow
def test_first_and_last_frame_by_presigned_url_polling_and_result(served, bucket, frames, mp4_bytes, tmp_path):
    log: list[str] = []
    result = LumaProvider().video(video_request(frames), ctx_for(tmp_path, log=log))
    assert len(served.creates) == 1
    sent = served.creates[0]
    assert sent["path"] == "/generations/video" and sent["headers"]["Authorization"] == f"Bearer {KEY}"
    body = sent["json"]
    assert body["model"] == "ray-2" and body["duration"] == "5s" and body["aspect_ratio"] == "16:9"
    assert body["resolution"] == "720p" and body["loop"] is False  # pinned, never the vendor's default
    assert body["prompt"] == "the cat jumps Avoid: blurry."
    for name, path in (("frame0", frames[0]), ("frame1", frames[1])):
        frame = body["keyframes"][name]
        assert frame["type"] == "image" and "Signature=" in frame["url"] and "Expires=" in frame["url"].replace("X-Amz-Expires", "Expires")
        assert httpx.get(frame["url"]).content == path.read_bytes()  # the bucket serves it, not this machine
    client, name = bucket
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]]
    assert len(keys) == 2 and all(k.startswith("shared/frames/") and k.endswith(".png") for k in keys)
    assert served.polled == ["gen-1"] * 3  # queued -> dreaming -> completed
    assert "luma/ray-2: job gen-1 is queued" in log
    assert result.path.read_bytes() == mp4_bytes and probe(result.path).frames == 12
    assert result.info == {"job_id": "gen-1", "model": "ray-2"}


@pytest.mark.slow
def test_resolution_option_is_sent(served, frames, tmp_path):
    LumaProvider().video(video_request(frames, model="ray-flash-2", seconds=9, resolution="1080p"), ctx_for(tmp_path))
    body = served.creates[0]["json"]
    assert body["resolution"] == "1080p" and body["duration"] == "9s" and body["model"] == "ray-flash-2"


@pytest.mark.slow
def test_first_frame_only(served, frames, tmp_path):
    LumaProvider().video(video_request(frames, last=False), ctx_for(tmp_path))
    assert list(served.creates[0]["json"]["keyframes"]) == ["frame0"]


def test_photon_text_to_image(served, tmp_path):
    req = ImageRequest(model="photon-1", prompt="a forest", seed=None, width=64, height=36)
    result = LumaProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    assert served.creates[0]["path"] == "/generations/image"
    assert served.creates[0]["json"] == {"model": "photon-1", "prompt": "a forest", "aspect_ratio": "16:9",
                                         "format": "png"}
    with Image.open(result.path) as img:
        assert img.size == (64, 36) and img.getpixel((5, 5)) == (30, 30, 200)


@pytest.mark.slow
def test_refusal(served, frames, tmp_path):
    served.failure = "400: prompt not allowed because advanced moderation failed"
    with pytest.raises(RefusedError, match="moderation"):
        LumaProvider().video(video_request(frames), ctx_for(tmp_path))


@pytest.mark.slow
def test_429_then_success(served, frames, tmp_path):
    served.create_errors = [(429, {"detail": "Rate limit exceeded"}, {"Retry-After": "2"})]
    p = LumaProvider()
    with pytest.raises(TransientError) as caught:
        p.video(video_request(frames), ctx_for(tmp_path))
    assert caught.value.retry_after == 2
    assert p.video(video_request(frames), ctx_for(tmp_path)).info["job_id"] == "gen-1"
    assert len(served.creates) == 2


@pytest.mark.slow
def test_5xx_on_submit_is_not_repeated(served, frames, tmp_path):
    served.create_errors = [(500, {"detail": "internal"}, {})]
    with pytest.raises(SubmitUncertain, match="may have accepted"):
        LumaProvider().video(video_request(frames), ctx_for(tmp_path))
    assert len(served.creates) == 1


@pytest.mark.slow
def test_timeout_cancels(served, frames, tmp_path):
    served.hold = True
    with pytest.raises(ProviderError, match="did not finish within 0.2 s"):
        LumaProvider().video(video_request(frames), ctx_for(tmp_path, timeout=0.2))
    assert served.deleted == ["gen-1"]


def test_recorded_generation_is_resumed(served, frames, tmp_path):
    journal = MemoryJournal()
    journal.record("gen-7", provider="luma")
    served._gens["gen-7"] = {"script": [], "kind": "video"}
    assert LumaProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal)).info["job_id"] == "gen-7"
    assert served.creates == []


def test_missing_key_uploads_and_sends_nothing(served, bucket, frames, tmp_path, monkeypatch):
    monkeypatch.delenv("LUMAAI_API_KEY")
    with pytest.raises(MissingKeyError, match="LUMAAI_API_KEY"):
        LumaProvider().video(video_request(frames), ctx_for(tmp_path))
    client, name = bucket
    assert served.creates == [] and client.list_objects_v2(Bucket=name).get("KeyCount") == 0


def test_validate_needs_a_bucket_for_frames(monkeypatch):
    p = LumaProvider()
    ray = p.model_info("ray-2")
    monkeypatch.delenv("STORYRENDER_REMOTE_CACHE", raising=False)
    problems = p.check(Job.FIRST_LAST_VIDEO, ray, seconds=5, width=160, height=90, options={})
    assert len(problems) == 1 and "STORYRENDER_REMOTE_CACHE=s3://BUCKET/PREFIX" in problems[0]
    monkeypatch.setenv("STORYRENDER_REMOTE_CACHE", "s3://b/p")
    assert p.check(Job.FIRST_LAST_VIDEO, ray, seconds=5, width=160, height=90, options={}) == []
    assert "5, 9 s" in p.check(Job.FIRST_LAST_VIDEO, ray, seconds=6, width=160, height=90, options={})[0]
    assert p.default_model(Job.FIRST_LAST_VIDEO) == "ray-2" and p.default_model(Job.TEXT_TO_IMAGE) == "photon-1"
    assert all(m.status == "ga" for m in p.models)
