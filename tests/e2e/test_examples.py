"""The shipped example renders offline (at a tiny size here; `make demo` renders it at full size)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from storyrender.media.probe import probe
from storyrender.spec import load_board

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "storyboards" / "example.yaml"


def test_example_is_a_real_board():
    board = load_board(EXAMPLE)
    assert len(board.beats) >= 6
    assert (board.output.width, board.output.height, board.output.fps) == (1280, 720, 24)


@pytest.mark.slow
def test_example_renders_offline(tmp_path, cli):
    text = EXAMPLE.read_text()
    text = re.sub(r"size: 1280x720", "size: 160x90", text).replace("fps: 24", "fps: 8")
    (tmp_path / "example.yaml").write_text(text)
    res = cli(["build", "--offline", "example.yaml"], cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("example.mp4")
    board = load_board(tmp_path / "example.yaml")
    info = probe(tmp_path / "out" / "example.mp4")
    expected = sum(round(b.seconds * 8) for b in board.beats) - sum(
        round(b.transition.seconds * 8) for b in board.beats if b.transition)
    assert (info.width, info.height, info.frames) == (160, 90, expected)
    for ext in ("srt", "vtt", "manifest.json", "html"):
        assert (tmp_path / "out" / f"example.{ext}").exists(), ext


def test_providers_lists_every_installed_plugin(cli):
    res = cli(["providers", "--json"])
    names = {r["name"] for r in json.loads(res.stdout)}
    for plugin in ("openai", "google", "replicate", "getimg", "fal"):
        if importlib.util.find_spec(f"storyrender_{plugin}") is not None:
            assert plugin in names
            assert any(r["models"] for r in json.loads(res.stdout) if r["name"] == plugin)
