"""Results cached under key version 1 are served under version 2 without calling a provider.

``tests/cache/fixtures/keys_v1/`` was made by the version-1 code: ``board.yaml`` built offline (the
``local`` provider) into a store, its provider-node artifacts exported as ``<v1 key><suffix>``
with their records in ``records.json``. ``more/keys.json`` holds the version-1 keys (no
artifacts) of more board shapes: pinned start/end images, character references, provider
options, extend mode. Speech keys depend on espeak-ng being installed (the local speech model's
version), so speech roles are checked only where it is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from storyrender import api
from storyrender.cache.legacy import adopt_v1, v1_keys
from storyrender.cache.store import Store
from storyrender.plugins.manager import get_plugin_manager, load_registry
from tests.plugins import fakeprov

FIX = Path(__file__).resolve().parent / "fixtures" / "keys_v1"
PROVIDER_KINDS = frozenset({"image", "keyframe", "segment", "speech"})
ESPEAK = shutil.which("espeak-ng") is not None


def _records() -> dict[str, dict]:
    return json.loads((FIX / "records.json").read_text("utf-8"))


def _wanted(roles):
    """Roles whose version-1 key this machine can reproduce (speech needs espeak-ng)."""
    return {r for r in roles if ESPEAK or not r.startswith("speech:")}


def _v1_by_role() -> dict[str, str]:
    return {rec["role"]: key for key, rec in _records().items() if rec["role"] in _wanted([rec["role"]])}


@pytest.fixture
def project(tmp_path):
    """(board path, store): the fixture board and a store holding the version-1 artifacts."""
    board = tmp_path / "board.yaml"
    shutil.copyfile(FIX / "board.yaml", board)
    store = Store(tmp_path / ".storyrender")
    for key, rec in _records().items():
        tmp = store.new_tmp(rec["suffix"])
        shutil.copyfile(FIX / f"{key}{rec['suffix']}", tmp)
        store.put(key, tmp, kind=rec["kind"], paid=rec["paid"], cost=rec["cost"], meta=rec["meta"])
    yield board, store
    store.close()


def _rows(report) -> dict[str, object]:
    return {r.role: r for r in report.nodes}


def test_frozen_derivation_reproduces_v1_keys(project):
    board, _store = project
    p = api.prepare(board, offline=True)
    keys = v1_keys(p.board, p.resolution)
    expected = _v1_by_role()
    assert {"keyframe:0", "segment:open", "segment:retake"} <= set(expected)
    assert {r: keys.get(r) for r in expected} == expected


@pytest.mark.parametrize("name", ["keyframes_fake.yaml", "extend_fake.yaml", "extend_local.yaml"])
def test_frozen_derivation_reproduces_v1_keys_of_more_shapes(tmp_path, name):
    shutil.copytree(FIX / "more", tmp_path / "more")
    doc = json.loads((FIX / "more" / "keys.json").read_text("utf-8"))[name]
    registry = load_registry(get_plugin_manager(extra=[fakeprov]))
    p = api.prepare(tmp_path / "more" / name, offline=doc["offline"], registry=registry)
    keys = v1_keys(p.board, p.resolution)
    expected = {r: k for r, k in doc["keys"].items() if r in _wanted([r])}
    assert {r: keys.get(r) for r in expected} == expected


@pytest.mark.slow
def test_build_under_new_keys_serves_v1_results_without_provider_calls(project):
    board, store = project
    p = api.prepare(board, offline=True)
    v1 = _v1_by_role()
    nodes = {n.role: n for n in p.graph if n.kind in PROVIDER_KINDS}
    assert set(v1) <= set(nodes)
    assert all(nodes[r].key != k for r, k in v1.items()), "the keys did not change: nothing to adopt"

    report = api.build(p, store)
    assert report.status == "ok", [r.error for r in report.failures()]
    totals = report.totals()
    speech_renders = 0 if ESPEAK else 1
    assert totals["provider_calls"] == speech_renders, totals
    rows = _rows(report)
    records = _records()
    for role, old in v1.items():
        node = nodes[role]
        assert rows[role].status == "cached", (role, rows[role].status)
        rec = store.get(node.key)
        assert rec is not None and rec.meta.get("adopted_from") == old
        assert (rec.kind, rec.suffix) == (records[old]["kind"], records[old]["suffix"])
        fixture_bytes = (FIX / f"{old}{records[old]['suffix']}").read_bytes()
        assert store.path(node.key).read_bytes() == fixture_bytes
        assert store.path(old).read_bytes() == fixture_bytes  # copied, never moved
    manifest = json.loads(api.manifest_path(p.board).read_text("utf-8"))
    assert manifest["totals"]["provider_calls"] == speech_renders
    by_role = {n["role"]: n for n in manifest["nodes"]}
    for role in v1:
        assert (by_role[role]["key"], by_role[role]["status"]) == (nodes[role].key, "cached")

    again = api.build(api.prepare(board, offline=True), store)
    assert again.totals()["provider_calls"] == 0


def _edit_closer_prompt(board: Path) -> None:
    text = board.read_text("utf-8")
    assert "The lighthouse lamp turns" in text
    board.write_text(text.replace("The lighthouse lamp turns", "The lamp goes dark"), "utf-8")


#: editing beat "closer"'s prompt changes its keyframe and segment, and (through the chain)
#: the next beat's keyframe and segment; its voice-over text did not change
CHANGED = {"keyframe:closer", "segment:closer", "keyframe:retake", "segment:retake"}


def test_adopt_v1_skips_roles_whose_request_changed(project):
    board, store = project
    _edit_closer_prompt(board)
    p = api.prepare(board, offline=True)
    v1 = _v1_by_role()
    nodes = {n.role: n for n in p.graph if n.kind in PROVIDER_KINDS}
    pairs = adopt_v1(p.graph, store, p.board, p.resolution)
    new_to_role = {n.key: r for r, n in nodes.items()}
    adopted = {new_to_role[new]: old for old, new in pairs}
    assert adopted == {r: k for r, k in v1.items() if r not in CHANGED}
    for role in CHANGED:
        assert not store.has(nodes[role].key)
    assert adopt_v1(p.graph, store, p.board, p.resolution) == []  # already there: nothing more


@pytest.mark.slow
def test_build_does_not_adopt_a_v1_result_whose_request_changed(project):
    board, store = project
    _edit_closer_prompt(board)
    p = api.prepare(board, offline=True)
    v1 = _v1_by_role()
    report = api.build(p, store)
    assert report.status == "ok", [r.error for r in report.failures()]
    rows = _rows(report)
    assert {r for r in CHANGED if rows[r].status == "rendered"} == CHANGED
    assert report.totals()["provider_calls"] == len(CHANGED) + (0 if ESPEAK else 1)
    records = _records()
    for role in CHANGED:
        rec = store.get(rows[role].key)
        assert "adopted_from" not in rec.meta
        old = v1[role]
        assert store.path(rows[role].key).read_bytes() != (FIX / f"{old}{records[old]['suffix']}").read_bytes()
    for role in set(v1) - CHANGED:
        assert rows[role].status == "cached", (role, rows[role].status)
        assert store.get(rows[role].key).meta.get("adopted_from") == v1[role]
