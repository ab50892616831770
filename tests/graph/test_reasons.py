"""Why a node must be made, in words: from the graph and the snapshot of the last build, in process."""

from __future__ import annotations

from storyrender.api import prepare
from storyrender.graph import explain

from ..conftest import TINY


def _graphs(write_board, before: str, after: str):
    path = write_board(TINY + "beats:\n" + before)
    old = prepare(path, offline=True).graph
    path.write_text(TINY + "beats:\n" + after, "utf-8")
    return old, prepare(path, offline=True).graph


def test_reasons_name_the_field_that_changed_and_new_beats(write_board):
    old, new = _graphs(write_board, "  - {id: a, prompt: one}\n  - {id: b, prompt: two}\n",
                       "  - {id: a, prompt: one}\n  - {id: b, prompt: TWO}\n  - {id: c, prompt: three}\n")
    missing = {n.key for n in new} - {n.key for n in old}
    why = {new[k].role: reason for k, reason in explain.reasons(new, explain.snapshot(old), missing).items()}
    assert why["keyframe:b"] == why["segment:b"] == "prompt changed"
    assert why["keyframe:c"] == why["segment:c"] == "new beat"
    assert why["final"] == "pieces changed"
    assert not {"keyframe:0", "keyframe:a", "segment:a"} & set(why)  # beat a is as it was: nothing to make


def test_a_node_as_it_was_is_only_missing_from_the_cache_and_without_a_snapshot_all_is_new(write_board):
    old, new = _graphs(write_board, "  - {id: a, prompt: one}\n", "  - {id: a, prompt: one}\n")
    everything = {n.key for n in new}
    assert everything == {n.key for n in old}
    assert set(explain.reasons(new, explain.snapshot(old), everything).values()) == {"not in cache"}
    fresh = {new[k].role: r for k, r in explain.reasons(new, None, everything).items()}
    assert fresh["keyframe:0"] == "new" and fresh["keyframe:a"] == fresh["segment:a"] == "new beat"
