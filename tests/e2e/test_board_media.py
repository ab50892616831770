"""Whole boards through `storyrender build`: every transition, music + voice + captions + formats,
and a one-beat change re-stitching only its pieces."""

from __future__ import annotations

import json
import re
import shutil

import av
import numpy as np
import pytest

from storyrender.media.ffmpeg import run_ffmpeg
from storyrender.media.probe import probe, read_frames
from storyrender.stitch import XFADE_TRANSITIONS

from ..conftest import TINY

PROV = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def manifest(tmp_path, name="board"):
    return json.loads((tmp_path / "out" / f"{name}.manifest.json").read_text())


@pytest.mark.slow
def test_every_transition_name_gives_the_exact_length(write_board, cli, fake, tmp_path):
    names = list(XFADE_TRANSITIONS)
    beats = ["  - {prompt: beat 0}\n"]
    for i, name in enumerate(names):
        beats.append(f"  - {{prompt: beat {i + 1}, transition: {{type: {name}, seconds: 0.25}}}}\n")
    beats.append("  - {prompt: last, transition: cut}\n")
    board = write_board(TINY + PROV + "beats:\n" + "".join(beats))
    res = cli(["build", "-j", "4", board.name], cwd=tmp_path, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    info = probe(tmp_path / "out" / "board.mp4")
    n_beats = len(names) + 2
    expected = n_beats * 8 - len(names) * 2  # 8 frames a beat, 2 frames a transition, cut 0
    assert info.frames == expected
    assert abs(info.duration - expected / 8) < 1e-6


@pytest.mark.slow
def test_fadeblack_goes_through_black_and_dissolve_blends(write_board, cli, fake, tmp_path):
    board = write_board(TINY + PROV + "beats:\n  - {prompt: red one, seconds: 2}\n"
                        "  - {prompt: blue two, seconds: 2, transition: {type: fadeblack, seconds: 0.5}}\n"
                        "  - {prompt: green three, seconds: 2, transition: {type: dissolve, seconds: 0.5}}\n")
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    frames = [f.astype(np.float32) for f in read_frames(tmp_path / "out" / "board.mp4")]
    # beat 1 body 0..11, fadeblack 12..15, beat 2 body 16..23, dissolve 24..27, beat 3 body 28..39
    assert len(frames) == 48 - 4 - 4
    dark = min(float(f.mean()) for f in frames[12:16])
    assert dark < 0.25 * min(float(frames[11].mean()), float(frames[16].mean()))
    mid, before, after = frames[26], frames[23], frames[28]
    assert float(mid.mean()) > 0.5 * min(float(before.mean()), float(after.mean()))  # no dip to black
    assert np.abs(mid - 0.5 * (before + after)).mean() < np.abs(before - after).mean() * 0.5


def _sine(path, seconds, freq):
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000:duration={seconds}", str(path)])


@pytest.mark.slow
def test_music_voice_captions_and_formats(write_board, cli, fake, tmp_path):
    _sine(tmp_path / "music.wav", 1.5, 440)
    text = (TINY + PROV + "output: {size: 160x90, fps: 8, formats: [mp4, webm, gif]}\n"
            "audio: {music: {path: music.wav, volume: 0.5, fade_in: 0.5, fade_out: 0.5}}\n"
            "captions: {burn: true, files: [srt, vtt]}\n"
            "transition: {type: fade, seconds: 0.25}\n"
            "beats:\n  - {prompt: one, caption: 'First: \"quoted\" 100% \\\\ done'}\n"
            "  - {prompt: two, say: Hello there}\n  - {prompt: three}\n")
    text = text.replace("output: {size: 160x90, fps: 8}\n", "", 1)
    board = write_board(text)
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    info = probe(out / "board.mp4")
    assert info.frames == 24 - 4 and info.has_audio
    video_s = info.frames / 8
    with av.open(str(out / "board.mp4")) as c:
        a = c.streams.audio[0]
        audio_s = float(a.duration * a.time_base)
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    assert abs(audio_s - video_s) <= 1024 / 48000 + 1e-6
    assert np.abs(samples).max() > 0.01  # music (and voice, when espeak-ng is installed) are audible
    # sidecars: cue times follow the beats (a transition is split at its middle frame)
    srt = (out / "board.srt").read_text()
    vtt = (out / "board.vtt").read_text()
    assert 'First: "quoted" 100% \\\\ done' in srt and "Hello there" in srt  # YAML '' keeps both \\
    assert "00:00:00,000 --> 00:00:00,875" in srt and "00:00:00,875 --> 00:00:01,625" in srt
    assert vtt.startswith("WEBVTT") and "00:00:00.875 --> 00:00:01.625" in vtt
    # the other formats
    webm = probe(out / "board.webm")
    assert webm.video_codec == "vp9" and webm.has_audio
    with av.open(str(out / "board.gif")) as c:
        assert c.streams.video[0].codec_context.name == "gif"
    # a burned caption is visible: compare with the same board without captions
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    shutil.copy(tmp_path / "music.wav", plain_dir)
    (plain_dir / "board.yaml").write_text(text.replace("captions: {burn: true, files: [srt, vtt]}\n", ""))
    assert cli(["build", "board.yaml"], cwd=plain_dir).returncode == 0
    cap = list(read_frames(out / "board.mp4"))[3].astype(np.int16)
    plain = list(read_frames(plain_dir / "out" / "board.mp4"))[3].astype(np.int16)
    lower = np.abs(cap[55:78] - plain[55:78]).mean()
    upper = np.abs(cap[:30] - plain[:30]).mean()
    assert lower > 10 and upper < 2, (lower, upper)


@pytest.mark.slow
def test_one_beat_change_reencodes_three_pieces_and_the_audio(write_board, cli, fake, tmp_path):
    prompts = [f"beat {i}" for i in range(12)]

    def text(ps):
        return TINY + PROV + "transition: {type: dissolve, seconds: 0.25}\nbeats:\n" + "".join(
            f"  - {{id: b{i}, prompt: {p}}}\n" for i, p in enumerate(ps))

    board = write_board(text(prompts))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    # Pin every keyframe's identity by changing only the LAST beat's segment (take), so the cascade
    # does not apply: one segment changes, hence its body and its junction(s) and the audio.
    changed = text(prompts).replace("prompt: beat 5}", "prompt: beat 5, take: 2}")
    write_board(changed)
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    nodes = manifest(tmp_path)["nodes"]
    rendered = sorted(n["label"] for n in nodes if n["status"] == "rendered")
    assert rendered == ["audio track", "body 6", "final mp4", "junction 5-6", "junction 6-7", "segment 6"], rendered
    # identical to a full stitch of the changed board in a fresh cache
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "board.yaml").write_text(changed)
    assert cli(["build", "board.yaml"], cwd=fresh).returncode == 0
    a = list(read_frames(tmp_path / "out" / "board.mp4"))
    b = list(read_frames(fresh / "out" / "board.mp4"))
    assert len(a) == len(b) == 12 * 8 - 11 * 2
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.slow
def test_offline_renders_a_cloud_board_with_local(write_board, cli, tmp_path, monkeypatch):
    for var in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    board = write_board(TINY + "providers:\n  image: google/gemini-3.1-flash-image\n"
                        "  keyframe: google/gemini-3.1-flash-image\n  video: replicate/kwaivgi/kling-v2.1\n"
                        "beats:\n  - {prompt: one}\n  - {prompt: two}\n")
    res = cli(["build", "--offline", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    m = manifest(tmp_path)
    assert {n["provider"] for n in m["nodes"] if n["provider"]} == {"local"}
    assert probe(tmp_path / "out" / "board.mp4").frames == 16
