"""plan's reasons say what changed, not something that did not."""

from __future__ import annotations

import json

import pytest

BOARD = """\
version: 1
output: {size: 160x90, fps: 8, formats: [mp4]}
seconds: 1
beats:
"""


@pytest.mark.slow
def test_appending_beats_to_a_board_without_voice_is_not_a_voice_change(write_board, cli, tmp_path):
    write_board(BOARD + "  - {prompt: one}\n  - {prompt: two}\n")
    assert cli(["build", "-q", "board.yaml"], cwd=tmp_path).returncode == 0
    write_board(BOARD + "  - {prompt: one}\n  - {prompt: two}\n  - {prompt: three}\n")
    res = cli(["plan", "--json", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    audio = [n for n in json.loads(res.stdout)["nodes"] if n["role"] == "audio"][0]
    assert audio["status"] == "render"
    assert "voice" not in audio["reason"] and "beats or their timing changed" in audio["reason"], audio["reason"]
