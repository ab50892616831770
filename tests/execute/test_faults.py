"""Faults are survived: transient ones are retried, permanent ones fail only their node, nothing bad is cached.

Every test drives the ``faulty`` provider (tests/plugins/faulty.py) through the real CLI with fast retries
(``STORYRENDER_RETRY_BASE``), and counts its calls per node identity.
"""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from storyrender.cache.store import Store
from storyrender.media.check import truncation as _truncation
from storyrender.media.probe import read_frames

from ..conftest import run
from ..plugins.faulty import board_text, calls, env_for

pytestmark = [pytest.mark.xdist_group("reliability-faults"), pytest.mark.slow]


def frames(path):
    return [f for f in read_frames(path)]


def same_video(a, b) -> bool:
    fa, fb = frames(a), frames(b)
    return len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb))


def artifacts_complete(cache) -> list:
    """Every recorded artifact exists and is complete (no truncated file is ever served)."""
    bad = []
    with Store(cache) as store:
        for rec in store.records():
            p = store.path_for(rec.key, rec.suffix)
            if not p.exists() or _truncation(p):
                bad.append((rec.meta.get("label"), _truncation(p) if p.exists() else "missing"))
    return bad


@pytest.fixture(scope="module")
def clean_video(tmp_path_factory):
    """clean_video(prompts) -> path of the same board built with no faults at all (memoised)."""
    memo = {}

    def make(prompts):
        key = tuple(prompts)
        if key not in memo:
            d = tmp_path_factory.mktemp("clean")
            (d / "b.yaml").write_text(board_text(prompts))
            res = run(["build", "-q", "b.yaml"], cwd=d, env=env_for(d / "calls.jsonl", FAULTY_OFF=1))
            assert res.returncode == 0, res.stderr
            memo[key] = d / "out" / "b.mp4"
        return memo[key]

    return make


PROMPTS = ["a !ratelimit*2", "b !500*2", "c !timeout*1 !drop*1@video", "d !truncate*1", "e !refuse@video",
           "f !fail@video"]


def test_transient_faults_retry_permanent_ones_fail_their_node_and_rerun_continues(tmp_path, cli, clean_video):
    (tmp_path / "b.yaml").write_text(board_text(PROMPTS))
    log = tmp_path / "calls.jsonl"
    res = cli(["build", "b.yaml"], cwd=tmp_path, env=env_for(log))
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    first = calls(log)

    # transient faults were retried until they succeeded
    by_ident = collections.defaultdict(list)
    for c in first:
        by_ident[c["ident"]].append(c)
    faults = collections.Counter(c["fault"] for c in first)
    assert {"ratelimit", "500", "timeout", "drop", "truncate", "refuse", "fail"} <= set(faults)
    for ident, cs in by_ident.items():
        last = cs[-1]["fault"]
        if last in ("refuse", "fail"):
            assert len(cs) == 1, f"a permanent failure was retried: {cs}"  # never retried
        else:
            assert last == "", cs  # every transient fault ended in a success
            assert [c["attempt"] for c in cs] == list(range(1, len(cs) + 1))

    # the two permanent failures fail only their own segments, with the provider's reason, listed at the end
    summary = res.stderr[res.stderr.rindex("2 failed"):]  # the summary and every failure come last
    assert "segment 5: faulty: the request was refused by the content policy" in summary
    assert "segment 6: faulty: the model could not make this" in summary
    manifest = json.loads((tmp_path / "out" / "b.manifest.json").read_text())
    status = {n["label"]: n["status"] for n in manifest["nodes"]}
    assert status["segment 5"] == status["segment 6"] == "failed"
    assert all(status[f"segment {i}"] == "rendered" for i in range(1, 5))
    assert all(status[f"keyframe {i}"] == "rendered" for i in range(0, 7))
    assert not (tmp_path / "out" / "b.mp4").exists()  # nothing half-made is published

    # everything that succeeded is cached and complete (the truncated downloads were never stored)
    assert artifacts_complete(tmp_path / ".storyrender") == []
    done = {c["ident"] for c in first if c["fault"] == ""}

    # rerun while the provider still refuses: only the failed nodes are asked again
    res2 = cli(["build", "b.yaml"], cwd=tmp_path, env=env_for(log))
    assert res2.returncode == 1
    second = calls(log)[len(first):]
    assert {c["fault"] for c in second} == {"refuse", "fail"} and len(second) == 2

    # the provider recovers: the rerun continues and the result equals a build that never saw a fault
    res3 = cli(["build", "b.yaml"], cwd=tmp_path, env=env_for(log, FAULTY_OFF=1))
    assert res3.returncode == 0, res3.stderr
    third = calls(log)[len(first) + len(second):]
    assert len(third) == 2 and not ({c["ident"] for c in third} & done)
    assert same_video(tmp_path / "out" / "b.mp4", clean_video(PROMPTS))


