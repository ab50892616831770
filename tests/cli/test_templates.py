"""The shipped template library and `storyrender templates`."""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest

from storyrender.spec.templates import template_info
from storyrender.media.probe import probe, read_frames
from storyrender.resources import templates_dir
from storyrender.spec import load_board

SHIPPED = sorted(p.stem for p in templates_dir().glob("*.yaml"))
TINY_OVERRIDE = "output: {size: 160x90, fps: 8}\nseconds: 1\n"
#: values for the templates' required vars
REQUIRED = {"product": "Acme trail shoes"}


def test_library_has_the_promised_templates():
    assert {"product-teaser", "vertical-short", "day-in-the-life", "explainer", "ambient-loop"} <= set(SHIPPED)
    assert not (templates_dir() / ".keep").exists()


@pytest.mark.parametrize("name", SHIPPED)
def test_template_documents_every_var_it_uses(name):
    path = templates_dir() / f"{name}.yaml"
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/storyboard.schema.json\n")
    info = template_info(path)
    assert info.title and info.description and info.summary and info.beats >= 3
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    names = {v.name for v in info.vars}
    assert used <= names
    for v in info.vars:
        assert v.description, f"{name}: var {v.name} has no description in the header"
        assert v.used_in, f"{name}: var {v.name} is documented but never used"
        assert v.required == (v.default is None)
        if v.required:
            assert v.name in REQUIRED, f"{name}: a new required var {v.name}: add a value to REQUIRED"
    # no template sets output.path (it would be relative to the template, not to the board)
    assert "path:" not in text.split("output:", 1)[1].split("\n\n", 1)[0]


def test_product_teaser_requires_product_and_defaults_color():
    info = {v.name: v for v in template_info(templates_dir() / "product-teaser.yaml").vars}
    assert info["product"].required and info["product"].default is None
    assert not info["color"].required and info["color"].default == "red"
    assert "/beats/0/prompt" in info["product"].used_in


def test_vertical_short_is_9_16():
    board = load_board(templates_dir() / "vertical-short.yaml")
    assert (board.output.width, board.output.height) == (720, 1280)


def test_explainer_has_voice_over():
    board = load_board(templates_dir() / "explainer.yaml")
    assert all(b.say for b in board.beats)


@pytest.mark.slow
def test_templates_command_lists_names_titles_and_vars(cli):
    res = cli(["templates", "--json"])
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    rows = {t["name"]: t for t in doc["templates"]}
    assert set(SHIPPED) <= set(rows)
    teaser = rows["product-teaser"]
    assert teaser["title"] == "${product} teaser" and teaser["description"]
    vars_ = {v["name"]: v for v in teaser["vars"]}
    assert vars_["product"]["required"] is True and vars_["color"] == {
        **vars_["color"], "required": False, "default": "red"}
    res = cli(["templates"])
    assert res.returncode == 0
    assert "product-teaser" in res.stdout and "product (required)" in res.stdout and "color (default: red)" in res.stdout
    res = cli(["templates", "explainer"])
    assert res.returncode == 0 and "topic (default:" in res.stdout and "storyrender init DIR --template explainer" in res.stdout
    res = cli(["templates", "no-such-template"])
    assert res.returncode == 2 and "no template named 'no-such-template'" in res.stderr


def test_user_template_dir_is_listed_first_and_required_vars_found(cli, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "mine.yaml").write_text(textwrap.dedent("""\
        # Mine: a test template.
        #
        # Vars:
        #   thing: what it shows (required)
        #   when: the time of day (default: noon)
        version: 1
        title: ${thing}
        vars: {when: noon}
        beats:
          - prompt: ${thing} at ${when}
        """))
    (lib / "explainer.yaml").write_text("# Shadowing explainer.\nversion: 1\nbeats:\n  - prompt: x\n")
    res = cli(["templates", "--json"], env={"STORYRENDER_TEMPLATES": str(lib)})
    assert res.returncode == 0, res.stderr
    rows = {t["name"]: t for t in json.loads(res.stdout)["templates"]}
    mine = {v["name"]: v for v in rows["mine"]["vars"]}
    assert mine["thing"]["required"] and mine["thing"]["description"] == "what it shows"
    assert mine["when"]["default"] == "noon" and mine["when"]["description"] == "the time of day"
    assert rows["explainer"]["path"] == str(lib / "explainer.yaml")


def test_missing_var_names_it_and_where_it_is_used(write_board, cli, tmp_path):
    board = write_board("version: 1\nextends: product-teaser\n")
    res = cli(["validate", board.name], cwd=tmp_path)
    assert res.returncode == 2
    # one error, at the board's own `extends:` line, listing where the template uses the var
    assert res.stderr.count("error:") == 1
    assert re.search(r"board\.yaml:2:1: /extends: no var 'product' is set, but \$\{product\} is used in "
                     r"/title, /beats/0/prompt", res.stderr), res.stderr
    assert "Add `product: ...` under vars: in board.yaml" in res.stderr


def test_board_vars_override_template_defaults(write_board, tmp_path):
    board = write_board("version: 1\nextends: product-teaser\nvars: {product: Zed, color: green}\n")
    b = load_board(board)
    assert b.title == "Zed teaser"
    assert "green accent light" in b.style and "Zed" in b.beats[0].prompt


@pytest.mark.parametrize("mode,first", [("append", "hint"), ("prepend", "mine")])
def test_beats_merge_append_and_prepend(write_board, tmp_path, mode, first):
    board = write_board(f"""\
        version: 1
        extends: product-teaser
        vars: {{product: Zed}}
        beats_merge: {mode}
        beats:
          - id: mine
            prompt: Zed on a mountain top
        """)
    b = load_board(board)
    assert len(b.beats) == 6 and b.beats[0].id == first
    assert b.beats[5 if mode == "append" else 0].prompt == "Zed on a mountain top"


def test_beats_replace_by_default(write_board, tmp_path):
    board = write_board("version: 1\nextends: explainer\nbeats:\n  - prompt: only ${topic}\n")
    b = load_board(board)
    assert [x.prompt for x in b.beats] == ["only how a bicycle stays upright"]


@pytest.mark.slow
def test_every_template_builds_offline_and_the_loop_loops(write_board, cli, tmp_path):
    """Each template at a tiny size, all in one build; paths inside templates resolve beside them."""
    names = []
    for name in SHIPPED:
        info = template_info(templates_dir() / f"{name}.yaml")
        values = {v.name: REQUIRED[v.name] for v in info.vars if v.required}
        write_board("version: 1\nextends: " + name + "\nvars: " + json.dumps(values) + "\n" + TINY_OVERRIDE,
                    f"boards/{name}.yaml")
        names.append(f"boards/{name}.yaml")
    res = cli(["build", "--offline", "--json", *names], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert [b["status"] for b in report["boards"]] == ["ok"] * len(names)
    for name in SHIPPED:
        board = load_board(tmp_path / "boards" / f"{name}.yaml")
        info = probe(tmp_path / "boards" / "out" / f"{name}.mp4")
        assert info.frames == round(board.total_seconds * board.output.fps), name
        assert (info.width, info.height) == (160, 90)
    frames = list(read_frames(tmp_path / "boards" / "out" / "ambient-loop.mp4"))
    f = [x.astype(float) for x in frames]
    step = np.abs(f[-2] - f[-1]).mean()  # one frame of motion
    wrap = np.abs(f[-1] - f[0]).mean()  # playing it again: last frame -> first frame
    # the video stops one frame before the pinned loop image, so wrapping around is one ordinary step
    assert wrap < 1.5 * step + 1 and np.abs(f[0] - f[len(f) // 2]).mean() > 4 * wrap
