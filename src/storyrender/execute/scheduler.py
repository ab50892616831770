"""Executors: run a set of tasks in dependency order, in parallel where the graph allows.

An :class:`Executor` gets tasks (each with the keys it waits for, a concurrency group and a
priority) and a ``work(key)`` callable; it returns what became of each task. It knows nothing
of providers, stores or output; it never prints. :class:`ThreadExecutor` is the in-process
engine; a distributed engine implements the same :meth:`Executor.run`.

Scheduling: a task starts as soon as everything it waits for is done, its group has a free
slot and a worker is free; among ready tasks the one with the longest chain of dependents
goes first (critical path first), so the keyframe chain is never starved by segments.
"""

from __future__ import annotations

import heapq
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol

__all__ = ["Task", "TaskResult", "Executor", "ThreadExecutor"]


@dataclass(frozen=True)
class Task:
    """A unit of work: its key, what it waits for, its concurrency group and its priority."""

    key: str
    deps: tuple[str, ...] = ()
    group: str | None = None
    weight: float = 1.0


@dataclass
class TaskResult:
    """What became of a task: ``done`` (value), ``failed`` (error) or ``skipped`` (upstream failed / stopped)."""

    key: str
    status: str
    value: Any = None
    error: BaseException | None = None
    reason: str = ""


class Executor(Protocol):
    """The interface every execution engine implements."""

    def run(self, tasks: Mapping[str, Task], work: Callable[[str], Any], *,
            limits: Mapping[str, int] | None = None,
            on_skip: Callable[[TaskResult], None] | None = None) -> dict[str, TaskResult]:
        """Run *tasks* (deps outside *tasks* count as already done); return a result per task."""
        ...

    def cancel(self) -> None:
        """Start no new task; running ones finish."""
        ...


@dataclass(order=True)
class _Ready:
    priority: float
    seq: int
    key: str = field(compare=False)


class ThreadExecutor:
    """In-process executor on a thread pool (provider calls and ffmpeg release the GIL)."""

    def __init__(self, jobs: int = 4) -> None:
        self.jobs = max(1, int(jobs))
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self, tasks: Mapping[str, Task], work: Callable[[str], Any], *,
            limits: Mapping[str, int] | None = None,
            on_skip: Callable[[TaskResult], None] | None = None) -> dict[str, TaskResult]:
        limits = dict(limits or {})
        deps = {k: {d for d in t.deps if d in tasks} for k, t in tasks.items()}
        children: dict[str, list[str]] = {k: [] for k in tasks}
        for k, ds in deps.items():
            for d in ds:
                children[d].append(k)
        prio = _critical_path(tasks, children)
        waiting = {k: len(ds) for k, ds in deps.items()}
        ready: list[_Ready] = []
        seq = 0
        for k in tasks:
            if waiting[k] == 0:
                heapq.heappush(ready, _Ready(-prio[k], seq, k))
                seq += 1
        in_use: dict[str, int] = {}
        results: dict[str, TaskResult] = {}
        running: dict[Future, str] = {}

        def skip_down(key: str, reason: str) -> None:
            stack = list(children[key])
            while stack:
                c = stack.pop()
                if c in results:
                    continue
                results[c] = TaskResult(c, "skipped", reason=reason)
                if on_skip:
                    on_skip(results[c])
                stack.extend(children[c])

        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="storyrender") as pool:
            while ready or running:
                # start what may start
                deferred = []
                while ready and len(running) < self.jobs and not self._cancel.is_set():
                    item = heapq.heappop(ready)
                    if item.key in results:
                        continue
                    group = tasks[item.key].group
                    if group is not None and in_use.get(group, 0) >= limits.get(group, self.jobs):
                        deferred.append(item)
                        continue
                    if group is not None:
                        in_use[group] = in_use.get(group, 0) + 1
                    running[pool.submit(work, item.key)] = item.key
                for item in deferred:
                    heapq.heappush(ready, item)
                if self._cancel.is_set() and not running:
                    break
                if not running:
                    break  # nothing can run (should not happen with a valid graph)
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    key = running.pop(fut)
                    group = tasks[key].group
                    if group is not None:
                        in_use[group] -= 1
                    exc = fut.exception()
                    if exc is None:
                        results[key] = TaskResult(key, "done", value=fut.result())
                        for c in children[key]:
                            waiting[c] -= 1
                            if waiting[c] == 0 and c not in results:
                                heapq.heappush(ready, _Ready(-prio[c], seq, c))
                                seq += 1
                    else:
                        results[key] = TaskResult(key, "failed", error=exc)
                        skip_down(key, "an input failed")
        for k in tasks:
            if k not in results:
                results[k] = TaskResult(k, "skipped", reason="stopped")
                if on_skip:
                    on_skip(results[k])
        return results


def _critical_path(tasks: Mapping[str, Task], children: Mapping[str, list[str]]) -> dict[str, float]:
    """For each task, the heaviest chain of work from it to the end of the graph."""
    out: dict[str, float] = {}
    # iterative post-order over the DAG
    for root in tasks:
        if root in out:
            continue
        stack = [(root, False)]
        while stack:
            k, expanded = stack.pop()
            if k in out:
                continue
            if expanded:
                out[k] = tasks[k].weight + max((out[c] for c in children[k]), default=0.0)
            else:
                stack.append((k, True))
                stack.extend((c, False) for c in children[k] if c not in out)
    return out
