"""`storyrender init`: a starter board and .gitignore, optionally from a template."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storyrender.story.project_files import schema_ref
from storyrender.media.probe import probe
from storyrender.resources import schema_path
from storyrender.spec import load_board

from ..conftest import ROOT


def _schema_line(board: Path) -> Path:
    first = board.read_text("utf-8").splitlines()[0]
    m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert m, first
    ref = Path(m.group(1))
    return ref if ref.is_absolute() else (board.parent / ref)


def _check_schema_line(board: Path) -> None:
    """The board's $schema names a file relative to it that holds the schema (no path into this install)."""
    first = board.read_text("utf-8").splitlines()[0]
    assert not Path(first.split("$schema=")[1]).is_absolute(), first
    assert _schema_line(board).read_text("utf-8") == schema_path().read_text("utf-8")


@pytest.mark.slow
def test_init_writes_a_starter_that_validates_and_builds_offline(cli, tmp_path):
    res = cli(["init", "proj"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    board = tmp_path / "proj" / "board.yaml"
    assert "wrote proj/board.yaml" in res.stdout
    _check_schema_line(board)
    gi = (tmp_path / "proj" / ".gitignore").read_text().splitlines()
    assert ".storyrender/" in gi and "out/" in gi
    text = board.read_text()
    assert text.count("#") > 25  # commented
    b = load_board(board)
    assert len(b.beats) == 3 and b.title == "Proj"
    assert cli(["validate", "--offline", "proj/board.yaml"], cwd=tmp_path).returncode == 0
    # build it offline (at a tiny size so the test is quick; the size line is the only change)
    tiny = text.replace("size: 1280x720 ", "size: 160x90   ").replace("fps: 24", "fps: 8").replace("seconds: 3 ", "seconds: 1 ")
    assert tiny != text
    board.write_text(tiny)
    res = cli(["build", "--offline", "-q", "proj/board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    b = load_board(board)
    assert b.total_seconds == 2.0  # 3 beats of 1 s, two dissolves of 0.5 s
    assert probe(tmp_path / "proj" / "out" / "board.mp4").frames == 16


def test_init_refuses_to_overwrite_without_force(cli, tmp_path):
    assert cli(["init"], cwd=tmp_path).returncode == 0
    board = tmp_path / "board.yaml"
    board.write_text("# mine\n")
    res = cli(["init"], cwd=tmp_path)
    assert res.returncode == 2
    assert "board.yaml already exists" in res.stderr and "--force" in res.stderr
    assert board.read_text() == "# mine\n"
    res = cli(["init", "--force"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert board.read_text().startswith("# yaml-language-server:")


def test_init_keeps_an_existing_gitignore_and_adds_what_is_missing(cli, tmp_path):
    (tmp_path / ".gitignore").write_text("*.pyc\nout/\n")
    assert cli(["init"], cwd=tmp_path).returncode == 0
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["*.pyc", "out/"] and lines.count("out/") == 1 and ".storyrender/" in lines
    (tmp_path / "board.yaml").unlink()
    before = (tmp_path / ".gitignore").read_text()
    res = cli(["init"], cwd=tmp_path)
    assert res.returncode == 0 and (tmp_path / ".gitignore").read_text() == before
    assert ".gitignore" not in res.stdout


@pytest.mark.slow
def test_init_from_template_with_vars(cli, tmp_path):
    res = cli(["init", "teaser", "--template", "product-teaser", "--var", "product=Acme: trail shoes",
               "--var", "color=blue"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    board = tmp_path / "teaser" / "board.yaml"
    text = board.read_text()
    assert "\nextends: product-teaser\n" in text and "beats_merge: append" in text
    _check_schema_line(board)
    b = load_board(board)
    assert b.title == "Acme: trail shoes teaser" and "blue accent" in b.style and len(b.beats) == 5
    res = cli(["plan", "--offline", "--json", "teaser/board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["title"] == "Acme: trail shoes teaser"


def test_init_template_without_vars_keeps_a_valid_vars_mapping(cli, tmp_path):
    assert cli(["init", "--template", "ambient-loop"], cwd=tmp_path).returncode == 0
    text = (tmp_path / "board.yaml").read_text()
    assert "vars: {}" in text and "# scene: a misty pine forest" in text
    assert load_board(tmp_path / "board.yaml").title == "Ambient loop, a misty pine forest"


@pytest.mark.slow
def test_init_bad_input_writes_nothing(cli, tmp_path):
    cases = [
        (["init", "--template", "product-teaser"], "needs --var product="),
        (["init", "--template", "product-teaser", "--var", "product=x", "--var", "flavour=y"], "has no var 'flavour'"),
        (["init", "--template", "nope"], "template 'nope' not found"),
        (["init", "--var", "a=b"], "--var needs --template"),
        (["init", "--template", "explainer", "--var", "topic"], "write NAME=VALUE"),
    ]
    for args, message in cases:
        res = cli(args, cwd=tmp_path)
        assert res.returncode == 2, args
        assert message in res.stderr, (args, res.stderr)
    assert list(tmp_path.iterdir()) == []


def test_schema_ref_is_relative_inside_the_checkout_and_absolute_elsewhere(tmp_path):
    if schema_path().resolve() == (ROOT / "schemas" / "storyboard.schema.json").resolve():
        assert schema_ref(ROOT / "storyboards") == "../schemas/storyboard.schema.json"
    assert schema_ref(tmp_path) == "storyboard.schema.json"


def test_a_checkout_named_storyrender_is_a_checkout_and_the_package_is_not(tmp_path, monkeypatch):
    checkout = tmp_path / "storyrender"  # what `git clone .../storyrender` makes
    package = tmp_path / "site-packages" / "storyrender"
    for schema in (checkout / "schemas" / "storyboard.schema.json", package / "_data" / "storyboard.schema.json"):
        schema.parent.mkdir(parents=True)
        schema.write_text("{}")
    (checkout / "storyboards").mkdir()
    monkeypatch.setattr("storyrender.resources.schema_path", lambda: checkout / "schemas" / "storyboard.schema.json")
    assert schema_ref(checkout / "storyboards") == "../schemas/storyboard.schema.json"
    monkeypatch.setattr("storyrender.resources.schema_path", lambda: package / "_data" / "storyboard.schema.json")
    assert schema_ref(package) == "storyboard.schema.json"  # never a path into an install


def test_the_schema_line_resolves_on_a_collaborators_machine(cli, tmp_path):
    res = cli(["init", "proj"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "storyboard.schema.json" in res.stdout
    import shutil

    moved = tmp_path / "elsewhere" / "their-clone"
    shutil.copytree(tmp_path / "proj", moved)  # what a collaborator gets from the repository
    _check_schema_line(moved / "board.yaml")
    assert str(tmp_path) not in (moved / "board.yaml").read_text()
