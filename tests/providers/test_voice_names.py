"""An unknown voice name is refused at validation, with the voices that exist."""

from __future__ import annotations

import shutil

import pytest

from storyrender.media.probe import probe
from storyrender.providers.local.voice import voice_problem

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

BOARD = """\
version: 1
output: {{size: 160x90, fps: 8, formats: [mp4]}}
seconds: 1
audio:
  voice: {{name: "{name}"}}
beats:
  - {{prompt: a cat, say: hello there}}
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vulcan", "en+zork"])
def test_unknown_voice_is_refused_before_anything_runs(write_board, cli, tmp_path, name):
    write_board(BOARD.format(name=name))
    for cmd in (["validate"], ["build"]):
        res = cli([*cmd, "board.yaml"], cwd=tmp_path)
        assert res.returncode == 2, res.stderr
        assert "board.yaml:5:" in res.stderr and "/audio/voice/name" in res.stderr
        assert "en-us" in res.stderr or "alicia" in res.stderr  # the voices that exist
        assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["en-us", "en+f3", "English (America)", "Klingon"])
def test_voices_espeak_ng_knows_build(write_board, cli, tmp_path, name):
    write_board(BOARD.format(name=name))
    res = cli(["build", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "default voice" not in res.stderr  # spoken with the voice asked for
    assert probe(tmp_path / "out" / "board.mp4").has_audio


def test_voice_problem_names_the_voices_that_exist():
    assert voice_problem("en-us") is None and voice_problem("en+f3") is None and voice_problem("") is None
    unknown = voice_problem("vulcan")
    assert unknown.startswith("espeak-ng has no voice 'vulcan'") and "en-us" in unknown and "en+f3" in unknown
    variant = voice_problem("en+zork")
    assert variant.startswith("espeak-ng has no voice variant 'zork'") and "espeak-ng --voices=variant" in variant
