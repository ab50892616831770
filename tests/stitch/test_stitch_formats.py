"""Output formats (MP4, WebM, GIF) and board sizes."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from storyrender.media.probe import probe
from storyrender.stitch import (
    Cue,
    EncodeSettings,
    Transition,
    concat_pieces,
    encode_piece,
    export_gif,
    export_webm,
    overlays_for_piece,
    plan_pieces,
    total_frames,
    write_srt,
)
from storyrender.stitch.audio import render_audio
from storyrender.stitch.final import gif_size
from .test_stitch_support import make_clip, make_clip_with_audio


def build(tmp: Path, clips, n, trs, settings, *, audio=True, cues=()) -> Path:
    outs = []
    for i, p in enumerate(plan_pieces(n, trs)):
        outs.append(tmp / f"p{i}.mp4")
        encode_piece(p, [clips[b] for b in p.beats], outs[-1], settings,
                     overlays_for_piece(p, cues, settings.fps))
    a = None
    if audio:
        a = render_audio(clips, n, trs, settings.fps, tmp / "a.m4a").path
    subs = write_srt(cues, tmp / "c.srt") if cues else None
    return concat_pieces(outs, tmp / "final.mp4", audio=a, subtitles=subs, expect_frames=total_frames(n, trs))


def streams(path: Path) -> dict[str, str]:
    with av.open(str(path)) as c:
        return {s.type: s.codec_context.name for s in c.streams}


@pytest.fixture(scope="module")
def final(tmp_path_factory):
    d = tmp_path_factory.mktemp("fmt")
    clips = [make_clip_with_audio(d / "a.mp4", 0, 9, w=160, h=90, fps=8), make_clip(d / "b.mp4", 1, 9)]
    return build(d, clips, [8, 8], [Transition("slideleft", 2)], EncodeSettings(160, 90, 8),
                 cues=[Cue(0.0, 1.0, "hi")])


@pytest.mark.slow
def test_mp4_faststart_and_streams(final):
    assert streams(final) == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    head = final.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


@pytest.mark.slow
def test_webm_vp9_opus(final, tmp_path):
    out = export_webm(final, tmp_path / "v.webm")
    assert streams(out) == {"video": "vp9", "audio": "opus", "subtitle": "webvtt"}
    info = probe(out)
    assert (info.width, info.height, info.frames) == (160, 90, 14)


def test_gif(final, tmp_path):
    out = export_gif(final, tmp_path / "v.gif")
    info = probe(out)
    assert info.video_codec == "gif" and (info.width, info.height) == (160, 90)
    assert abs(info.duration - 14 / 8) < 0.1  # GIF delays are in 1/100 s
    assert gif_size(1920, 1080) == (480, 270) and gif_size(720, 1280) == (480, 852)
    assert gif_size(1080, 1080) == (480, 480) and gif_size(160, 90) == (160, 90)


def test_interrupted_output_never_replaces_a_good_file(final, tmp_path):
    out = tmp_path / "keep.webm"
    out.write_bytes(b"previous")
    from storyrender.errors import StitchError

    with pytest.raises(StitchError):
        export_webm(final, out, crf=999)  # invalid: ffmpeg fails
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.webm"]


@pytest.mark.slow
@pytest.mark.parametrize("size", ["1280x720", "1920x1080", "720x1280", "1080x1080"])
def test_board_sizes(tmp_path, size):
    w, h = map(int, size.split("x"))
    clips = [make_clip(tmp_path / "a.mp4", 0, 4), make_clip(tmp_path / "b.mp4", 1, 4)]
    out = build(tmp_path, clips, [3, 3], [Transition("fade", 1)], EncodeSettings(w, h, 24, "draft"),
                audio=False, cues=[Cue(0.0, 0.2, "caption at " + size)])
    info = probe(out)
    assert (info.width, info.height, info.frames) == (w, h, 5)
    gif = probe(export_gif(out, tmp_path / "g.gif"))
    assert gif.width <= 480 and gif.width % 2 == 0 and gif.height % 2 == 0
