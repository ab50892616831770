"""OpenAI speech (``say:`` lines) through the real SDK against a fake of ``POST /v1/audio/speech``."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import textwrap
import time
import wave

import av
import numpy as np
import pytest
from werkzeug import Request, Response

from openai_fakes import TEST_KEY, error_body, make_ctx
from storyrender.errors import MissingKeyError, RefusedError, TransientError
from storyrender.providers.base import SpeechRequest
from storyrender.providers.hosted import SubmitUncertain

SPEECH = "/v1/audio/speech"


def wav_bytes(seconds: float, freq: float = 300.0, rate: int = 24000) -> bytes:
    """What the API answers for ``response_format: wav``: 24 kHz mono 16-bit PCM."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


class FakeSpeech:
    """Answers queued (status, body, headers, delay) in order, else a 0.5 s WAV; records every request."""

    def __init__(self, server) -> None:
        self.seen: list[dict] = []
        self.queue: list[tuple[int, bytes | dict, dict, float]] = []
        self.url = server.url_for("/v1")
        server.expect_request(SPEECH, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.seen.append({"json": request.get_json(), "auth": request.headers.get("Authorization", ""),
                          "accept": request.headers.get("Accept", "")})
        status, body, headers, delay = self.queue.pop(0) if self.queue else (200, wav_bytes(0.5), {}, 0.0)
        if delay:
            time.sleep(delay)
        if isinstance(body, dict):
            return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
        return Response(body, status=status, headers={"x-request-id": f"req_{len(self.seen)}", **headers},
                        content_type="audio/wav")


@pytest.fixture
def speech(httpserver, env, monkeypatch) -> FakeSpeech:
    served = FakeSpeech(httpserver)
    monkeypatch.setenv("OPENAI_BASE_URL", served.url)
    return served


def request(**options) -> SpeechRequest:
    return SpeechRequest(model="gpt-4o-mini-tts", text="Every forest has a heart.", seed=None, voice="coral",
                         options=options)


def test_success_sends_the_documented_request_and_writes_48k_stereo_wav(provider, speech, tmp_path):
    speech.queue.append((200, wav_bytes(1.25), {}, 0.0))
    ctx = make_ctx(tmp_path / "voice.wav")
    result = provider.speech(request(speed=1.2, instructions="calm and warm"), ctx)
    assert len(speech.seen) == 1
    sent = speech.seen[0]
    assert sent["json"] == {"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Every forest has a heart.",
                            "response_format": "wav", "speed": 1.2, "instructions": "calm and warm"}
    assert sent["auth"] == f"Bearer {TEST_KEY}"
    with av.open(str(result.path)) as f:
        s = f.streams.audio[0]
        assert (s.rate, s.channels) == (48000, 2)
        assert abs(float(s.duration * s.time_base) - 1.25) < 0.01
    assert result.info["request_id"] == "req_1" and result.info["voice"] == "coral"
    assert result.cost_usd == pytest.approx(1.25 * 0.015 / 60, rel=1e-3)
    assert TEST_KEY not in json.dumps(result.info)


def test_tts1_is_priced_by_its_characters(provider, speech, tmp_path):
    req = SpeechRequest(model="tts-1", text="x" * 100, seed=None, voice="alloy")
    result = provider.speech(req, make_ctx(tmp_path / "v.wav"))
    assert result.cost_usd == pytest.approx(100 * 15e-6)
    assert "instructions" not in speech.seen[0]["json"] and "speed" not in speech.seen[0]["json"]


def test_refusal_is_a_refused_error_and_is_sent_once(provider, speech, tmp_path):
    speech.queue.append((400, error_body("the input was flagged", "moderation_blocked"), {}, 0.0))
    with pytest.raises(RefusedError, match="refused"):
        provider.speech(request(), make_ctx(tmp_path / "v.wav"))
    assert len(speech.seen) == 1
    assert not (tmp_path / "v.wav").exists()


def test_429_is_transient_with_retry_after_then_the_next_attempt_succeeds(provider, speech, tmp_path):
    speech.queue.append((429, error_body("slow down", "rate_limit_exceeded"), {"retry-after": "2"}, 0.0))
    with pytest.raises(TransientError) as info:
        provider.speech(request(), make_ctx(tmp_path / "v.wav"))
    assert info.value.retry_after == 2
    assert len(speech.seen) == 1  # the SDK's own retries are off: the runner is the one retry layer
    result = provider.speech(request(), make_ctx(tmp_path / "v.wav"))
    assert result.path.exists() and len(speech.seen) == 2


def test_timeout_after_sending_is_uncertain_and_not_repeated(provider, speech, tmp_path):
    speech.queue.append((200, wav_bytes(0.5), {}, 1.5))
    with pytest.raises(SubmitUncertain, match="did not answer in time") as info:
        provider.speech(request(), make_ctx(tmp_path / "v.wav", timeout=0.3))
    assert len(speech.seen) == 1
    assert "billed the speech anyway" in str(info.value) and "image" not in str(info.value)


def test_missing_key_fails_before_any_request(provider, speech, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        provider.speech(request(), make_ctx(tmp_path / "v.wav"))
    assert speech.seen == []


def test_an_answer_that_is_not_audio_is_an_error_and_writes_nothing(provider, speech, tmp_path):
    speech.queue.append((200, b"<html>gateway</html>", {}, 0.0))
    with pytest.raises(Exception, match="not audio"):
        provider.speech(request(), make_ctx(tmp_path / "v.wav"))
    assert not (tmp_path / "v.wav").exists()


def test_validate_refuses_speed_out_of_range_and_instructions_on_tts1(tmp_path, env):
    board = tmp_path / "b.yaml"
    board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nproviders:\n"
                     "  voice: {use: openai/tts-1, options: {speed: 9, instructions: calm}}\n"
                     "beats:\n  - {prompt: a, say: hi}\n")
    r = subprocess.run([sys.executable, "-m", "storyrender", "validate", str(board)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "speed must be between 0.25 and 4.0" in r.stderr and "takes no instructions" in r.stderr
    assert "b.yaml:4" in r.stderr


@pytest.mark.slow
def test_board_build_places_the_line_on_its_beat_and_the_track_matches_the_video(speech, tmp_path, monkeypatch):
    speech.queue.append((200, wav_bytes(0.6, freq=1200), {}, 0.0))
    board = tmp_path / "board.yaml"
    board.write_text(textwrap.dedent("""\
        version: 1
        output: {size: 160x90, fps: 8}
        seconds: 1
        providers: {voice: {use: openai/gpt-4o-mini-tts, options: {speed: 1.1}}}
        audio: {voice: {name: ash}}
        beats:
          - prompt: a quiet field
          - prompt: a cat looks up
            say: Look.
        """))
    r = subprocess.run([sys.executable, "-m", "storyrender", "build", str(board)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert len(speech.seen) == 1 and speech.seen[0]["json"]["voice"] == "ash"
    mp4 = tmp_path / "out" / "board.mp4"
    with av.open(str(mp4)) as c:
        durs = {s.type: float(s.duration * s.time_base) for s in c.streams}
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1).mean(axis=0)
    assert abs(durs["audio"] - durs["video"]) <= 1024 / 48000 + 1e-3, durs
    rate = 48000
    assert np.sqrt(np.mean(audio[int(0.1 * rate):int(0.9 * rate)] ** 2)) < 1e-3  # beat 1 says nothing
    assert np.sqrt(np.mean(audio[int(1.05 * rate):int(1.5 * rate)] ** 2)) > 0.02  # the line, on beat 2
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    assert TEST_KEY not in json.dumps(manifest)
    # a second build speaks nothing again
    r = subprocess.run([sys.executable, "-m", "storyrender", "build", str(board)], capture_output=True, text=True)
    assert r.returncode == 0 and len(speech.seen) == 1


def test_a_voice_without_a_model_names_the_deprecated_ones_to_choose_from(tmp_path, env):
    board = tmp_path / "b.yaml"
    board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nproviders: {voice: openai}\n"
                     "beats:\n  - {prompt: a, say: hi}\n")
    r = subprocess.run([sys.executable, "-m", "storyrender", "validate", str(board)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no default model for speech" in r.stderr and "openai/gpt-4o-mini-tts (deprecated)" in r.stderr


def test_an_unknown_voice_is_refused_at_validate_with_the_voices_that_exist(tmp_path, env):
    board = tmp_path / "b.yaml"
    board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nproviders: {voice: openai/tts-1}\n"
                     "audio: {voice: {name: Rachel}}\nbeats:\n  - {prompt: a, say: hi}\n")
    r = subprocess.run([sys.executable, "-m", "storyrender", "validate", str(board)], capture_output=True, text=True)
    assert r.returncode == 2 and "no voice 'Rachel'" in r.stderr and "coral" in r.stderr
