"""Generated music and sound, ducking, kept clip audio, and the plan's warning for long lines."""

from __future__ import annotations

import json
import re
import subprocess

import av
import numpy as np
import pytest

from storyrender.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from storyrender.providers.local import music as local_music
from storyrender.stitch import Transition
from storyrender.stitch.audio import MusicBed, SoundCue, render_audio

from .test_stitch_audio import band, decode_audio, durations, sine
from .test_stitch_support import make_clip

TINY = "version: 1\noutput: {size: 160x90, fps: 8}\n"


def rms(x: np.ndarray, rate: int, t0: float, t1: float) -> float:
    seg = x[int(t0 * rate):int(t1 * rate)]
    return float(np.sqrt(np.mean(seg ** 2)))


def peaks(x: np.ndarray, rate: int, t0: float, t1: float, count: int = 8) -> set[int]:
    """The *count* strongest spectral peaks (local maxima) between t0 and t1, in Hz rounded to 10."""
    seg = x[int(t0 * rate):int(t1 * rate)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    local = np.where((spec[1:-1] > spec[:-2]) & (spec[1:-1] > spec[2:]))[0] + 1
    best = local[np.argsort(spec[local])[::-1][:count]]
    strong = [i for i in best if spec[i] > 0.05 * spec[best[0]]]
    return {int(round(f[i] / 10) * 10) for i in strong}


def integrated_lufs(path) -> float:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
                           "-f", "null", "-"], capture_output=True, text=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])


# ---- the local music bed ------------------------------------------------------------------------------------------


def test_mood_words_choose_mode_and_tempo():
    assert local_music.mood_of("dark, tense strings at night")["mode"] == "minor"
    assert local_music.mood_of("happy bright ukulele")["mode"] == "major"
    assert local_music.mood_of("calm slow ambient pad")["bpm"] < local_music.mood_of("upbeat energetic drums")["bpm"]
    assert local_music.mood_of("calm slow ambient pad")["arpeggio"] is False


