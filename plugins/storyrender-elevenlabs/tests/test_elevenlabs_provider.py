"""The elevenlabs provider: the real SDK against a fake of ElevenLabs' API on 127.0.0.1."""

from __future__ import annotations

import json

import av
import pytest

from elevenlabs_fakes import TEST_KEY, Answer
from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.providers.base import AudioRequest, Job, RunContext, SpeechRequest
from storyrender.providers.hosted import SubmitUncertain


def ctx(tmp_path, name="out.wav", **call) -> RunContext:
    return RunContext(tmp_path / name, call=call)


def seconds_of(path) -> tuple[float, int, int]:
    with av.open(str(path)) as f:
        s = f.streams.audio[0]
        return float(s.duration * s.time_base), s.rate, s.channels


def say(voice="", **options) -> SpeechRequest:
    return SpeechRequest(model="eleven_multilingual_v2", text="Every forest has a heart.", seed=42, voice=voice,
                         options=options)


@pytest.mark.slow
def test_speech_sends_the_documented_request_and_writes_48k_stereo(provider, fake, tmp_path):
    result = provider.speech(say("AbCdEfGhIjKlMnOpQrSt", speed=1.1, stability=0.4), ctx(tmp_path))
    [sent] = fake.requests("tts")
    assert sent.path == "/v1/text-to-speech/AbCdEfGhIjKlMnOpQrSt"
    assert sent.query == {"output_format": "mp3_44100_128"}
    assert sent.headers["xi-api-key"] == TEST_KEY
    assert sent.json["text"] == "Every forest has a heart." and sent.json["model_id"] == "eleven_multilingual_v2"
    assert sent.json["seed"] == 42
    assert sent.json["voice_settings"] == {"speed": 1.1, "stability": 0.4}
    assert fake.requests("voices") == []  # an id is used as given
    dur, rate, channels = seconds_of(result.path)
    assert (rate, channels) == (48000, 2) and abs(dur - 0.6) < 0.06
    assert result.info["history_item_id"].startswith("hist_") and result.info["request_id"]
    assert result.cost_usd == pytest.approx(len("Every forest has a heart.") * 0.10 / 1000)
    assert TEST_KEY not in json.dumps(result.info)


def test_a_voice_name_is_looked_up_once_by_exact_name(provider, fake, tmp_path):
    provider.speech(say("rachel"), ctx(tmp_path, "a.wav"))
    provider.speech(say("Rachel"), ctx(tmp_path, "b.wav"))
    assert [s.query.get("search") for s in fake.requests("voices")] == ["rachel"]
    assert {s.path for s in fake.requests("tts")} == {"/v1/text-to-speech/AbCdEfGhIjKlMnOpQrSt"}


def test_an_unknown_voice_name_fails_before_speaking(provider, fake, tmp_path):
    with pytest.raises(ProviderError, match="no voice named 'Bob'"):
        provider.speech(say("Bob"), ctx(tmp_path))
    assert fake.requests("tts") == []


def test_music_pins_instrumental_and_asks_for_the_length(provider, fake, tmp_path):
    req = AudioRequest(model="music_v1", prompt="calm warm piano", seconds=4.0, seed=7)
    result = provider.music(req, ctx(tmp_path))
    [sent] = fake.requests("music")
    assert sent.json == {"prompt": "calm warm piano", "music_length_ms": 4000, "model_id": "music_v1",
                         "force_instrumental": True}
    assert sent.query == {"output_format": "mp3_44100_128"}
    assert abs(seconds_of(result.path)[0] - 4.0) < 0.06
    assert result.info["song_id"].startswith("song_")
    assert result.cost_usd == pytest.approx(result.info["seconds"] * 0.30 / 60, rel=1e-3)


def test_music_shorter_than_the_vendor_minimum_asks_for_three_seconds(provider, fake, tmp_path):
    provider.music(AudioRequest(model="music_v1", prompt="pad", seconds=2.0), ctx(tmp_path))
    assert fake.requests("music")[0].json["music_length_ms"] == 3000


