"""Piecewise stitching on tiny real clips (160x90, 8 fps): frame-exact joins, every xfade transition, conform,
equality with a one-filtergraph render."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pytest

import storyrender.stitch.encode as encode_mod
from storyrender.media.probe import probe
from storyrender.stitch import (
    XFADE_TRANSITIONS,
    EncodeSettings,
    Transition,
    concat_pieces,
    encode_piece,
    plan_pieces,
    total_frames,
)
from .test_stitch_support import decode_mark, frames_of, make_clip, make_clip_with_audio, psnr, single_graph_render

FPS = 8
SET = EncodeSettings(160, 90, FPS, "standard")


def stitch(tmp: Path, clips, n, trs, settings=SET, name="out", workers=2) -> Path:
    """Encode every piece (two at a time, like the executor) and join them."""
    pieces = plan_pieces(n, trs)
    outs = [tmp / f"{name}-piece{i:03d}.mp4" for i in range(len(pieces))]

    def one(i):
        p = pieces[i]
        encode_piece(p, [clips[b] for b in p.beats], outs[i], settings)
        got = probe(outs[i]).frames
        assert got == p.frames, (p, got)

    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(one, range(len(pieces))))
    final = tmp / f"{name}.mp4"
    concat_pieces(outs, final, expect_frames=total_frames(n, trs))
    return final


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return [make_clip(d / f"clip{k}.mp4", k, 9) for k in range(4)]


def region(frame):  # below the marker blocks, left of most bar positions
    return frame[24:44, 0:150].reshape(-1, 3).mean(axis=0)


def test_cut_join_is_frame_exact(tmp_path, clips):
    n = [8, 8, 8]
    out = stitch(tmp_path, clips[:3], n, [Transition(), Transition()])
    frames = frames_of(out)
    assert len(frames) == 24
    marks = [decode_mark(f) for f in frames]
    assert marks == [(k, i) for k in range(3) for i in range(8)]  # no repeated keyframe at the joins
    # uniform timing, monotonic timestamps
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        pts = [float(f.pts * s.time_base) for f in c.decode(s)]
    assert np.allclose(np.diff(pts), 1 / FPS)
    assert pts[0] == 0


def test_body_frames_come_from_the_right_clip_indexes(tmp_path, clips):
    n = [8, 8, 8]
    trs = [Transition("wipeleft", 3), Transition("fade", 2)]
    frames = frames_of(stitch(tmp_path, clips[:3], n, trs))
    assert len(frames) == 24 - 5
    marks = [decode_mark(f) for f in frames]
    assert marks[:5] == [(0, i) for i in range(5)]  # body 0 = clip 0 [0, 5)
    assert marks[8:11] == [(1, i) for i in range(3, 6)]  # body 1 = clip 1 [3, 6)
    assert marks[13:] == [(2, i) for i in range(2, 8)]  # body 2 = clip 2 [2, 8)


@pytest.mark.slow
def test_every_xfade_transition(tmp_path_factory, clips):
    tmp = tmp_path_factory.mktemp("all")
    names = list(XFADE_TRANSITIONS)
    trs = [Transition(name, 2 + (i % 2)) for i, name in enumerate(names)]
    n = [8] * (len(names) + 1)
    seq = [clips[k % 3] for k in range(len(n))]
    out = stitch(tmp, seq, n, trs, name="all")
    expected = sum(n) - sum(t.frames for t in trs)
    info = probe(out)
    assert info.frames == expected
    # identical encoder settings: every piece has the same parameter sets, so stream copy joins them safely
    extradata = set()
    for piece in sorted(tmp.glob("all-piece*.mp4")):
        with av.open(str(piece)) as c:
            extradata.add(bytes(c.streams.video[0].codec_context.extradata))
    assert len(extradata) == 1
    assert abs(info.duration - expected / FPS) < 1e-6


def test_fadeblack_midpoint_is_black_and_fade_midpoint_is_the_mix(tmp_path):
    a = make_clip(tmp_path / "a.mp4", 0, 9, color=(220, 200, 60))
    b = make_clip(tmp_path / "b.mp4", 1, 9, color=(60, 200, 220))
    for name in ("fadeblack", "fade", "dissolve"):
        frames = frames_of(stitch(tmp_path, [a, b], [8, 8], [Transition(name, 4)], name=name))
        # The junction is output frames 4..7; xfade's progress at junction frame i is 1 - i/4, so frame 2 is the
        # midpoint.  ffmpeg's fadeblack reaches black a little before its midpoint and is fading in B at it.
        mid = region(frames[4 + 2])
        ca, cb = region(frames[0]), region(frames[-1])
        if name == "fadeblack":
            junction = [region(f).mean() for f in frames[4:8]]
            assert min(junction[1:3]) < 5, junction  # black inside the transition, not at its ends
            assert mid.mean() < 0.4 * min(ca.mean(), cb.mean()), (mid, ca, cb)
        else:
            assert np.allclose(mid, (ca + cb) / 2, atol=12), (name, mid, ca, cb)


def test_conform_mixed_inputs_pad_and_crop(tmp_path):
    big = make_clip_with_audio(tmp_path / "big.mp4", 0, 13, w=320, h=240, fps=12)  # 4:3, 12 fps, audio
    small = make_clip(tmp_path / "small.mp4", 1, 9)
    assert big[1].has_audio and not small[1].has_audio
    n, trs = [8, 8], [Transition("fade", 2)]
    pad = frames_of(stitch(tmp_path, [big, small], n, trs, name="pad"))
    crop = frames_of(stitch(tmp_path, [big, small], n, trs, EncodeSettings(160, 90, FPS, fit="crop"), name="crop"))
    assert len(pad) == len(crop) == 14
    assert pad[0].shape == crop[0].shape == (90, 160, 3)
    # 4:3 into 16:9: pad letterboxes (black pillars at the sides), crop fills
    assert pad[0][:, :15].mean() < 20 and pad[0][:, -15:].mean() < 20
    assert crop[0][30:, :15].mean() > 60
    assert decode_mark(pad[-1]) == (1, 7)


def test_retime_maps_first_and_last_frames_onto_the_beat(tmp_path):
    # 25 frames at 12 fps span 2 s; the beat lasts 1 s at 8 fps: output frame i is source frame 3*i
    fast = make_clip(tmp_path / "fast.mp4", 2, 25, fps=12)
    out = stitch(tmp_path, [fast], [8], [])
    assert [decode_mark(f) for f in frames_of(out)] == [(2, 3 * i) for i in range(8)]


def test_local_clip_conform_is_identity(tmp_path, clips):
    # A clip with exactly n+1 frames at the board fps passes through unchanged (bar quantisation).
    out = stitch(tmp_path, clips[:1], [8], [])
    src = frames_of(clips[0][0])[:8]
    got = frames_of(out)
    assert min(psnr(a, b) for a, b in zip(src, got)) > 38


def test_piecewise_equals_single_graph(tmp_path, clips):
    n = [8, 8, 8, 8]
    trs = [Transition("fade", 3), Transition("cut"), Transition("wipeleft", 2)]
    pieces = frames_of(stitch(tmp_path, clips, n, trs))
    ref = tmp_path / "ref.mp4"
    single_graph_render(clips, n, trs, SET, ref)
    whole = frames_of(ref)
    assert len(pieces) == len(whole) == total_frames(n, trs)
    assert min(psnr(a, b) for a, b in zip(pieces, whole)) > 35
    assert [decode_mark(f) for f in pieces[:5]] == [decode_mark(f) for f in whole[:5]]


def test_input_seeking_gives_the_same_frames(tmp_path, monkeypatch):
    long = [make_clip(tmp_path / f"long{k}.mp4", k, 41) for k in range(2)]  # 5 s clips
    n, trs = [40, 40], [Transition("fade", 3)]
    monkeypatch.setattr(encode_mod, "SEEK_MIN_SECONDS", 1e9)
    no_seek = frames_of(stitch(tmp_path, long, n, trs, name="noseek"))
    monkeypatch.setattr(encode_mod, "SEEK_MIN_SECONDS", 0.0)
    piece = plan_pieces(n, trs)[1]
    argv = encode_mod.piece_command(piece, long, tmp_path / "x.mp4", SET)
    assert "-ss" in argv  # the junction opens clip 0 near its tail
    seek = frames_of(stitch(tmp_path, long, n, trs, name="seek"))
    assert len(seek) == len(no_seek) == 77
    assert min(psnr(a, b) for a, b in zip(seek, no_seek)) > 60
    assert [decode_mark(f) for f in seek[30:37]] == [(0, i) for i in range(30, 37)]


def test_wrong_input_count_rejected(clips, tmp_path):
    piece = plan_pieces([8, 8], [Transition("fade", 2)])[1]
    with pytest.raises(ValueError, match="needs 2 input"):
        encode_piece(piece, clips[:1], tmp_path / "x.mp4", SET)
    assert not (tmp_path / "x.mp4").exists()
