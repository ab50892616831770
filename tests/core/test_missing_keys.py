"""Every missing key is named, with the board line choosing the provider; the budget is still checked."""

from __future__ import annotations

import json
import re

import pytest

BOARD = """\
version: 1
output: {size: 1280x720, fps: 24}
seconds: 4
providers:
  image: openai
  keyframe: google
  video: fal
beats:
  - {prompt: a cat}
  - {prompt: a dog}
"""
KEYS = ("OPENAI_API_KEY", "FAL_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI")


@pytest.fixture
def nokeys(monkeypatch):
    for k in KEYS:
        monkeypatch.delenv(k, raising=False)


def _lines_named(text: str) -> dict[str, str]:
    out = {}
    for name, line in (("fal", "board.yaml:7:"), ("google", "board.yaml:6:"), ("openai", "board.yaml:5:")):
        hit = [row for row in text.splitlines() if f"provider '{name}' needs an API key" in row]
        assert hit and line in hit[0], (name, text)
        out[name] = hit[0]
    return out


def test_build_names_every_missing_key_and_still_checks_the_budget(write_board, cli, tmp_path, nokeys):
    write_board(BOARD)
    res = cli(["build", "--budget", "0.01", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    named = _lines_named(res.stderr)
    assert "FAL_KEY" in named["fal"] and "GOOGLE_API_KEY or GEMINI_API_KEY" in named["google"]
    assert re.search(r"what is left to render is \$0\.9\d, over the budget of \$0\.01", res.stderr), res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / ".storyrender").exists()


@pytest.mark.slow
def test_build_json_and_plan_list_them_all(write_board, cli, tmp_path, nokeys):
    write_board(BOARD)
    res = cli(["build", "--json", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    _lines_named(json.loads(res.stdout)["error"])
    plan = cli(["plan", "board.yaml"], cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    _lines_named(plan.stderr)
    doc = json.loads(cli(["plan", "--json", "board.yaml"], cwd=tmp_path).stdout)
    assert len(doc["missing_keys"]) == 3
    _lines_named("\n".join(doc["missing_keys"]))
    val = cli(["validate", "board.yaml"], cwd=tmp_path)
    _lines_named(val.stderr)
