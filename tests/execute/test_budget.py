"""--budget: checked against the estimate of what is left before anything is spent, and enforced while running."""

from __future__ import annotations

import json

import pytest

from storyrender.api import prepare
from storyrender.cache.store import Store
from storyrender.execute.runner import run_build
from storyrender.execute.scheduler import ThreadExecutor

from ..conftest import TINY
from ..plugins.faulty import board_text, calls, env_for

pytestmark = pytest.mark.xdist_group("reliability-budget")

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def _beats(*prompts) -> str:
    return "beats:\n" + "".join(f"  - prompt: {p}\n" for p in prompts)


@pytest.mark.slow
def test_budget_is_checked_against_what_is_left_before_any_call(write_board, cli, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PRICE", "0.5")
    board = write_board(TINY + FAKE + _beats("a", "b"))
    # 3 keyframes + 2 one-second segments = $2.50: over a $2 budget, refused before anything is spent
    res = cli(["build", "--budget", "2", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "$2.50, over the budget of $2.00" in res.stderr
    assert fake() == [] and not (tmp_path / "out").exists()
    assert not [f for f in (tmp_path / ".storyrender").rglob("artifacts/*/*")]  # nothing made
    assert cli(["build", "--budget", "2.5", board.name], cwd=tmp_path).returncode == 0
    assert len(fake()) == 5
    # one more beat: what is left costs $1 (a keyframe and a segment), within $1 although the board costs $3.50
    board.write_text(TINY + FAKE + _beats("a", "b", "c"))
    res = cli(["build", "--budget", "0.99", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "$1.00, over the budget" in res.stderr and len(fake()) == 5
    res = cli(["build", "--budget", "1", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(fake()) == 7


def test_spend_never_exceeds_the_budget_while_running(write_board, fake, tmp_path, monkeypatch):
    """Library use (no up-front check): the runner starts a paid call only if it fits in what is left."""
    monkeypatch.setenv("FAKE_PRICE", "0.5")
    board = write_board(TINY + FAKE + _beats("a", "b", "c"))
    prepared = prepare(board)
    with Store(tmp_path / "cache") as store:
        report, _ = run_build(prepared.graph, store, prepared.resolution.providers(), budget=1.6,
                              executor=ThreadExecutor(4))
    rendered = [n for n in report.nodes if n.status == "rendered" and n.provider]
    spent = sum(n.cost_usd or 0 for n in rendered)
    assert spent <= 1.6 + 1e-9
    assert len(rendered) == 3  # $0.50 each: a fourth would make $2.00
    refused = [n for n in report.nodes if n.status == "failed"]
    assert refused and all("over the budget of $1.60" in n.error for n in refused)
    assert len(fake()) == 3  # refused nodes never called the provider
    assert report.status == "failed"


@pytest.mark.slow
def test_vendor_billing_above_its_estimate_stops_further_paid_calls(tmp_path, cli):
    """The estimate passes the up-front check; the provider then reports twice its list price: the
    runner counts what was really charged and stops starting paid calls once the budget is used."""
    log = tmp_path / "calls.jsonl"
    (tmp_path / "b.yaml").write_text(board_text(["a", "b", "c"]))  # 4 keyframes + 3 segments of 1 s
    env = env_for(log, FAULTY_PRICE=0.1, FAULTY_COST_FACTOR=2)
    res = cli(["build", "-j", "1", "--budget", "1", "--json", "b.yaml"], cwd=tmp_path, env=env)
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    board = doc["boards"][0]
    assert board["cost_usd"] <= 1.0 + 1e-9  # every started call fitted: spent + its estimate <= budget
    assert any("over the budget" in f["error"] for f in board["failures"])
    assert len(calls(log)) == 5  # $0.20 each as charged: after 5 ($1.00) no $0.10 estimate fits


@pytest.mark.slow
def test_refused_budget_writes_nothing_at_all(tmp_path, cli):
    """Refused before anything starts: no cache folder, no outputs, no provider call."""
    import os

    log = tmp_path / "calls.jsonl"
    (tmp_path / "b.yaml").write_text(
        "version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
        "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\nbeats:\n  - prompt: a\n")
    env = {"STORYRENDER_PLUGINS": "tests.plugins.fakeprov", "FAKE_CALLS": str(log), "FAKE_PRICE": "1"}
    res = cli(["build", "--budget", "0.5", "b.yaml"], cwd=tmp_path, env=env)
    assert res.returncode == 2 and "over the budget" in res.stderr
    assert sorted(os.listdir(tmp_path)) == ["b.yaml"]
