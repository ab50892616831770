"""The whole-video audio track: clip audio with crossfades, voice-over, music bed, loudness, exact length."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from storyrender.media.ffmpeg import run_ffmpeg
from storyrender.stitch import (
    EncodeSettings,
    Transition,
    concat_pieces,
    cue_times,
    encode_piece,
    plan_pieces,
    total_frames,
)
from storyrender.stitch.audio import MusicBed, render_audio
from .test_stitch_support import make_clip, make_clip_with_audio

FPS = 8
AAC_FRAME = 1024 / 48000


def sine(path: Path, freq: float, seconds: float, rate: int = 22050) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={rate}:duration={seconds}", str(path)])
    return path


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        chunks = [f.to_ndarray() for f in c.decode(s)]
        rate = s.rate
    data = np.concatenate(chunks, axis=1)
    return data.mean(axis=0), rate


def band(x: np.ndarray, rate: int, t0: float, t1: float, freq: float) -> float:
    seg = x[int(t0 * rate):int(t1 * rate)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f = np.fft.rfftfreq(len(seg), 1 / rate)
    return float(spec[(f > freq - 20) & (f < freq + 20)].max() / (spec.max() + 1e-9))


def durations(path: Path) -> dict[str, float]:
    with av.open(str(path)) as c:
        return {s.type: float(s.duration * s.time_base) for s in c.streams if s.duration is not None}


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    d = tmp_path_factory.mktemp("audioclips")
    clips = [
        make_clip_with_audio(d / "a.mp4", 0, 13, w=320, h=240, fps=12, freq=440),
        make_clip(d / "b.mp4", 1, 9),
        make_clip_with_audio(d / "c.mp4", 2, 9, w=160, h=90, fps=8, freq=880),
    ]
    n = [8, 8, 8]
    trs = [Transition("fade", 4), Transition("cut")]
    return d, clips, n, trs


@pytest.mark.slow
def test_audio_length_equals_video_length_in_final_mp4(tmp_path, board):
    d, clips, n, trs = board
    res = render_audio(clips, n, trs, FPS, tmp_path / "a.m4a")
    assert res.has_sound and res.samples == total_frames(n, trs) * 48000 // FPS
    outs = []
    for i, p in enumerate(plan_pieces(n, trs)):
        outs.append(tmp_path / f"p{i}.mp4")
        encode_piece(p, [clips[b] for b in p.beats], outs[-1], EncodeSettings(160, 90, FPS))
    concat_pieces(outs, tmp_path / "f.mp4", audio=tmp_path / "a.m4a", expect_frames=total_frames(n, trs))
    dur = durations(tmp_path / "f.mp4")
    assert abs(dur["video"] - total_frames(n, trs) / FPS) < 1e-6
    assert abs(dur["audio"] - dur["video"]) <= AAC_FRAME


def test_clip_audio_follows_its_beat_and_crossfades(tmp_path, board):
    d, clips, n, trs = board
    render_audio(clips, n, trs, FPS, tmp_path / "a.m4a", loudness=False)
    x, rate = decode_audio(tmp_path / "a.m4a")
    # beat 1 (0..0.5 s alone) has 440 Hz, beat 2's clip is silent, beat 3 (1.5..2.5 s) has 880 Hz
    assert band(x, rate, 0.05, 0.45, 440) > 0.5
    rms = lambda a, b: float(np.sqrt(np.mean(x[int(a * rate):int(b * rate)] ** 2)))  # noqa: E731
    assert rms(1.05, 1.45) < 0.01 * rms(0.05, 0.45)  # silent clip: silence after the crossfade
    assert rms(0.55, 0.70) < rms(0.05, 0.45)  # fading out during the 0.5 s transition
    assert band(x, rate, 1.6, 2.4, 880) > 0.5 and band(x, rate, 1.6, 2.4, 440) < 0.1


@pytest.mark.slow
def test_music_bed_and_voice_are_mixed_and_normalised(tmp_path, board):
    d, clips, n, trs = board
    silent = [None, None, None]
    voice = sine(tmp_path / "voice.wav", 1000, 0.5)
    music = sine(tmp_path / "music.wav", 300, 0.4)  # shorter than the video: looped
    res = render_audio(silent, n, trs, FPS, tmp_path / "a.m4a", voices=[None, voice],
                       music=MusicBed(str(music), volume=0.5, fade_in=0.2, fade_out=0.3))
    assert res.warnings == ()
    x, rate = decode_audio(tmp_path / "a.m4a")
    start = cue_times(n, trs, FPS)[1].start  # 0.75 s
    assert band(x, rate, 0.25, 0.7, 300) > 0.5 and band(x, rate, 0.25, 0.7, 1000) < 0.1  # music only
    assert band(x, rate, start + 0.05, start + 0.45, 1000) > 0.5  # voice at its beat's start
    assert band(x, rate, start + 0.05, start + 0.45, 300) > 0.2  # over the music
    assert band(x, rate, 1.6, 2.3, 300) > 0.5  # music looped to the end
    assert abs(durations(tmp_path / "a.m4a")["audio"] - total_frames(n, trs) / FPS) <= AAC_FRAME


@pytest.mark.slow
def test_speech_longer_than_its_beat_warns_and_is_not_cut(tmp_path, board):
    d, clips, n, trs = board
    voice = sine(tmp_path / "long.wav", 1000, 1.3)
    res = render_audio([None] * 3, n, trs, FPS, tmp_path / "a.m4a", voices=[None, voice])
    assert len(res.warnings) == 1 and "beat 2" in res.warnings[0]
    room = cue_times(n, trs, FPS)[1].end - cue_times(n, trs, FPS)[1].start
    assert f"{1.3 - room:.2f}s longer" in res.warnings[0]
    x, rate = decode_audio(tmp_path / "a.m4a")
    assert band(x, rate, 1.6, 1.95, 1000) > 0.5  # still speaking in beat 3
    res = render_audio([None] * 3, n, trs, FPS, tmp_path / "b.m4a", voices=[None, None, voice])
    assert "past the end of the video" in res.warnings[0]


def test_no_sound_at_all_gives_a_silent_track_of_the_right_length(tmp_path, board):
    d, clips, n, trs = board
    res = render_audio([None, clips[1], None], n, trs, FPS, tmp_path / "a.m4a")
    assert not res.has_sound
    x, _ = decode_audio(tmp_path / "a.m4a")
    assert np.abs(x).max() < 1e-6
    assert abs(durations(tmp_path / "a.m4a")["audio"] - total_frames(n, trs) / FPS) <= AAC_FRAME


@pytest.mark.slow
def test_loudness_is_normalised(tmp_path):
    import re
    import subprocess

    from storyrender.media.ffmpeg import ffmpeg_exe

    quiet = make_clip_with_audio(tmp_path / "q.mp4", 0, 41, w=160, h=90, fps=FPS, freq=500)  # 5 s of sine
    res = render_audio([quiet], [40], [], FPS, tmp_path / "a.m4a")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", res.path, "-af", "ebur128=framelog=quiet",
                           "-f", "null", "-"], capture_output=True, text=True)
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    assert abs(integrated - (-16.0)) < 2.0, summary


def test_clip_with_a_silent_audio_track(tmp_path):
    """Digital silence must not reach loudnorm (it outputs NaN and the AAC encoder fails)."""
    from storyrender.media.probe import probe

    video, _ = make_clip(tmp_path / "v.mp4", 0, 9)
    run_ffmpeg(["-i", str(video), "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", "-c:a", "aac", "-shortest", str(tmp_path / "s.mp4")])
    clip = (tmp_path / "s.mp4", probe(tmp_path / "s.mp4"))
    assert clip[1].has_audio
    res = render_audio([clip, clip], [8, 8], [Transition("fade", 2)], FPS, tmp_path / "a.m4a")
    x, _ = decode_audio(tmp_path / "a.m4a")
    assert np.isfinite(x).all() and np.abs(x).max() < 1e-4
    assert abs(durations(tmp_path / "a.m4a")["audio"] - res.duration) <= AAC_FRAME
