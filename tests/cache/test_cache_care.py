"""Cache care: `storyrender cache info|prune|limit`; paid results are never evicted silently, and
pruning never breaks a build in progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from storyrender.cache.store import CacheBusy, Store, parse_size

from ..plugins.faulty import board_text, calls, env_for

pytestmark = pytest.mark.xdist_group("reliability-cache")

PRICE = 0.1
V1 = ["cache a", "cache b", "cache c"]
V2 = ["cache a", "cache b", "cache c2"]  # changes the last beat: its keyframe and segment


def info(cli, cwd, *args) -> dict:
    res = cli(["cache", "info", "--json", *args], cwd=cwd)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def built(tmp_path, cli):
    """A cache holding the builds of two versions of a board (paid at PRICE per image / video second)."""
    env = env_for(tmp_path / "calls.jsonl", FAULTY_PRICE=PRICE)
    (tmp_path / "old.yaml").write_text(board_text(V1))
    (tmp_path / "b.yaml").write_text(board_text(V2))
    for name in ("old.yaml", "b.yaml"):
        res = cli(["build", "-q", name], cwd=tmp_path, env=env)
        assert res.returncode == 0, res.stderr
    return env


def test_info_without_a_cache_creates_nothing(tmp_path, cli):
    res = cli(["cache", "info", "--cache-dir", str(tmp_path / "nope")], cwd=tmp_path)
    assert res.returncode == 0 and "no cache at" in res.stdout
    assert not (tmp_path / "nope").exists()
    res = cli(["cache", "prune", "--all", "--cache-dir", str(tmp_path / "nope")], cwd=tmp_path)
    assert res.returncode == 0 and not (tmp_path / "nope").exists()


@pytest.mark.slow
def test_info_shows_size_entries_and_paid_results_with_their_cost(tmp_path, cli, built):
    facts = info(cli, tmp_path, "b.yaml")
    # V1: 4 keyframes + 3 one-second segments; V2 adds keyframe 3 and segment 3
    assert facts["paid_entries"] == 9
    assert facts["paid_cost_usd"] == pytest.approx(9 * PRICE)
    assert facts["entries"] > facts["paid_entries"] and facts["bytes"] > 0
    assert {p["label"] for p in facts["paid"]} >= {"keyframe 0", "segment 3"}
    text = cli(["cache", "info", "--paid", "b.yaml"], cwd=tmp_path).stdout
    assert "paid:    9 results" in text and "$0.90" in text and "faulty/vid" in text


@pytest.mark.slow
def test_prune_removes_unreachable_unpaid_and_never_paid_without_include_paid(tmp_path, cli, built):
    before = info(cli, tmp_path, "b.yaml")
    res = cli(["cache", "prune", "b.yaml"], cwd=tmp_path, env=built)  # keep what b.yaml's graph uses
    assert res.returncode == 0, res.stderr
    assert "kept 9 paid results" in res.stdout
    after = info(cli, tmp_path, "b.yaml")
    assert after["paid_entries"] == 9 and after["entries"] < before["entries"]
    # even shrinking to nothing keeps every paid result
    res = cli(["cache", "prune", "--max-size", "0", "b.yaml"], cwd=tmp_path, env=built)
    assert res.returncode == 0 and "still over" in res.stdout
    assert info(cli, tmp_path, "b.yaml")["entries"] == 9
    # the current board still builds from the cache with no provider call
    n0 = len(calls(tmp_path / "calls.jsonl"))
    assert cli(["build", "-q", "b.yaml"], cwd=tmp_path, env=built).returncode == 0
    assert calls(tmp_path / "calls.jsonl")[n0:] == []
    # --include-paid: the old version's paid results (unreachable from b.yaml) go, b.yaml's stay
    res = cli(["cache", "prune", "--include-paid", "b.yaml"], cwd=tmp_path, env=built)
    assert res.returncode == 0 and "2 of them paid ($0.20" in res.stdout
    assert info(cli, tmp_path, "b.yaml")["paid_entries"] == 7


@pytest.mark.slow
def test_prune_keeps_every_keep_board_and_refuses_a_bad_one(tmp_path, cli, built):
    res = cli(["cache", "prune", "--include-paid", "--keep-board", "old.yaml", "b.yaml"], cwd=tmp_path, env=built)
    assert res.returncode == 0
    assert info(cli, tmp_path, "b.yaml")["paid_entries"] == 9  # both versions are reachable
    (tmp_path / "bad.yaml").write_text("version: 1\nbeats: nope\n")
    before = info(cli, tmp_path, "b.yaml")["entries"]
    res = cli(["cache", "prune", "--include-paid", "--keep-board", "bad.yaml", "b.yaml"], cwd=tmp_path,
              env=built)
    assert res.returncode == 2 and "bad.yaml:2" in res.stderr and "nothing was removed" in res.stderr
    assert info(cli, tmp_path, "b.yaml")["entries"] == before


def test_max_size_removes_oldest_unpaid_first(tmp_path):
    with Store(tmp_path / "c") as store:
        for i, (paid, size) in enumerate([(False, 100), (True, 100), (False, 100), (False, 100)]):
            src = store.new_tmp(".bin")
            src.write_bytes(b"x" * size)
            store.put(f"{i:064x}", src, kind="piece", paid=paid, cost=0.5 if paid else None)
            time.sleep(0.01)
        keep = {f"{2:064x}"}
        result = store.prune(keep=keep, max_bytes=250)
        left = {r.key for r in store.records()}
        # unpaid unreachable go first (0, then 3); then the store fits
        assert left == {f"{1:064x}", f"{2:064x}"} and result["bytes"] == 200
        assert store.prune(max_bytes=0)["removed"] == 1  # the unpaid reachable one; paid stays
        assert [r.paid for r in store.records()] == [True]
        assert store.prune(max_bytes=0, include_paid=True)["removed_paid"] == 1


def test_prune_sweeps_orphans_and_temp_files(tmp_path):
    with Store(tmp_path / "c") as store:
        orphan = store.path_for("ab" * 32, ".png")
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"half")  # a crash between os.replace and the record
        store.new_tmp(".mp4").write_bytes(b"partial")  # a build killed mid-download
        store.prune()
        assert not orphan.exists() and not list(store.tmp.iterdir())


@pytest.mark.slow
def test_prune_never_runs_under_a_build(tmp_path, cli):
    """A build holds the cache while it runs: prune gives up (or waits) instead of evicting its inputs."""
    log = tmp_path / "calls.jsonl"
    (tmp_path / "b.yaml").write_text(board_text(V1))
    assert cli(["build", "-q", "b.yaml"], cwd=tmp_path, env=env_for(log)).returncode == 0
    # the new version reads the cached keyframes and segments 1-2 late, after slow provider calls
    (tmp_path / "b.yaml").write_text(board_text(V2))
    hold = tmp_path / "release"
    env = dict(os.environ)
    env.update(env_for(log, FAULTY_HOLD=hold))
    n0 = len(calls(log))
    proc = subprocess.Popen([sys.executable, "-m", "storyrender", "build", "-q", "b.yaml"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(calls(log)) == n0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls(log)) > n0  # the build is running: a provider call is in flight
    res = cli(["cache", "prune", "--include-paid", "--max-size", "0"], cwd=tmp_path)
    assert res.returncode == 1 and "in use by a running build" in res.stderr and "nothing was removed" in res.stderr
    with pytest.raises(CacheBusy), Store(tmp_path / ".storyrender") as store:
        store.prune(include_paid=True, max_bytes=0, wait=0.1)
    # waiting: the prune runs once the build is done, and the build was not broken by it
    pruner = subprocess.Popen([sys.executable, "-m", "storyrender", "cache", "prune", "--include-paid", "--max-size",
                               "0", "--wait", "120"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    hold.touch()
    code = proc.wait(timeout=120)
    assert code == 0, proc.stderr.read()
    assert pruner.wait(timeout=120) == 0, pruner.stderr.read()
    assert "removed" in pruner.stdout.read()
    assert (tmp_path / "out" / "b.mp4").stat().st_size > 0  # outputs are copies: pruning never touches them


@pytest.mark.slow
def test_size_limit_evicts_unpaid_after_a_build_and_keeps_paid(tmp_path, cli, built):
    res = cli(["cache", "limit", "1k", "b.yaml"], cwd=tmp_path)
    assert res.returncode == 0 and "size limit 1.0 KiB" in res.stdout
    assert info(cli, tmp_path, "b.yaml")["max_bytes"] == 1024
    assert cli(["build", "-q", "b.yaml"], cwd=tmp_path, env=built).returncode == 0
    facts = info(cli, tmp_path, "b.yaml")
    assert facts["paid_entries"] == 9  # never evicted by the limit
    assert facts["entries"] == 9
    assert cli(["cache", "limit", "none", "b.yaml"], cwd=tmp_path).returncode == 0
    assert info(cli, tmp_path, "b.yaml")["max_bytes"] is None


@pytest.mark.parametrize("text,size", [("500M", 500 * 2**20), ("2G", 2 * 2**30), ("1.5GB", int(1.5 * 2**30)),
                                       ("800k", 800 * 1024), ("123", 123), ("10MiB", 10 * 2**20)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_bad_max_size_is_refused(tmp_path, cli):
    res = cli(["cache", "prune", "--max-size", "lots"], cwd=tmp_path)
    assert res.returncode == 2 and "not a size" in res.stderr


@pytest.mark.slow
def test_prune_without_a_board_or_all_removes_nothing(tmp_path, cli, built):
    before = info(cli, tmp_path, "b.yaml")["entries"]
    res = cli(["cache", "prune", "--cache-dir", str(tmp_path / ".storyrender")], cwd=tmp_path, env=built)
    assert res.returncode == 2 and "--all" in res.stderr
    assert info(cli, tmp_path, "b.yaml")["entries"] == before
