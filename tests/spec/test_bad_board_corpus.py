"""The bad-input corpus (tests/spec/bad_boards/): every malformed or hostile storyboard is refused clearly.

Each one: exit status 2, one message naming FILE:LINE and what to fix (the regex in
tests/spec/bad_boards/expected.yaml), no traceback, nothing written (no cache, no output folder) and
nothing spent (the provider's call log stays empty).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from storyrender.cli.main import cli as storyrender_cli

from ..conftest import run

pytestmark = pytest.mark.xdist_group("reliability-bad-boards")

CORPUS = Path(__file__).parent / "bad_boards"
EXPECTED: dict[str, str] = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))
BOARDS = sorted(p.name for p in CORPUS.iterdir() if p.suffix == ".yaml" and p.name != "expected.yaml")


def test_corpus_is_complete():
    assert len(BOARDS) >= 40
    assert sorted(EXPECTED) == BOARDS, "every board needs its expected message (and only those)"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the corpus as its own project (so `..` really leads outside it)."""
    root = tmp_path_factory.mktemp("bad") / "project"
    shutil.copytree(CORPUS, root)
    return root


def _written(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if (p.name in (".storyrender", "out", "calls.jsonl") or p.suffix in (".mp4", ".part"))
                  and not (CORPUS / p.relative_to(root)).exists())  # the corpus's own media inputs


@pytest.mark.parametrize("name", BOARDS)
def test_bad_board_is_refused_with_its_place_and_a_fix(name, project, monkeypatch, tmp_path):
    log = tmp_path / "calls.jsonl"
    monkeypatch.chdir(project)
    monkeypatch.setenv("STORYRENDER_PROJECT_ROOT", str(project))
    monkeypatch.setenv("STORYRENDER_PLUGINS", "tests.plugins.faulty")
    monkeypatch.setenv("FAULTY_CALLS", str(log))
    result = CliRunner().invoke(storyrender_cli, ["build", name])
    assert result.exit_code == 2, (result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    err = result.stderr
    assert "Traceback" not in err
    assert re.search(EXPECTED[name], err), f"{name}: {err!r} does not match {EXPECTED[name]!r}"
    if name != "directory.yaml":  # a directory has no lines to name
        assert re.match(rf"error: {re.escape(name)}:\d+(:\d+)?: ", err), err
    assert len(err) < 2000  # a clear paragraph or two, not a dump
    assert not log.exists()  # nothing spent
    assert _written(project) == []  # nothing written


@pytest.mark.slow
def test_all_bad_boards_at_once_through_the_real_cli(project, tmp_path):
    """The real process: exit 2, every board's error reported, no traceback, nothing written or spent."""
    log = tmp_path / "calls.jsonl"
    env = {"STORYRENDER_PROJECT_ROOT": str(project), "STORYRENDER_PLUGINS": "tests.plugins.faulty",
           "FAULTY_CALLS": str(log)}
    res = run(["build", *BOARDS], cwd=project, env=env)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    for name in BOARDS:
        assert re.search(EXPECTED[name], res.stderr), name
    assert res.stdout == ""
    assert not log.exists()
    assert _written(project) == []
    reported = {m.group(1) for m in re.finditer(r"^error: ([^:\s]+\.yaml):", res.stderr, re.M)}
    assert reported == set(BOARDS)  # each board's report starts with "error: FILE:"
