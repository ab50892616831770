"""The fal provider against a fake fal queue (HTTPS on 127.0.0.1), through the real fal-client."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.media.probe import probe
from storyrender.providers.base import ImageRequest, Job, JobJournal, RunContext, VideoRequest
from storyrender.providers.hosted import SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_fal import FalProvider

from fal_fakes import INGRESS_503, KEY

VEO = "fal-ai/veo3.1/fast/first-last-frame-to-video"
WAN = "fal-ai/wan-flf2v"
KLING = "fal-ai/kling-video/v3/pro/image-to-video"
FAST = {"poll_interval": 0.01}


def video_request(frames, model=VEO, seconds=6.0, last=True, **options):
    first, last_path = frames
    return VideoRequest(model=model, prompt="the cat jumps", seed=7, width=64, height=36,
                        options=options, first=first, last=last_path if last else None,
                        seconds=seconds, negative_prompt="blurry")


class MemoryJournal(JobJournal):
    """The store's job record, in memory (what the runner gives a provider)."""

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
    assert [line.split(" is ", 1)[1] for line in log if " is " in line] == ["in the queue (position 1)", "completed"]
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


def test_kling_is_sent_silent_unless_the_board_asks_and_priced_accordingly(fake, frames, mp4_bytes, tmp_path):
    """The app's default is generate_audio: true (billed about 1.5x): the plugin pins it off."""
    fake.media_body = mp4_bytes
    p = FalProvider()
    silent = p.video(video_request(frames, model=KLING, seconds=3), ctx_for(tmp_path, "a.mp4"))
    loud = p.video(video_request(frames, model=KLING, seconds=3, params={"generate_audio": True}),
                   ctx_for(tmp_path, "b.mp4"))
    first, second = (s["json"] for s in fake.submits)
    assert first["generate_audio"] is False and first["duration"] == "3"
    assert second["generate_audio"] is True
    assert silent.info["list_price_usd"] == pytest.approx(0.112 * 3)
    assert loud.info["list_price_usd"] == pytest.approx(0.168 * 3)


def test_kling_takes_3_to_15_seconds():
    p = FalProvider()
    kling = p.resolve_model(KLING)
    for seconds in (3, 7, 15):
        assert p.check(Job.FIRST_LAST_VIDEO, kling, seconds=seconds, width=64, height=36, options={}) == []
    assert p.check(Job.FIRST_LAST_VIDEO, kling, seconds=16, width=64, height=36, options={})
    assert p.check(Job.FIRST_LAST_VIDEO, kling, seconds=2.5, width=64, height=36, options={})


def test_custom_app_text_to_image(fake, tmp_path):
    fake.media_name, fake.media_body = "img.png", png_bytes(96, 54, (0, 128, 0))
    fake.result = {"images": [{"url": fake.media_url, "width": 96, "height": 54}]}
    req = ImageRequest(model="fal-ai/flux/schnell", prompt="a forest", seed=5, width=64, height=36,
                       options={"inputs": {"prompt": "prompt", "seed": "seed"},
                                "params": {"image_size": "landscape_16_9"}})
    result = FalProvider().text_to_image(req, ctx_for(tmp_path, "k0.png"))
    assert fake.submits[0]["json"] == {"prompt": "a forest", "seed": 5, "image_size": "landscape_16_9"}
    with Image.open(result.path) as img:
        assert img.size == (64, 36) and img.getpixel((10, 10)) == (0, 128, 0)


# -- transient faults and submissions -------------------------------------------------------------

