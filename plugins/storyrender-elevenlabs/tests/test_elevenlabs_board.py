"""Whole boards with ElevenLabs voice, music and sound (local pictures), built by the CLI against the fake."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import av
import numpy as np
import pytest

from elevenlabs_fakes import TEST_KEY

BOARD = """\
    version: 1
    output: {size: 160x90, fps: 8}
    seconds: 1.5
    providers:
      voice: {use: elevenlabs/eleven_multilingual_v2, options: {speed: 1.1}}
      sound: elevenlabs
    audio:
      voice: {name: Rachel}
      music: {prompt: calm warm piano, provider: elevenlabs/music_v1}
    beats:
      - prompt: a quiet field
        sound: {prompt: wind gust, seconds: 1}
      - prompt: a cat looks up
        say: Look up.
    """


def build(board):
    return subprocess.run([sys.executable, "-m", "storyrender", "build", str(board)], capture_output=True,
                          text=True, timeout=300)


def streams(mp4):
    with av.open(str(mp4)) as c:
        durs = {s.type: float(s.duration * s.time_base) for s in c.streams}
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1).mean(axis=0)
    return durs, audio


def band(x, rate, t0, t1, freq):
    seg = x[int(t0 * rate):int(t1 * rate)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    return float(spec[(f > freq - 30) & (f < freq + 30)].max())


@pytest.mark.slow
def test_board_with_voice_music_and_sound(fake, tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(textwrap.dedent(BOARD))
    r = build(board)
    assert r.returncode == 0, r.stderr
    # one request per node, each as the board asked
    [music] = fake.requests("music")
    assert music.json["music_length_ms"] == 3000 and music.json["prompt"] == "calm warm piano"  # 3 s video
    [sfx] = fake.requests("sound")
    assert sfx.json["text"] == "wind gust" and sfx.json["duration_seconds"] == 1
    [tts] = fake.requests("tts")
    assert tts.path == "/v1/text-to-speech/AbCdEfGhIjKlMnOpQrSt" and tts.json["voice_settings"] == {"speed": 1.1}
    mp4 = tmp_path / "out" / "board.mp4"
    durs, x = streams(mp4)
    assert abs(durs["video"] - 3.0) < 0.2
    assert abs(durs["audio"] - durs["video"]) <= 1024 / 48000 + 1e-3, durs
    rate = 48000
    # the music bed (220 Hz) plays through; the effect (1500 Hz) in beat 1 only; the voice (900 Hz) in beat 2
    assert band(x, rate, 0.5, 1.0, 220) > 5 and band(x, rate, 2.0, 2.5, 220) > 1
    assert band(x, rate, 0.2, 0.7, 1500) > 10 * band(x, rate, 2.0, 2.5, 1500)
    assert band(x, rate, 1.6, 2.0, 900) > 10 * band(x, rate, 0.2, 0.7, 900)
    # the music is ducked while the voice speaks (from 1.5 s)
    assert band(x, rate, 1.6, 2.0, 220) < 0.6 * band(x, rate, 0.9, 1.3, 220)
    manifest = (tmp_path / "out" / "board.manifest.json").read_text()
    assert "song_" in manifest and TEST_KEY not in manifest
    # nothing is requested again
    assert build(board).returncode == 0
    assert len(fake.requests("music")) == 1 and len(fake.requests("tts")) == 1 and len(fake.requests("sound")) == 1


def test_plan_prices_the_audio_before_anything_is_sent(fake, tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(textwrap.dedent(BOARD))
    r = subprocess.run([sys.executable, "-m", "storyrender", "plan", "--json", str(board)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    nodes = {n["label"]: n for n in json.loads(r.stdout)["nodes"]}
    assert nodes["music"]["estimate_usd"] == round(3 * 0.30 / 60, 6)
    assert nodes["sound 1"]["estimate_usd"] == 0.12
    assert nodes["voice 2"]["estimate_usd"] > 0
    assert fake.seen == []
