"""Soft subtitle tracks keep the caption as written (markup-like text included) and carry the board's language."""

from __future__ import annotations

import json
import subprocess

import pytest

from storyrender.media.ffmpeg import ffmpeg_exe

CAPTION = "Press <on> & hold {b} for 2 s"


def _track(path, fmt: str) -> str:
    """The subtitle track's text as ffmpeg reads it back (no re-interpretation: packets copied out)."""
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:s:0", "-c:s",
                          "copy" if fmt == "webvtt" else "text", "-f", "webvtt" if fmt == "webvtt" else "rawvideo",
                          "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _language(path) -> str:
    import av

    with av.open(str(path)) as c:
        return c.streams.subtitles[0].metadata.get("language", "")


@pytest.mark.slow
def test_soft_tracks_keep_markup_like_text_and_say_their_language(write_board, cli, tmp_path):
    board = write_board(f"""\
        version: 1
        output: {{size: 160x90, fps: 8, formats: [mp4, webm]}}
        seconds: 1
        captions: {{soft: true, files: [srt], language: eng}}
        beats:
          - {{prompt: a switch on a wall, caption: "{CAPTION}"}}
          - {{prompt: a lamp glows}}
        """)
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    assert CAPTION in (out / "board.srt").read_text()
    assert CAPTION in _track(out / "board.mp4", "mov_text")
    vtt = _track(out / "board.webm", "webvtt")
    # WebVTT escapes markup characters; a player shows the caption as written
    assert "Press &lt;on&gt; &amp; hold {b} for 2 s" in vtt
    assert _language(out / "board.mp4") == "eng"
    assert _language(out / "board.webm") == "eng"


def test_language_must_be_a_three_letter_code(write_board, cli, tmp_path):
    write_board("""\
        version: 1
        output: {size: 160x90, fps: 8}
        captions: {soft: true, language: English}
        beats: [{prompt: a, caption: b}]
        """)
    res = cli(["validate", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2 and "board.yaml:3:" in res.stderr and "ISO 639-2" in res.stderr