def test_submit_429_is_transient_and_sent_once(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.submit_errors = [(429, {"detail": "Too many requests"}, {"Retry-After": "3"})]
    p = FalProvider()
    with pytest.raises(TransientError, match="HTTP 429") as err:
        p.video(video_request(frames), ctx_for(tmp_path))
    assert err.value.retry_after == 3
    assert len(fake.submits) == 1  # the SDK did not repeat it: the runner retries
    assert p.video(video_request(frames), ctx_for(tmp_path)).path.read_bytes() == mp4_bytes
    assert len(fake.submits) == 2


@pytest.mark.parametrize("answer", [(500, {"detail": "Internal Server Error"}, {}),
                                    (503, {"detail": "busy"}, {"x-fal-request-id": "r"}),
                                    INGRESS_503, (504, {"detail": "gateway"}, {})],
                         ids=["500", "503", "503-ingress", "504"])
def test_submit_5xx_is_sent_once_and_uncertain(fake, frames, tmp_path, answer):
    # the SDK would repeat an ingress 503/504 up to 10 times (_maybe_retry_request): not here
    fake.submit_errors = [answer]
    journal = MemoryJournal()
    with pytest.raises(SubmitUncertain) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert len(fake.submits) == 1
    assert f"HTTP {answer[0]}" in str(err.value) and "https://fal.ai/dashboard/requests" in str(err.value)
    assert journal.value is None


def test_submit_408_and_409_are_not_repeated_by_the_sdk(fake, frames, tmp_path):
    # fal_client's RETRY_CODES would repeat these submissions up to 10 times
    fake.submit_errors = [(408, {"detail": "request timeout"}, {})]
    with pytest.raises(TransientError, match="HTTP 408"):  # the request was not read: the runner retries
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert len(fake.submits) == 1
    fake.submit_errors = [(409, {"detail": "conflict"}, {})]
    with pytest.raises(ProviderError, match="HTTP 409") as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert not isinstance(err.value, TransientError)
    assert len(fake.submits) == 2


def test_submit_to_a_closed_port_is_transient(fake, frames, tmp_path, monkeypatch):
    import fal_client.client as fc

    from fal_fakes import _free_port

    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"https://127.0.0.1:{_free_port()}/")
    with pytest.raises(TransientError, match="ConnectError"):
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert fake.submits == []


def test_status_5xx_is_transient_and_the_retry_resumes(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.status_errors = [(500, {"detail": "oops"}, {})]
    journal = MemoryJournal()
    p = FalProvider()
    with pytest.raises(TransientError, match="HTTP 500"):
        p.video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert journal.value["job_id"] == "req-1"
    log: list[str] = []
    result = p.video(video_request(frames), ctx_for(tmp_path, journal=journal, log=log))
    assert result.path.read_bytes() == mp4_bytes
    assert len(fake.submits) == 1 and any("resuming job req-1" in line for line in log)


def test_result_500_is_transient_and_the_retry_fetches_again(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    fake.result_errors = [(500, {"detail": "storage hiccup"}, {})]
    journal = MemoryJournal()
    p = FalProvider()
    with pytest.raises(TransientError):
        p.video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert p.video(video_request(frames), ctx_for(tmp_path, journal=journal)).path.read_bytes() == mp4_bytes
    assert len(fake.submits) == 1


def test_recorded_request_unknown_at_fal_is_submitted_again(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    journal = MemoryJournal()
    journal.record("req-gone", provider="fal")
    log: list[str] = []
    FalProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal, log=log))
    assert fake.polled[0] == "req-gone" and len(fake.submits) == 1
    assert any("gone at the vendor" in line for line in log)


# -- failures -------------------------------------------------------------------------------------

def test_content_policy_violation_is_refused_with_vendor_reason(fake, frames, tmp_path):
    fake.result_errors = [(422, {"detail": [{
        "loc": ["body", "prompt"], "msg": "The content was flagged by a content checker.",
        "type": "content_policy_violation", "url": "https://docs.fal.ai/errors#content_policy_violation",
    }]}, {"X-Fal-Error-Type": "content_policy_violation"})]
    journal = MemoryJournal()
    with pytest.raises(RefusedError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert "The content was flagged by a content checker. [prompt]" in str(err.value)
    assert err.value.job_id == "req-1"
    assert journal.value is None  # nothing to resume: a new prompt is a new request


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
    assert not isinstance(err.value, TransientError)  # fal already retried it on new runners
    assert "Runner crashed" in str(err.value) and err.value.job_id == "req-1"


def test_completed_with_content_policy_error_is_refused(fake, frames, tmp_path):
    fake.completed_extra = {"error": "Output flagged", "error_type": "content_policy_violation"}
    with pytest.raises(RefusedError):
        FalProvider().video(video_request(frames), ctx_for(tmp_path))


def test_timeout_cancels_the_request(fake, frames, tmp_path):
    fake.script = ["IN_QUEUE"] + ["IN_PROGRESS"] * 10_000
    with pytest.raises(ProviderError) as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path, timeout=0.3))
    assert not isinstance(err.value, TransientError)
    assert err.value.job_id == "req-1" and "0.3 s" in str(err.value)
    assert fake.cancels == ["req-1"]