@pytest.mark.slow
def test_local_music_is_deterministic_and_follows_the_prompt(tmp_path):
    a, b, c = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"
    local_music.compose("upbeat hopeful", 3.0, 7, a)
    local_music.compose("upbeat hopeful", 3.0, 7, b)
    local_music.compose("dark ominous", 3.0, 7, c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    with av.open(str(a)) as f:
        s = f.streams.audio[0]
        assert s.rate == 48000 and s.channels == 2
        assert abs(float(s.duration * s.time_base) - 3.0) < 1e-3


@pytest.mark.slow
def test_offline_board_with_a_music_prompt_has_an_audible_changing_faded_normalised_bed(tmp_path, cli):
    board = tmp_path / "b.yaml"
    board.write_text(TINY + "seconds: 1.5\naudio:\n  music: {prompt: upbeat hopeful synth}\n"
                     "beats:\n" + "".join(f"  - prompt: shot {i}\n" for i in range(4)))
    r = cli(["build", str(board)])
    assert r.returncode == 0, r.stderr
    mp4 = tmp_path / "out" / "b.mp4"
    d = durations(mp4)
    assert abs(d["audio"] - d["video"]) <= 1024 / 48000 + 1e-3, d  # fitted to the video
    assert abs(d["video"] - 6.0) < 0.2
    x, rate = decode_audio(mp4)
    middle = rms(x, rate, 1.5, 4.0)
    assert middle > 0.03, middle  # audible
    assert rms(x, rate, 0.0, 0.05) < 0.3 * middle  # faded in
    assert rms(x, rate, len(x) / rate - 0.05, len(x) / rate) < 0.3 * middle  # faded out
    # not a sine: several partials at once, and the notes change over time (a new chord each bar, ~2 s at 118 bpm)
    first, second = peaks(x, rate, 0.6, 1.9), peaks(x, rate, 2.6, 3.9)
    assert len(first) >= 4 and len(second) >= 4, (first, second)
    assert first != second, first
    assert abs(integrated_lufs(mp4) - (-16.0)) < 1.5  # loudness-normalised to the board's target


def test_music_prompt_and_path_together_is_refused(tmp_path, cli):
    (tmp_path / "m.wav").write_bytes(b"")
    board = tmp_path / "b.yaml"
    board.write_text(TINY + "audio:\n  music: {path: m.wav, prompt: piano}\nbeats:\n  - prompt: a\n")
    r = cli(["validate", str(board)])
    assert r.returncode == 2
    assert "b.yaml:4" in r.stderr and "either path" in r.stderr and "Traceback" not in r.stderr


def test_a_sound_after_its_beat_is_refused(tmp_path, cli):
    board = tmp_path / "b.yaml"
    board.write_text(TINY + "seconds: 1\nbeats:\n  - prompt: a\n    sound: {prompt: door slam, at: 2}\n")
    r = cli(["validate", str(board)])
    assert r.returncode == 2 and "after the beat ends" in r.stderr and "b.yaml:6" in r.stderr


# ---- mixing ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def silent_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("silent")
    return d, [make_clip(d / f"{i}.mp4", i, 9) for i in range(3)]


def test_music_is_ducked_while_a_voice_speaks(tmp_path, silent_clips):
    d, clips = silent_clips
    bed = sine(tmp_path / "bed.wav", 220, 4)
    voice = sine(tmp_path / "voice.wav", 1320, 0.6)
    out = tmp_path / "a.m4a"
    render_audio(clips, [8, 8, 8], [Transition("cut"), Transition("cut")], 8, out, voices=[None, voice, None],
                 music=MusicBed(str(bed), duck=0.25), loudness=False)
    x, rate = decode_audio(out)
    before = rms(x, rate, 0.3, 0.7)
    # the voice (1320 Hz) speaks 1.0 .. 1.6 s: measure the bed's 220 Hz alone with a narrow band-pass
    spec_t = lambda t0, t1: np.abs(np.fft.rfft(x[int(t0 * rate):int(t1 * rate)]))  # noqa: E731
    f = np.fft.rfftfreq(int(0.3 * rate), 1 / rate)
    bed_level = lambda t0: float(spec_t(t0, t0 + 0.3)[(f > 200) & (f < 240)].max())  # noqa: E731
    during = bed_level(1.2)
    assert during < 0.35 * bed_level(0.3), (during, bed_level(0.3))
    assert bed_level(2.2) > 0.9 * bed_level(0.3)  # back up after the voice
    assert before > 0


def test_sound_effect_is_placed_at_its_beat_plus_offset(tmp_path, silent_clips):
    d, clips = silent_clips
    fx = sine(tmp_path / "fx.wav", 660, 0.3)
    out = tmp_path / "a.m4a"
    render_audio(clips, [8, 8, 8], [Transition("cut"), Transition("cut")], 8, out,
                 sounds=[None, SoundCue(str(fx), at=0.5, volume=1.0), None], loudness=False)
    x, rate = decode_audio(out)
    assert rms(x, rate, 0.0, 1.45) < 1e-3  # nothing before 1 s + 0.5 s
    assert rms(x, rate, 1.55, 1.75) > 0.03
    assert rms(x, rate, 1.9, 3.0) < 1e-3


# ---- a video model's own audio -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_clip_audio_is_kept_only_where_the_beat_says_keep(tmp_path, cli, fake, monkeypatch):
    monkeypatch.setenv("FAKE_VIDEO_TONE", "880")
    board = tmp_path / "b.yaml"
    body = (TINY + "seconds: 1\nproviders: {image: fake/img, keyframe: fake/img, video: fake/vid}\nbeats:\n"
            "  - prompt: a\n    audio: keep\n  - prompt: b\n  - prompt: c\n    audio: keep\n")
    board.write_text(body)
    r = cli(["build", str(board)])
    assert r.returncode == 0, r.stderr
    mp4 = tmp_path / "out" / "b.mp4"
    d = durations(mp4)
    assert abs(d["audio"] - d["video"]) <= 1024 / 48000 + 1e-3
    x, rate = decode_audio(mp4)
    assert band(x, rate, 0.2, 0.8, 880) > 0.5 and rms(x, rate, 0.2, 0.8) > 0.05
    assert rms(x, rate, 1.2, 1.8) < 0.01 * rms(x, rate, 0.2, 0.8)  # beat 2 dropped its clip's sound
    assert band(x, rate, 2.2, 2.8, 880) > 0.5
    # the default drops it everywhere: a silent track of the video's length
    board.write_text(body.replace("    audio: keep\n", ""))
    r = cli(["build", str(board)])
    assert r.returncode == 0, r.stderr
    x, rate = decode_audio(mp4)
    assert float(np.abs(x).max()) < 1e-3


# ---- plan ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_plan_reports_a_line_longer_than_its_beat_before_anything_runs(tmp_path, cli):
    board = tmp_path / "b.yaml"
    board.write_text(TINY + "seconds: 1\nbeats:\n  - prompt: a\n    say: " + "word " * 12 + "\n  - prompt: b\n"
                     "    say: hi\n")
    r = cli(["plan", str(board)])
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and "beat 1" in lines[0] and "longer than the beat" in lines[0]
    doc = json.loads(cli(["plan", "--json", str(board)]).stdout)
    assert len(doc["warnings"]) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sound_and_music_nodes_are_keyed_by_their_request(tmp_path, cli):
    board = tmp_path / "b.yaml"
    base = TINY + "seconds: 1\naudio:\n  music: {prompt: calm pad}\nbeats:\n  - prompt: a\n    sound: door slam\n"
    board.write_text(base)
    assert cli(["build", str(board)]).returncode == 0
    board.write_text(base.replace("door slam", "a bell"))
    doc = json.loads(cli(["plan", "--json", str(board)]).stdout)
    render = {n["label"] for n in doc["nodes"] if n["status"] == "render"}
    assert "sound 1" in render and "music" not in render
    assert {"keyframe 0", "segment 1"}.isdisjoint(render)


def test_validate_warns_when_a_kept_beat_uses_a_silent_model(tmp_path, cli):
    board = tmp_path / "b.yaml"
    board.write_text(TINY + "seconds: 1\nbeats:\n  - prompt: a\n  - prompt: b\n    audio: keep\n")
    r = cli(["validate", str(board)])
    assert r.returncode == 0
    assert "beat 2 (beat-2) keeps its segment's sound, but local/animatic makes silent clips" in r.stderr
    assert "b.yaml:7" in r.stderr
