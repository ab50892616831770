"""The thread executor: dependency order, group limits, critical path first, cancel, skip below a failure."""

from __future__ import annotations

import threading
import time

import pytest

from storyrender.execute.scheduler import Task, ThreadExecutor


class Recorder:
    """A ``work`` callable that logs starts and finishes and tracks how many run at once, per group."""

    def __init__(self, tasks: dict[str, Task], *, hold: float = 0.0, fail: frozenset[str] = frozenset()) -> None:
        self.tasks, self.hold, self.fail = tasks, hold, fail
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.now: dict[str | None, int] = {}
        self.peak: dict[str | None, int] = {}

    def __call__(self, key: str):
        group = self.tasks[key].group
        with self.lock:
            self.events.append(("start", key))
            self.now[group] = self.now.get(group, 0) + 1
            self.peak[group] = max(self.peak.get(group, 0), self.now[group])
        time.sleep(self.hold)
        with self.lock:
            self.now[group] -= 1
            self.events.append(("end", key))
        if key in self.fail:
            raise RuntimeError(f"{key} broke")
        return key.upper()

    @property
    def started(self) -> list[str]:
        return [k for e, k in self.events if e == "start"]


def _tasks(*tasks: Task) -> dict[str, Task]:
    return {t.key: t for t in tasks}


def test_a_task_starts_only_after_everything_it_waits_for_is_done():
    tasks = _tasks(Task("a"), Task("b", deps=("a",)), Task("c", deps=("a",)), Task("d", deps=("b", "c")),
                   Task("e", deps=("outside",)))  # a dependency outside the run counts as done
    work = Recorder(tasks, hold=0.01)
    results = ThreadExecutor(jobs=4).run(tasks, work)
    assert {k: (r.status, r.value) for k, r in results.items()} == {k: ("done", k.upper()) for k in tasks}
    pos = {ev: i for i, ev in enumerate(work.events)}
    for key, task in tasks.items():
        for dep in task.deps:
            if dep in tasks:
                assert pos[("end", dep)] < pos[("start", key)], (dep, key)


def test_a_group_never_runs_more_than_its_limit_while_others_use_the_free_workers():
    tasks = _tasks(*(Task(f"v{i}", group="video") for i in range(6)), *(Task(f"i{i}", group="image") for i in range(4)),
                   *(Task(f"x{i}") for i in range(8)))
    work = Recorder(tasks, hold=0.05)
    results = ThreadExecutor(jobs=4).run(tasks, work, limits={"video": 2, "image": 1})
    assert all(r.status == "done" for r in results.values())
    assert work.peak["video"] == 2 and work.peak["image"] == 1
    assert work.peak[None] >= 2  # ungrouped tasks are not held back by the groups' limits


def test_a_group_without_a_limit_may_use_every_worker():
    tasks = _tasks(*(Task(f"s{i}", group="stitch") for i in range(6)))
    work = Recorder(tasks, hold=0.05)
    ThreadExecutor(jobs=3).run(tasks, work, limits={"video": 1})
    assert work.peak["stitch"] == 3


def test_the_head_of_the_longest_chain_goes_first():
    # Written short-first: without critical-path order one worker would start x and y before a.
    tasks = _tasks(Task("x"), Task("y"), Task("a"), Task("b", deps=("a",)), Task("c", deps=("b",)))
    work = Recorder(tasks)
    ThreadExecutor(jobs=1).run(tasks, work)
    assert work.started[:2] == ["a", "b"]
    assert work.started.index("c") > work.started.index("b")


def test_weight_counts_along_the_chain():
    # One heavy task outweighs a chain of two light ones (5 > 1 + 1), the chain's head outweighs a lone
    # light task (2 > 1); equal chains keep the order in which they became ready.
    tasks = _tasks(Task("light1", weight=1.0), Task("light2", deps=("light1",), weight=1.0),
                   Task("heavy", weight=5.0), Task("tie1"), Task("tie2"))
    work = Recorder(tasks)
    ThreadExecutor(jobs=1).run(tasks, work)
    assert work.started == ["heavy", "light1", "tie1", "tie2", "light2"]


def test_a_failure_skips_everything_below_it_and_nothing_else():
    tasks = _tasks(Task("a"), Task("b", deps=("a",)), Task("c", deps=("b",)), Task("d", deps=("a", "z")),
                   Task("z"), Task("free"))
    work = Recorder(tasks, fail=frozenset({"a"}))
    skipped = []
    results = ThreadExecutor(jobs=2).run(tasks, work, on_skip=skipped.append)
    assert results["a"].status == "failed" and str(results["a"].error) == "a broke"
    for key in ("b", "c", "d"):
        assert results[key].status == "skipped" and results[key].reason == "an input failed"
    assert results["z"].status == "done" and results["free"].status == "done"
    assert sorted(r.key for r in skipped) == ["b", "c", "d"]  # each skip reported once
    assert not {"b", "c", "d"} & set(work.started)  # a skipped task's work never runs


def test_cancel_starts_nothing_new_lets_running_work_finish_and_skips_the_rest():
    release = threading.Event()
    executor = ThreadExecutor(jobs=2)
    tasks = _tasks(Task("slow"), Task("stopper"), Task("later1"), Task("later2", deps=("slow",)))
    started = []

    def work(key: str):
        started.append(key)
        if key == "stopper":
            executor.cancel()
            release.set()
        if key == "slow":
            assert release.wait(5)
            time.sleep(0.05)  # still running after the cancel
        return key

    skipped = []
    results = executor.run(tasks, work, on_skip=skipped.append)
    assert executor.cancelled
    assert sorted(started) == ["slow", "stopper"]
    assert results["slow"].status == "done" and results["stopper"].status == "done"
    assert {k: (results[k].status, results[k].reason) for k in ("later1", "later2")} == {
        "later1": ("skipped", "stopped"), "later2": ("skipped", "stopped")}
    assert sorted(r.key for r in skipped) == ["later1", "later2"]


@pytest.mark.parametrize("jobs", [0, -3])
def test_at_least_one_worker(jobs):
    tasks = _tasks(Task("a"), Task("b", deps=("a",)))
    assert {r.status for r in ThreadExecutor(jobs=jobs).run(tasks, Recorder(tasks)).values()} == {"done"}