@pytest.mark.parametrize("body", [{"nope": 1}, "<html>not json</html>"])
def test_malformed_submit_response_is_uncertain(fake, frames, tmp_path, body):
    fake.submit_override = body
    with pytest.raises(SubmitUncertain, match="unexpected answer from the queue"):
        FalProvider().video(video_request(frames), ctx_for(tmp_path))
    assert len(fake.submits) == 1


def test_result_without_video_is_provider_error(fake, frames, tmp_path):
    fake.result = {"something": "else"}
    journal = MemoryJournal()
    with pytest.raises(ProviderError, match="no file") as err:
        FalProvider().video(video_request(frames), ctx_for(tmp_path, journal=journal))
    assert err.value.job_id == "req-1" and journal.value is None


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


def test_reads_and_options_schema():
    p = FalProvider()
    assert p.reads_for(Job.FIRST_LAST_VIDEO, p.resolve_model(WAN)) == {"camera", "negative_prompt", "seed"}
    assert p.reads_for(Job.FIRST_LAST_VIDEO, p.resolve_model(VEO)) == {"camera", "negative_prompt"}
    assert p.reads_for(Job.TEXT_TO_IMAGE, p.resolve_model("fal-ai/flux/schnell")) == {"negative_prompt", "seed"}
    names = {o.name: o.identity for o in p.options_schema}
    assert names == {"timeout": False, "poll_interval": False, "read_timeout": False, "upload": False,
                     "inputs": True, "params": True, "durations": True, "keyframe_prompt": True}


def test_camera_and_inline_negative_in_the_prompt(fake, frames, mp4_bytes, tmp_path):
    fake.media_body = mp4_bytes
    req = VideoRequest(model="acme/interp", prompt="the cat jumps", seed=3, width=64, height=36,
                       options={"inputs": {"first_frame": "a", "last_frame": "b", "prompt": "text"}},
                       first=frames[0], last=frames[1], seconds=1, negative_prompt="blur", camera="slow pan left")
    FalProvider().video(req, ctx_for(tmp_path))
    assert fake.submits[0]["json"]["text"] == "the cat jumps. Camera: slow pan left. Avoid: blur."


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


# -- plan follows the options that change the price -------------------------------------------------

def _plan_total(tmp_path, video: str) -> float:
    import json
    import subprocess
    import sys

    board = tmp_path / "board.yaml"
    board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 5\n"
                     f"providers: {{image: local, keyframe: local, video: {video}}}\n"
                     "beats:\n  - {prompt: a cat}\n  - {prompt: a dog}\n")
    proc = subprocess.run([sys.executable, "-m", "storyrender", "plan", "--json", str(board), "--cache-dir",
                           str(tmp_path / "cache")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["totals"]["estimate_usd"]


@pytest.mark.slow
def test_plan_estimates_kling_with_audio_at_its_own_price(tmp_path):
    silent = _plan_total(tmp_path, f"fal/{KLING}")
    loud = _plan_total(tmp_path, f"{{use: fal/{KLING}, options: {{params: {{generate_audio: true}}}}}}")
    assert silent == pytest.approx(2 * 5 * 0.112)
    assert loud == pytest.approx(2 * 5 * 0.168)