def test_every_failure_is_reported_at_the_end_across_boards(tmp_path, cli):
    (tmp_path / "one.yaml").write_text(board_text(["a !refuse@next-keyframe", "b"]))
    (tmp_path / "two.yaml").write_text(board_text(["c", "d !fail@video"]))
    res = cli(["build", "one.yaml", "two.yaml"], cwd=tmp_path, env=env_for(tmp_path / "calls.jsonl"))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "keyframe 1" in res.stderr and "refused by the content policy" in res.stderr
    assert "segment 2" in res.stderr and "could not make this" in res.stderr
    # the second board's good work is cached despite the first board failing
    assert (tmp_path / "out" / "one.manifest.json").exists() and (tmp_path / "out" / "two.manifest.json").exists()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_seeded_fault_storm_always_converges_to_the_clean_video(seed, tmp_path, cli, clean_video):
    prompts = [f"storm {seed} a", f"storm {seed} b", f"storm {seed} c"]
    (tmp_path / "b.yaml").write_text(board_text(prompts))
    log = tmp_path / "calls.jsonl"
    env = env_for(log, FAULTY_SEED=seed, FAULTY_RATE=0.45, STORYRENDER_RETRY_ATTEMPTS=10)
    res = cli(["build", "-q", "b.yaml"], cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    log_calls = calls(log)
    assert any(c["fault"] for c in log_calls), "the dice injected no fault"
    per_node = collections.Counter(c["ident"] for c in log_calls if c["fault"] == "")
    assert set(per_node.values()) == {1}  # every node succeeded exactly once
    assert artifacts_complete(tmp_path / ".storyrender") == []
    assert same_video(tmp_path / "out" / "b.mp4", clean_video(prompts))


def test_truncated_download_is_never_cached(tmp_path, cli):
    # the provider always truncates: the node fails after its attempts, and nothing is stored for it
    (tmp_path / "b.yaml").write_text(board_text(["a", "b !truncate*99@video"]))
    log = tmp_path / "calls.jsonl"
    res = cli(["build", "b.yaml"], cwd=tmp_path, env=env_for(log, STORYRENDER_RETRY_ATTEMPTS=3))
    assert res.returncode == 1
    assert "truncated" in res.stderr
    assert len([c for c in calls(log) if c["fault"] == "truncate"]) == 3
    with Store(tmp_path / ".storyrender") as store:
        labels = {r.meta.get("label") for r in store.records()}
    assert "segment 2" not in labels and "segment 1" in labels
    assert artifacts_complete(tmp_path / ".storyrender") == []


def test_retry_base_knob_makes_retries_fast(monkeypatch):
    from storyrender.execute.runner import RetryPolicy

    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    monkeypatch.setenv("STORYRENDER_RETRY_ATTEMPTS", "3")
    p = RetryPolicy()
    assert p.base == 0.01 and p.attempts == 3
    assert all(p.delay(a) <= 0.01 * 2 ** (a - 1) for a in range(1, 6))
    assert p.delay(1, retry_after=0.2) >= 0.2  # the provider's Retry-After wins when larger
    monkeypatch.delenv("STORYRENDER_RETRY_BASE")
    assert RetryPolicy().base == 1.0