def test_sound_effect_request(provider, fake, tmp_path):
    result = provider.sound(AudioRequest(model="eleven_text_to_sound_v2", prompt="door slam", seconds=1.5,
                                         options={"prompt_influence": 0.6}), ctx(tmp_path))
    [sent] = fake.requests("sound")
    assert sent.json == {"text": "door slam", "model_id": "eleven_text_to_sound_v2", "loop": False,
                         "duration_seconds": 1.5, "prompt_influence": 0.6}
    assert result.cost_usd == 0.12 and result.path.exists()


def test_refusal_is_refused_and_sent_once(provider, fake, tmp_path):
    fake.push("music", Answer(400, {"detail": {"status": "bad_prompt", "message": "names an artist"}}))
    with pytest.raises(RefusedError, match="names an artist"):
        provider.music(AudioRequest(model="music_v1", prompt="like a famous band", seconds=3), ctx(tmp_path))
    assert len(fake.requests("music")) == 1
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("job", ["tts", "music", "sound"])
def test_429_is_transient_once_then_the_next_attempt_succeeds(provider, fake, tmp_path, job):
    fake.push(job, Answer(429, {"detail": {"status": "too_many_concurrent_requests", "message": "busy"}},
                          {"retry-after": "3"}))
    call = {"tts": lambda c: provider.speech(say("AbCdEfGhIjKlMnOpQrSt"), c),
            "music": lambda c: provider.music(AudioRequest(model="music_v1", prompt="pad", seconds=3), c),
            "sound": lambda c: provider.sound(AudioRequest(model="eleven_text_to_sound_v2", prompt="x"), c)}[job]
    with pytest.raises(TransientError) as info:
        call(ctx(tmp_path))
    assert info.value.retry_after == 3
    assert len(fake.requests(job)) == 1  # the SDK would have retried twice: its retries are off
    assert call(ctx(tmp_path)).path.exists()
    assert len(fake.requests(job)) == 2


def test_a_server_error_after_sending_is_uncertain_and_not_repeated(provider, fake, tmp_path):
    fake.push("tts", Answer(500, {"detail": "internal"}))
    with pytest.raises(SubmitUncertain, match="may have been made"):
        provider.speech(say("AbCdEfGhIjKlMnOpQrSt"), ctx(tmp_path))
    assert len(fake.requests("tts")) == 1


def test_timeout_is_uncertain_and_sent_once(provider, fake, tmp_path):
    fake.push("music", Answer(body=b"late", delay=1.5))
    with pytest.raises(SubmitUncertain, match="did not answer in time"):
        provider.music(AudioRequest(model="music_v1", prompt="pad", seconds=3), ctx(tmp_path, timeout=0.3))
    assert len(fake.requests("music")) == 1


def test_missing_key_fails_before_any_request(provider, fake, tmp_path, monkeypatch):
    monkeypatch.delenv("ELEVENLABS_API_KEY")
    with pytest.raises(MissingKeyError, match="ELEVENLABS_API_KEY"):
        provider.speech(say(), ctx(tmp_path))
    assert fake.seen == []


def test_an_answer_that_is_not_audio_writes_nothing(provider, fake, tmp_path):
    fake.push("sound", Answer(body=b"<html>proxy error</html>"))
    with pytest.raises(ProviderError, match="not audio"):
        provider.sound(AudioRequest(model="eleven_text_to_sound_v2", prompt="x"), ctx(tmp_path))
    assert not (tmp_path / "out.wav").exists()


def test_defaults_reads_and_option_checks(provider):
    assert provider.default_model(Job.SPEECH) == "eleven_multilingual_v2"
    assert provider.default_model(Job.MUSIC) == "music_v1"
    assert provider.default_model(Job.SOUND) == "eleven_text_to_sound_v2"
    assert provider.reads_for(Job.SPEECH) == {"seed"} and provider.reads_for(Job.MUSIC) == frozenset()
    model = provider.model_info("music_v1")
    problems = provider.check(Job.MUSIC, model, seconds=None, width=160, height=90, options={"speed": 2.0})
    assert any("speed must be between 0.7 and 1.2" in p for p in problems)
    assert any("are speech options" in p for p in problems)
