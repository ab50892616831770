"""Output formats and executors come from what is installed: a plugin's extra ones are offered and
used through the same hooks as the built-in ones; an unknown one is bad input (exit 2)."""

from __future__ import annotations

import pytest

from storyrender.plugins.manager import get_plugin_manager, load_registry

from ..conftest import TINY

PLUGIN = "tests.plugins.extras"


@pytest.fixture
def extras(monkeypatch, tmp_path):
    """Load the extras plugin; returns a function giving the lines its exporter and executor wrote."""
    log = tmp_path / "extras.log"
    monkeypatch.setenv("STORYRENDER_PLUGINS", PLUGIN)
    monkeypatch.setenv("EXTRAS_LOG", str(log))
    return lambda: log.read_text().splitlines() if log.exists() else []


def test_built_ins_register_through_the_hooks():
    registry = load_registry(get_plugin_manager(entry_points=False))
    assert sorted(registry.exporters) == ["gif", "webm"]
    assert sorted(registry.executors) == ["ray", "threads"]


def test_a_plugin_adds_a_format_and_an_executor(extras):
    registry = load_registry()
    assert "mov" in registry.exporters and "serial" in registry.executors
    assert {"gif", "webm", "threads", "ray"} <= set(registry.exporters) | set(registry.executors)


def test_the_executor_choices_are_what_is_installed(extras, cli, tmp_path):
    res = cli(["build", "--help"], cwd=tmp_path, env={"COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    line = next(s for s in res.stdout.splitlines() if "--executor" in s)
    assert "serial" in line and "threads" in line and "ray" in line


@pytest.mark.slow
def test_the_plugin_format_and_executor_are_used(extras, write_board, cli, tmp_path):
    board = write_board(TINY.replace("fps: 8}", "fps: 8, formats: [mp4, mov]}") + "beats:\n  - prompt: one\n")
    res = cli(["build", "-q", "--executor", "serial", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    mp4, mov = tmp_path / "out" / "board.mp4", tmp_path / "out" / "board.mov"
    assert mov.read_bytes() == mp4.read_bytes()
    lines = extras()
    assert [s.split()[0] for s in lines] == ["serial", "mov"], lines
    assert lines[0].endswith("jobs=1") and int(lines[0].split()[1]) > 1


def test_an_unknown_executor_is_bad_input(extras, write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - prompt: one\n")
    res = cli(["build", "--executor", "warp", board.name], cwd=tmp_path)
    assert res.returncode == 2
    assert "'warp' is not one of" in res.stderr and "'serial'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists() and extras() == []


def test_an_unknown_format_is_bad_input_at_its_line(extras, write_board, cli, tmp_path):
    board = write_board(TINY.replace("fps: 8}", "fps: 8, formats: [mp4, avi]}") + "beats:\n  - prompt: one\n")
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 2
    assert "board.yaml:2" in res.stderr and "unknown output format 'avi'" in res.stderr, res.stderr
    assert "gif, mov, mp4, webm" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_a_plugin_format_may_not_overwrite_the_board(write_board):
    from storyrender.errors import BoardError
    from storyrender.spec import load_board

    board = write_board("version: 1\noutput: {size: 160x90, fps: 8, path: board.mp4, formats: [mp4, yaml]}\n"
                        "seconds: 1\nbeats:\n  - prompt: one\n")
    with pytest.raises(BoardError) as err:
        load_board(board)
    assert "the yaml file 'board.yaml' would overwrite the storyboard itself" in err.value.format()


def test_a_plugin_exporters_version_is_in_its_exports_key_only(extras, write_board, monkeypatch):
    """An exporter release that writes a different file (a new ``version``) re-exports; nothing else re-renders."""
    from storyrender.api import prepare

    board = write_board(TINY.replace("fps: 8}", "fps: 8, formats: [mp4, mov, gif]}") + "beats:\n  - prompt: one\n")

    def keys():
        g = prepare(board, registry=load_registry()).graph
        return {n.role: n.key for n in g}

    before = keys()
    monkeypatch.setenv("EXTRAS_MOV_VERSION", "2")
    after = keys()
    assert {r for r in before if before[r] != after[r]} == {"export:mov"}
