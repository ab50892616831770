"""A corrupt paid result is fetched again from its recorded vendor job, not paid for again; when the vendor no
longer holds the job, `plan` shows the node as corrupt with its cost and the budget covers the new submission.

Driven through the file-backed hosted vendor fake (``fakehosted`` in ``tests/plugins/fakeprov.py``), whose
``submissions`` file counts every paid submission.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from storyrender.api import build, open_store, plan, prepare
from storyrender.build import BudgetError
from storyrender.plugins.manager import get_plugin_manager, load_registry

from ..conftest import TINY

BOARD = TINY + "providers: {image: fakehosted/img, keyframe: fakehosted/img, video: fakehosted/vid}\n" \
               "beats:\n  - {id: a, prompt: a cat on a wall}\n"


def _submissions(vendor: Path) -> list[dict]:
    f = vendor / "submissions"
    return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []


@pytest.fixture
def built(write_board, fake, tmp_path, monkeypatch):
    vendor = tmp_path / "vendor"
    monkeypatch.setenv("FAKE_VENDOR", str(vendor))
    monkeypatch.setenv("FAKE_PRICE", "1")
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    path = write_board(BOARD)
    prepared = prepare(path, registry=load_registry(get_plugin_manager()))
    with open_store(prepared.board, None) as store:
        report = build(prepared, store, jobs=1)
        assert report.status == "ok", [n.error for n in report.failures]
        seg = next(n for n in report.nodes if n.kind == "segment")
        artifact = store.path(seg.key)
    assert [s["job"] for s in _submissions(vendor)].count("video") == 1
    good = hashlib.sha256(artifact.read_bytes()).hexdigest()
    artifact.write_bytes(artifact.read_bytes()[: artifact.stat().st_size // 2])  # truncated on disk
    return vendor, prepared, seg.key, artifact, good


def test_a_truncated_paid_segment_is_fetched_from_its_vendor_job_not_paid_again(built):
    vendor, prepared, key, artifact, good = built
    with open_store(prepared.board, None) as store:
        rows, _ = plan(prepared, store)
        row = next(r for r in rows if r.key == key)
        assert row.status == "render" and row.reason.startswith("corrupt in cache") and row.estimate_usd == 1.0
        polls_before = (vendor / "polls").read_text().split() if (vendor / "polls").exists() else []
        report = build(prepare(prepared.board.source, registry=load_registry(get_plugin_manager())), store, jobs=1)
        assert report.status == "ok", [n.error for n in report.failures]
        path = store.path(key)
    assert [s["job"] for s in _submissions(vendor)].count("video") == 1  # nothing submitted again
    seg_job = next(s["id"] for s in _submissions(vendor) if s["job"] == "video")
    assert (vendor / "polls").read_text().split().count(seg_job) > polls_before.count(seg_job)  # asked the job again
    assert hashlib.sha256(path.read_bytes()).hexdigest() == good  # the vendor's result, whole again


def test_when_the_vendor_no_longer_holds_the_job_the_new_submission_needs_the_budget(built):
    vendor, prepared, key, artifact, good = built
    seg_job = next(s["id"] for s in _submissions(vendor) if s["job"] == "video")
    (vendor / "jobs" / f"{seg_job}.json").unlink()  # expired at the vendor
    again = prepare(prepared.board.source, registry=load_registry(get_plugin_manager()))
    with open_store(again.board, None) as store:
        with pytest.raises(BudgetError):  # the plan's $1 for the corrupt segment does not fit in $0.50
            build(again, store, jobs=1, budget=0.5)
        assert [s["job"] for s in _submissions(vendor)].count("video") == 1  # refused before any submission
        report = build(again, store, jobs=1, budget=1.0)
        assert report.status == "ok", [n.error for n in report.failures]
    assert [s["job"] for s in _submissions(vendor)].count("video") == 2  # paid once more, within the budget
