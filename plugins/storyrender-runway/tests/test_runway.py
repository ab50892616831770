"""The runway provider against a fake Runway API on 127.0.0.1, through the real runwayml SDK."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image
from runway_fakes import KEY

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.provider_api import ImageRequest, Job, JobJournal, KeyframeRequest, RunContext, VideoRequest
from storyrender.providers.hosted import SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_runway import RunwayProvider

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


def video_request(frames, model="veo3.1_fast", seconds=4.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=7, width=64, height=36, options=options,
                        first=first, last=last_path if last else None, seconds=seconds, negative_prompt="blurry",
                        camera="push-in")


def decoded(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


@pytest.fixture
def served(fake, mp4_bytes):
    fake.files = {"clip.mp4": mp4_bytes, "image.png": png_bytes(64, 36, (200, 30, 30))}
    return fake


@pytest.mark.slow
def test_veo_first_and_last_frame_wire_shape_polling_and_result(served, frames, mp4_bytes, tmp_path):
    log: list[str] = []
    result = RunwayProvider().video(video_request(frames), ctx_for(tmp_path, log=log))
    assert len(served.creates) == 1
    sent = served.creates[0]
    assert sent["path"] == "/v1/image_to_video"
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert sent["headers"]["X-Runway-Version"] == "2024-11-06"
    body = sent["json"]
    assert body["model"] == "veo3.1_fast" and body["ratio"] == "1280:720" and body["duration"] == 4
    assert [img["position"] for img in body["promptImage"]] == ["first", "last"]
    assert decoded(body["promptImage"][0]["uri"]) == frames[0].read_bytes()
    assert decoded(body["promptImage"][1]["uri"]) == frames[1].read_bytes()
    assert body["audio"] is False  # pinned: the vendor bills audio higher
    assert body["negativePrompt"] == "blurry" and body["promptText"] == "the cat jumps. Camera: push-in."
    assert body["seed"] == 7
    # PENDING -> RUNNING -> SUCCEEDED, each poll of the one task
    assert served.polled == ["task-1"] * 3
    assert "runway/veo3.1_fast: job task-1 accepted" in log and "runway/veo3.1_fast: job task-1 is pending" in log
    assert result.path.read_bytes() == mp4_bytes and probe(result.path).frames == 12
    assert result.info == {"job_id": "task-1", "model": "veo3.1_fast", "credits": 40}


def test_audio_only_when_the_board_asks(served, frames, tmp_path):
    RunwayProvider().video(video_request(frames, audio=True), ctx_for(tmp_path))
    assert served.creates[0]["json"]["audio"] is True


def test_gen45_takes_a_first_frame_only(served, frames, tmp_path):
    p = RunwayProvider()
    p.video(video_request(frames, model="gen4.5", seconds=3, last=False), ctx_for(tmp_path))
    body = served.creates[0]["json"]
    assert [img["position"] for img in body["promptImage"]] == ["first"]
    assert "audio" not in body and "negativePrompt" not in body
    assert body["promptText"].endswith("Avoid: blurry.")  # no negative-prompt parameter: inline
    with pytest.raises(ProviderError, match="takes no last frame"):
        p.video(video_request(frames, model="gen4.5", seconds=3), ctx_for(tmp_path, "b.mp4"))
    assert len(served.creates) == 1
    gen = p.model_info("gen4.5")
    assert gen.jobs == {Job.FIRST_FRAME_VIDEO}
    assert p.check(Job.FIRST_FRAME_VIDEO, gen, seconds=11, width=64, height=36, options={})


def test_images_text_to_image_and_next_keyframe_reference(served, frames, tmp_path):
    p = RunwayProvider()
    req = ImageRequest(model="gen4_image", prompt="a forest", seed=3, width=64, height=36)
    first = p.text_to_image(req, ctx_for(tmp_path, "k0.png"))
    nxt = KeyframeRequest(model="gen4_image", prompt="the cat climbs", seed=4, width=64, height=36,
                          previous=frames[0], seconds=2)
    p.next_keyframe(nxt, ctx_for(tmp_path, "k1.png"))
    a, b = (c["json"] for c in served.creates)
    assert served.creates[0]["path"] == "/v1/text_to_image"
    assert a == {"model": "gen4_image", "promptText": "a forest", "ratio": "1920:1080", "seed": 3}
    assert b["referenceImages"][0]["tag"] == "previous"
    assert decoded(b["referenceImages"][0]["uri"]) == frames[0].read_bytes()
    assert b["promptText"].startswith("@previous: The same scene, 2 seconds later: the cat climbs")
    with Image.open(first.path) as img:
        assert img.size == (64, 36) and img.getpixel((5, 5)) == (200, 30, 30)


def test_refusal_is_a_refused_error(served, frames, tmp_path):
    served.failure = ("The prompt did not pass content moderation", "SAFETY.INPUT.TEXT")
    journal = MemoryJournal()
    with pytest.raises(RefusedError, match="content moderation"):
        RunwayProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert journal.value is None  # the vendor will not make it: a retry must submit again


def test_429_then_success(served, frames, tmp_path):
    served.create_errors = [(429, {"error": "Too many requests"}, {"Retry-After": "3"})]
    p = RunwayProvider()
    with pytest.raises(TransientError) as caught:
        p.video(video_request(frames), ctx_for(tmp_path))
    assert caught.value.retry_after == 3 and "HTTP 429" in str(caught.value)
    result = p.video(video_request(frames), ctx_for(tmp_path))  # the runner's retry
    assert len(served.creates) == 2 and served.polled[-1] == "task-1"
    assert result.info["job_id"] == "task-1"


def test_5xx_on_submit_is_not_repeated(served, frames, tmp_path):
    served.create_errors = [(502, {"error": "bad gateway"}, {})]
    with pytest.raises(SubmitUncertain, match="may have accepted"):
        RunwayProvider().video(video_request(frames), ctx_for(tmp_path))
    assert len(served.creates) == 1  # SDK retries are off


def test_timeout_cancels_the_task(served, frames, tmp_path):
    served.hold = True
    journal = MemoryJournal()
    with pytest.raises(ProviderError, match="did not finish within 0.2 s; it was cancelled"):
        RunwayProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal, timeout=0.2))
    assert served.deleted == ["task-1"] and journal.value is None


def test_a_recorded_task_is_resumed_not_submitted_again(served, frames, tmp_path):
    journal = MemoryJournal()
    journal.record("task-9", provider="runway")
    served._tasks["task-9"] = {"script": ["RUNNING"], "file": "clip.mp4"}
    result = RunwayProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert served.creates == [] and result.info["job_id"] == "task-9"


def test_missing_key_sends_nothing(served, frames, tmp_path, monkeypatch):
    monkeypatch.delenv("RUNWAYML_API_SECRET")
    with pytest.raises(MissingKeyError, match="RUNWAYML_API_SECRET"):
        RunwayProvider().video(video_request(frames), ctx_for(tmp_path))
    assert served.creates == []


def test_listed_with_jobs_limits_and_lifecycle():
    from storyrender.plugins.manager import load_registry

    p = load_registry().get("runway")
    assert p.default_model(Job.FIRST_LAST_VIDEO) == "veo3.1_fast"
    assert p.default_model(Job.TEXT_TO_IMAGE) == "gen4_image"
    assert all(m.status == "ga" and m.lifecycle.source for m in p.models)
    veo = p.model_info("veo3.1")
    assert p.check(Job.FIRST_LAST_VIDEO, veo, seconds=5, width=1280, height=720, options={})
    assert p.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=640, height=480, options={})
    assert p.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=1280, height=720, options={"ratio": "960:960"})
    assert p.check(Job.FIRST_LAST_VIDEO, veo, seconds=6, width=1280, height=720, options={}) == []


def test_a_file_that_is_not_a_video_clears_the_record(served, frames, tmp_path):
    served.files["clip.mp4"] = b"<html>not a video</html>"
    journal = MemoryJournal()
    with pytest.raises(ProviderError):
        RunwayProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert journal.value is None and not (tmp_path / "seg.mp4").exists()
