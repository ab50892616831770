"""Captions: burned (drawtext with the shipped font, text passed by file) and sidecars (SRT, WebVTT)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from storyrender.media.ffmpeg import run_ffmpeg
from storyrender.media.probe import probe
from storyrender.stitch import (
    Cue,
    EncodeSettings,
    Overlay,
    Transition,
    concat_pieces,
    cue_times,
    encode_piece,
    overlays_for_piece,
    plan_pieces,
    write_srt,
    write_vtt,
)
from storyrender.stitch._filters import filter_value
from storyrender.stitch.captions import wrap_text
from storyrender.stitch.encode import piece_command
from .test_stitch_support import frames_of, make_clip

HOSTILE = "'; drop %{n} \\ : \"quotes\" \n newline 👋 שלום [x],;=%{pts} $(rm -rf /) `id`"
SET = EncodeSettings(320, 180, 8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("capclips")
    return make_clip(d / "c.mp4", 1, 9)


def _caption_area(frame):
    return frame[128:152, 60:260].astype(np.int16)  # above the bottom 17% (CaptionStyle.bottom_scale)


def test_burned_caption_is_visible_only_where_it_is_cued(tmp_path, clip):
    piece = plan_pieces([8], [])[0]
    plain = tmp_path / "plain.mp4"
    cap = tmp_path / "cap.mp4"
    encode_piece(piece, [clip], plain, SET)
    encode_piece(piece, [clip], cap, SET, overlays=[Overlay("Hello caption world", 2, 6)])
    a, b = frames_of(plain), frames_of(cap)
    assert len(a) == len(b) == 8
    for i in range(8):
        diff = np.abs(_caption_area(a[i]) - _caption_area(b[i])).mean()
        top = np.abs(a[i][20:60].astype(np.int16) - b[i][20:60].astype(np.int16)).mean()
        assert top < 2
        if 2 <= i < 6:
            assert diff > 10, (i, diff)
        else:
            assert diff < 2, (i, diff)


def test_hostile_text_is_drawn_literally_and_never_reaches_the_command(tmp_path, clip):
    piece = plan_pieces([8], [])[0]
    odd_dir = tmp_path / "we'ird: dir, [with]; quotes\\"
    odd_dir.mkdir()
    out = tmp_path / "hostile.mp4"
    argv = piece_command(piece, [clip], out, SET, [Overlay(HOSTILE, 0, 8)], text_dir=odd_dir)
    joined = " ".join(argv)
    for needle in ("drop", "quotes\"", "rm -rf", "שלום", "%{pts}"):
        assert needle not in joined
    run_ffmpeg(argv)  # the odd text-file path is escaped correctly: ffmpeg finds it
    written = (odd_dir / "caption-0.txt").read_text(encoding="utf-8")
    assert written.split() == HOSTILE.split()
    assert probe(out).frames == 8
    # something was drawn
    plain = tmp_path / "plain.mp4"
    encode_piece(piece, [clip], plain, SET)
    assert np.abs(_caption_area(frames_of(out)[0]) - _caption_area(frames_of(plain)[0])).mean() > 10
    # also through encode_piece's own temp dir
    encode_piece(piece, [clip], tmp_path / "hostile2.mp4", SET, overlays=[Overlay(HOSTILE, 0, 8)])


def test_filter_value_roundtrip_through_ffmpeg(tmp_path):
    """A drawtext textfile path full of filtergraph syntax still names the right file."""
    weird = tmp_path / "a'b:c,d[e]f;g\\h"
    weird.mkdir()
    tf = weird / "t.txt"
    tf.write_text("ok", encoding="utf-8")
    from storyrender.fonts import font_path

    graph = f"color=c=black:s=64x32:d=0.25,drawtext=fontfile={filter_value(str(font_path()))}:" \
            f"textfile={filter_value(str(tf))}:fontcolor=white"
    run_ffmpeg(["-f", "lavfi", "-i", graph, "-frames:v", "1", str(tmp_path / "x.png")])
    from PIL import Image

    with Image.open(tmp_path / "x.png") as img:
        lit = int((np.asarray(img.convert("L")) > 128).sum())
    assert 10 < lit < 64 * 32 // 4  # the file's text is drawn in white on the black frame


def test_long_text_wraps_within_the_frame():
    lines = wrap_text("a very long caption " * 12, 280, 16)
    assert len(lines) > 2
    from PIL import ImageFont

    from storyrender.fonts import font_path

    font = ImageFont.truetype(str(font_path()), 16)
    assert all(font.getlength(ln) <= 280 for ln in lines)
    assert wrap_text("x" * 200, 100, 16) and all(font.getlength(ln) <= 100 for ln in wrap_text("x" * 200, 100, 16))


def _parse(text: str, sep: str) -> list[tuple[float, float, str]]:
    pat = re.compile(rf"(\d\d):(\d\d):(\d\d){sep}(\d\d\d) --> (\d\d):(\d\d):(\d\d){sep}(\d\d\d)\n(.*?)(?:\n\n|\n?$)",
                     re.S)
    out = []
    for m in pat.finditer(text):
        g = [int(x) for x in m.groups()[:8]]
        a = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        b = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append((a, b, m.group(9)))
    return out


def test_srt_and_vtt_timing(tmp_path):
    n = [8, 16, 8, 8]
    trs = [Transition("fade", 4), Transition("cut"), Transition("fade", 2)]
    times = cue_times(n, trs, 8)
    cues = [Cue(t.start, t.end, x) for t, x in zip(times, ["first", "second <b>&", "", "last\nline"])]
    write_srt(cues, tmp_path / "c.srt")
    write_vtt(cues, tmp_path / "c.vtt")
    srt = (tmp_path / "c.srt").read_text(encoding="utf-8")
    vtt = (tmp_path / "c.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n")
    expected = [(0.0, 0.75), (0.75, 2.5), (3.375, 4.25)]  # the empty caption is skipped
    s, v = _parse(srt, ","), _parse(vtt, r"\.")
    assert [(a, b) for a, b, _ in s] == expected == [(a, b) for a, b, _ in v]
    assert [t for *_, t in s] == ["first", "second <b>&", "last\nline"]
    assert v[1][2] == "second &lt;b&gt;&amp;"
    assert srt.startswith("1\n00:00:00,000 --> 00:00:00,750\nfirst\n")


def test_soft_subtitles_muxed_as_mov_text(tmp_path, clip):
    piece = plan_pieces([8], [])[0]
    encode_piece(piece, [clip], tmp_path / "p.mp4", SET)
    write_srt([Cue(0.0, 0.5, HOSTILE)], tmp_path / "c.srt")
    concat_pieces([tmp_path / "p.mp4"], tmp_path / "f.mp4", subtitles=tmp_path / "c.srt", expect_frames=8)
    import av

    with av.open(str(tmp_path / "f.mp4")) as c:
        subs = [s for s in c.streams if s.type == "subtitle"]
        assert len(subs) == 1 and subs[0].codec_context.name == "mov_text"


def test_captioned_board_end_to_end(tmp_path, clip):
    n = [8, 8]
    trs = [Transition("fade", 2)]
    times = cue_times(n, trs, 8)
    cues = [Cue(t.start, t.end, x) for t, x in zip(times, ["one", HOSTILE])]
    films = {}
    for name, captioned in (("cap", True), ("plain", False)):
        outs = []
        for i, p in enumerate(plan_pieces(n, trs)):
            o = tmp_path / f"{name}{i}.mp4"
            encode_piece(p, [clip for _ in p.beats], o, SET, overlays_for_piece(p, cues, 8) if captioned else ())
            outs.append(o)
        films[name] = frames_of(concat_pieces(outs, tmp_path / f"{name}.mp4", expect_frames=14))
    assert len(films["cap"]) == len(films["plain"]) == 14  # 8 + 8 frames less the 2 of the fade
    drawn = [float(np.abs(_caption_area(c) - _caption_area(p)).mean()) for c, p in zip(films["cap"], films["plain"])]
    assert min(drawn) > 2.5, drawn  # a caption on every frame of the film (an uncaptioned one differs by < 2)
    assert min(drawn[7:]) > 5 * max(drawn[:7]), drawn  # "one" until beat 2 starts (frame 7), then the long text
