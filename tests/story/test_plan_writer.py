"""The writing in plans: `new --plan` prices it before anything is written; `plan BOARD` of a board that
`new` wrote shows the writer's row (written, nothing to pay), in text and in --json."""

from __future__ import annotations

import pytest
import json


@pytest.mark.slow
def test_plan_shows_who_wrote_the_board(cli, tmp_path):
    before = cli(["new", "a cat in a forest", "--seconds", "10", "--offline", "--plan", "p"], cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("render  story  local/template  2 beats (5, 5 s)  $0.0000")
    assert not (tmp_path / "p").exists()  # nothing written
    assert cli(["new", "a cat in a forest", "--seconds", "10", "--offline", "p"], cwd=tmp_path).returncode == 0

    text = cli(["plan", "p/board.yaml"], cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    row = text.stdout.splitlines()[1].split()
    assert row[:3] == ["written", "story", "local/template"] and row[3] == "-", text.stdout
    assert "the beats are written" in text.stdout
    doc = json.loads(cli(["plan", "--json", "p/board.yaml"], cwd=tmp_path).stdout)
    assert doc["writer"] == {"provider": "local", "model": "template", "status": "written", "estimate_usd": 0.0}
    assert doc["totals"]["estimate_usd"] == 0.0


@pytest.mark.slow
def test_a_hand_written_board_has_no_writer_row(write_board, cli, tmp_path):
    write_board("version: 1\nbeats:\n  - {prompt: a cat}\n")
    text = cli(["plan", "board.yaml"], cwd=tmp_path).stdout
    assert "story" not in text and "written" not in text
    assert "writer" not in json.loads(cli(["plan", "--json", "board.yaml"], cwd=tmp_path).stdout)


def test_plan_writer_row_in_process(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from storyrender.cli.main import cli as storyrender_cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "board.yaml").write_text("version: 1\nproviders: {writer: openai/gpt-5.4-mini}\n"
                                         "beats:\n  - {prompt: a cat}\n")
    out = CliRunner().invoke(storyrender_cli, ["plan", "board.yaml"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[1].split()[:4] == ["written", "story", "openai/gpt-5.4-mini", "-"]
    doc = json.loads(CliRunner().invoke(storyrender_cli, ["plan", "--json", "board.yaml"]).output)
    assert doc["writer"]["model"] == "gpt-5.4-mini" and doc["writer"]["status"] == "written"
