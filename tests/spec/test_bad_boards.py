"""Bad storyboards: one clear paragraph naming file:line, exit status 2, no traceback, nothing written."""

from __future__ import annotations

import re

import pytest

from ..conftest import TINY

CASES = {
    "syntax": (TINY + "beats:\n  - prompt: [unclosed\n", r"board\.yaml:\d+:\d+: YAML syntax error"),
    "unknown_field": (TINY + "colour: red\nbeats:\n  - prompt: a\n", r"board\.yaml:4:1: .*unknown field 'colour'"),
    "wrong_type": (TINY + "beats:\n  - prompt: a\n    seconds: five\n", r"board\.yaml:6:\d+: /beats/0/seconds: expected a number"),
    "missing_prompt": (TINY + "beats:\n  - caption: hi\n", r"board\.yaml:5:\d+: /beats/0: missing required field 'prompt'"),
    "unknown_provider": (TINY + "providers: {video: nosuch}\nbeats:\n  - prompt: a\n",
                         r"board\.yaml:4:\d+: /providers/video: unknown provider 'nosuch'"),
    "no_capability": (TINY + "providers: {keyframe: fake/img-only}\nbeats:\n  - prompt: a\n",
                      r"board\.yaml:4:\d+: /providers/keyframe: fake/img-only cannot do next-keyframe"),
    "missing_start_image": (TINY + "beats:\n  - prompt: a\n    start_image: frames/nope.png\n",
                            r"board\.yaml:6:\d+: /beats/0/start_image: image 'frames/nope.png' does not exist"),
    "unknown_transition": (TINY + "beats:\n  - prompt: a\n  - prompt: b\n    transition: swoosh\n",
                           r"board\.yaml:7:\d+: .*unknown transition 'swoosh'.*Valid names: cut, fade"),
    "zero_beats": (TINY + "beats: []\n", r"board\.yaml:4:\d+: /beats: has 0 items; must have at least 1"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_board_exits_2_with_location(name, write_board, cli, fake, tmp_path):
    text, pattern = CASES[name]
    board = write_board(text)
    before = set(p.name for p in tmp_path.iterdir())
    res = cli(["build", str(board.name)], cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert re.search(pattern, res.stderr), res.stderr
    assert res.stderr.count("\n") <= 3  # one paragraph
    after = set(p.name for p in tmp_path.iterdir())
    assert after - before <= {"calls.jsonl"} and not (tmp_path / "calls.jsonl").exists()
    assert not (tmp_path / ".storyrender").exists() and not (tmp_path / "out").exists()


def test_validate_reports_every_board(write_board, cli, tmp_path):
    good = write_board(TINY + "beats:\n  - prompt: a\n", "good.yaml")
    bad = write_board(TINY + "beats:\n  - prompt: 3\n", "bad.yaml")
    res = cli(["validate", good.name, bad.name], cwd=tmp_path)
    assert res.returncode == 2
    assert "ok: good.yaml (1 beats" in res.stdout
    assert re.search(r"bad\.yaml:5:\d+: /beats/0/prompt: expected text", res.stderr)


def test_cost_limit_check_happens_before_spending(write_board, cli, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PRICE", "0.5")
    board = write_board(TINY + "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
                        "beats:\n  - prompt: a\n  - prompt: b\n")
    res = cli(["build", "--budget", "1", board.name], cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "over the budget" in res.stderr
    assert fake() == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "device", "nul"])
def test_a_board_that_is_no_file_is_refused_at_once(kind, cli, tmp_path):
    import os

    from storyrender.errors import BoardError
    from storyrender.spec.yamlpos import load_yaml

    if kind == "nul":  # a path with a NUL byte cannot reach the CLI: the loader is called directly
        with pytest.raises(BoardError, match="NUL byte"):
            load_yaml(__import__("pathlib").Path("bo\0ard.yaml"))
        return
    path = "/dev/zero"
    if kind == "fifo":
        os.mkfifo(tmp_path / "board.yaml")
        path = "board.yaml"
    res = cli(["validate", path], cwd=tmp_path, timeout=20)
    assert res.returncode == 2 and "is not a regular file" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / ".storyrender").exists()
