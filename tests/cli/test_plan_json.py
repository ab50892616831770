"""`storyrender plan --json` is deterministic: snapshot-tested (tests/cli/__snapshots__/test_plan_json.ambr).

After an intended change of the plan's JSON, refresh the snapshots with
``pytest tests/cli/test_plan_json.py --snapshot-update`` and review the diff.

Node keys are replaced by ``<key N>`` (numbered by first appearance) before comparing: the
snapshot pins which nodes there are, what they share and why they render, while the key
values themselves are pinned by the golden-key tests (a stitch or provider version bump
changes keys without changing the plan's shape).
"""

from __future__ import annotations

import json

import pytest

from ..conftest import TINY

pytestmark = pytest.mark.slow

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def board_text(beats: list[str]) -> str:
    return TINY + FAKE + "title: Plan snapshot\ncaptions: {burn: true}\nbeats:\n" + "".join(beats)


BEATS = ["  - id: a\n    prompt: one\n    caption: first\n",
         "  - id: b\n    prompt: two\n",
         "  - id: c\n    prompt: three\n    transition: {type: fade, seconds: 0.25}\n"]


def aliased(doc: dict) -> dict:
    names: dict[str, str] = {}
    for n in doc["nodes"]:
        names.setdefault(n["key"], f"<key {len(names) + 1}>")
    return {**doc, "nodes": [{**n, "key": names[n["key"]]} for n in doc["nodes"]]}


def plan_json(cli, tmp_path, *args) -> dict:
    res = cli(["plan", "--json", *args], cwd=tmp_path, env={"FAKE_PRICE": "0.05"})
    assert res.returncode == 0, res.stderr
    assert str(tmp_path) not in res.stdout  # no absolute paths
    return json.loads(res.stdout)


def test_plan_json_fresh_board(write_board, cli, fake, tmp_path, snapshot):
    write_board(board_text(BEATS))
    doc = plan_json(cli, tmp_path, "board.yaml")
    assert doc["totals"]["render"] == doc["totals"]["nodes"]
    assert aliased(doc) == snapshot
    assert fake() == []


def test_plan_json_after_edits_shows_cascade_and_reasons(write_board, cli, fake, tmp_path, snapshot):
    write_board(board_text(BEATS))
    assert cli(["build", "-q", "board.yaml"], cwd=tmp_path).returncode == 0
    assert plan_json(cli, tmp_path, "board.yaml")["totals"]["render"] == 0
    edited = [BEATS[0], BEATS[1].replace("two", "TWO"), BEATS[2] + "    take: 2\n", "  - id: d\n    prompt: four\n"]
    write_board(board_text(edited))
    doc = plan_json(cli, tmp_path, "board.yaml")
    reasons = {n["label"]: n["reason"] for n in doc["nodes"] if n["status"] == "render"}
    assert reasons["keyframe 2"] == "prompt changed" and "keyframe 1" not in reasons
    assert reasons["segment 4"] == "new beat"
    assert aliased(doc) == snapshot


def test_plan_json_template_with_pinned_image(write_board, cli, fake, tmp_path, snapshot):
    write_board("version: 1\nextends: ambient-loop\nvars: {scene: a koi pond}\n"
                "output: {size: 160x90, fps: 8}\nseconds: 1\n" + FAKE, "boards/loop.yaml")
    doc = plan_json(cli, tmp_path, "boards/loop.yaml")
    assert doc["board"] == "boards/loop.yaml" and doc["output"]["path"] == "out/loop.mp4"
    assert aliased(doc) == snapshot


def test_plan_json_is_the_same_from_an_absolute_path(write_board, cli, fake, tmp_path):
    write_board(board_text(BEATS))
    assert plan_json(cli, tmp_path, str(tmp_path / "board.yaml")) == plan_json(cli, tmp_path, "board.yaml")
