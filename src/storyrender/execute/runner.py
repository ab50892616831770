"""Run a build: decide what to make, make it through an executor, record, publish.

The runner never prints: everything a user sees goes through an :class:`Events` object (a
reporter). It applies the retry policy and the budget guard (:mod:`.policy`) to the nodes the plan
(:mod:`.plan`) says are missing, reports each (:mod:`.reports`) and publishes the final files. The
names it always offered are importable from here.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from .. import children
from ..atomic import copy_file
from ..cache.store import Store
from ..errors import ArtifactError, StoryrenderError, TransientError, redact
from ..graph.kinds import KINDS
from ..graph.nodes import Graph, Node
from ..providers.base import JobJournal, Provider
from . import ops
from .plan import Plan, plan_nodes
from .policy import BudgetExceeded, RetryPolicy, Spend
from .reports import BuildReport, Events, NodeReport, NullEvents
from .scheduler import Executor, Task, TaskResult, ThreadExecutor

__all__ = ["publish", "Events", "NullEvents", "NodeReport", "BuildReport", "RetryPolicy", "Plan", "plan_nodes", "run_build",
           "BudgetExceeded"]


def run_build(graph: Graph, store: Store, providers: Mapping[str, Provider], *, events: Any = None,
              executor: Executor | None = None, limits: Mapping[str, int] | None = None,
              retry: RetryPolicy | None = None, budget: float | None = None,
              targets: list[str] | None = None, board_name: str = "",
              maker: Callable[..., "ops.Outcome"] | None = None,
              plan: Plan | None = None) -> tuple[BuildReport, Plan]:
    """Make every missing node needed for *targets* (default: the graph's targets).

    *plan*: the plan of these targets made just before (it is made again if a node it found cached is gone).

    *maker* makes one node (the signature of :func:`ops.make`, which is the default, or the
    executor's own ``maker`` when it has one, e.g. the Ray executor's); provider nodes also get
    ``journal`` (where the vendor job id is recorded) and ``charge`` (the per-submission budget hook).
    """
    events = events or NullEvents()
    executor = executor or ThreadExecutor()
    make = maker or getattr(executor, "maker", None) or ops.make
    retry = retry or RetryPolicy()
    started = time.monotonic()
    cached = {k: store.get(k) for k in plan.cached} if plan is not None else {}
    if plan is None or None in cached.values():
        plan = plan_nodes(graph, store, targets=targets)
        cached = {k: store.get(k) for k in plan.cached}
    events.build_started(graph, plan)
    reports: dict[str, NodeReport] = {}
    spend = Spend(budget)

    def base_report(node: Node, status: str) -> NodeReport:
        spec = node.spec
        if not node.is_provider_job:
            return NodeReport(key=node.key, role=node.role, label=node.label, kind=node.kind, beat=node.beat,
                              status=status, cost_estimated_usd=node.estimate, inputs=list(node.inputs))
        return NodeReport(key=node.key, role=node.role, label=node.label, kind=node.kind, beat=node.beat,
                          status=status, provider=spec.provider, model=spec.model,
                          prompt=spec.prompt or spec.text, seed=spec.seed, take=spec.take,
                          cost_estimated_usd=node.estimate, inputs=list(node.inputs))

    def journal_for(key: str) -> JobJournal:
        return JobJournal(lambda: store.get_job(key), lambda job: store.record_job(key, job),
                          lambda: store.clear_job(key))


    def work(key: str) -> NodeReport:
        node = graph[key]
        events.node_started(node)
        t0 = time.monotonic()
        rep = base_report(node, "rendered")
        with store.lock(key):
            rec = store.get(key)
            if rec is not None:  # another build made it while we waited
                rep.status = "cached"
                rep.cost_usd = rec.cost
                return rep
            if node.is_provider_job and store.revive_job(key):  # a corrupt paid result: fetch it again
                events.node_log(node, "corrupt in cache: fetching the result of its recorded vendor job again")
            inputs = []
            for i in node.inputs:
                path = store.path(i)
                if path is None:
                    raise ArtifactError(f"{node.label}: input {i[:12]} vanished from the cache")
                inputs.append(path)
            attempt = 0
            try:
                while True:
                    attempt += 1
                    # The budget is reserved per submission: an attempt that will resume a
                    # recorded vendor job submits nothing new.
                    if not (node.is_provider_job and store.get_job(key)):
                        spend.reserve(node)
                    with store.tmp_dir() as tmp:
                        try:
                            more = {"journal": journal_for(key), "charge": lambda: spend.reserve(node)} \
                                if node.is_provider_job else {}
                            out = make(node, inputs, tmp, providers=providers,
                                       log=lambda m: events.node_log(node, redact(m)),
                                       cancelled=lambda: getattr(executor, "cancelled", False), **more)
                            meta = ops.verify(node, out.path)
                        except (TransientError, ArtifactError, TimeoutError, ConnectionError) as exc:
                            # a socket error a plugin let escape is a dropped connection: transient too
                            retryable = isinstance(exc, TransientError) or node.is_provider_job
                            if not retryable or attempt >= retry.attempts or getattr(executor, "cancelled", False):
                                raise
                            delay = retry.delay(attempt, getattr(exc, "retry_after", None))
                            events.node_log(node, f"{exc} — retrying in {delay:.1f} s (attempt {attempt + 1})")
                            time.sleep(delay)
                            continue
                        if node.pricing.get("price_override"):
                            out.cost = node.estimate  # the board's own price wins over the plugin's table
                        cost = out.cost if out.cost is not None else (node.estimate or None)
                        paid = bool(node.is_provider_job and node.estimate > 0) or bool(out.cost)
                        record_meta = {"info": _safe(out.info), "label": node.label, "role": node.role,
                                       "provider": rep.provider, "model": rep.model, "media": meta,
                                       "cost_estimated": out.cost is None,
                                       "seconds": round(made_in := time.monotonic() - t0, 3), "attempts": attempt}
                        store.put(key, out.path, kind=node.kind, paid=paid, cost=cost, meta=record_meta)
                        if node.is_provider_job:
                            store.clear_job(key)  # stored: the vendor job is collected
                        break
            except BaseException:
                spend.settle(node, None)
                raise
            spend.settle(node, out.cost)
        rep.attempts = attempt
        rep.seconds = made_in  # the same figure as the record's, so a cached rebuild reports it unchanged
        rep.cost_usd = out.cost if out.cost is not None else (node.estimate or 0.0)
        rep.info = _safe(out.info)
        rep.made_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rep.made_seconds = round(rep.seconds, 3)
        return rep

    tasks = {}
    for k in plan.to_run:
        node = graph[k]
        tasks[k] = Task(k, tuple(node.inputs), group=node.provider if node.is_provider_job else "ffmpeg",
                        weight=KINDS[node.kind].weight)
    all_limits = {"ffmpeg": max(1, os.cpu_count() or 1)}
    all_limits.update(limits or {})

    def on_skip(res: TaskResult) -> None:
        node = graph[res.key]
        r = base_report(node, "skipped")
        r.error = res.reason
        reports[res.key] = r
        events.node_finished(node, r)

    def tracked(key: str) -> NodeReport:
        try:
            r = work(key)
        except BaseException as exc:
            node = graph[key]
            r = base_report(node, "failed")
            r.error = _describe(exc)
            reports[key] = r
            events.node_finished(node, r)
            raise
        reports[key] = r
        events.node_finished(graph[key], r)
        return r

    def from_cache(node: Node, rec) -> NodeReport:
        """A cached node keeps the provenance its record holds (cost, vendor info, when and how long)."""
        r = base_report(node, "cached")
        r.cost_usd = rec.cost
        r.info = dict(rec.meta.get("info") or {})
        r.made_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rec.created))
        r.made_seconds = rec.meta.get("seconds")
        return r

    for k, rec in cached.items():
        node = graph[k]
        r = from_cache(node, rec) if rec else base_report(node, "cached")
        reports[k] = r
        events.node_finished(node, r)

    # SDKs are imported here, in one thread, before any worker runs (no first-import races)
    for name in sorted({graph[k].provider for k in plan.to_run if graph[k].is_provider_job}):
        if name in providers:
            providers[name].load()
    interrupted = _run_interruptibly(executor, tasks, tracked, all_limits, on_skip)

    # Nodes neither cached-and-needed nor run: listed for the manifest as cached when the store has them.
    for node in graph:
        if node.key not in reports:
            rec = store.get(node.key, local_only=True)  # no download just to describe it
            reports[node.key] = from_cache(node, rec) if rec else base_report(node, "not needed")
    ordered = [reports[k] for k in graph.order]
    failed = any(r.status == "failed" for r in ordered)
    status = "interrupted" if interrupted else ("failed" if failed else "ok")
    report = BuildReport(board=board_name, status=status, nodes=ordered, seconds=time.monotonic() - started)
    return report, plan


def _run_interruptibly(executor: Executor, tasks, work, limits, on_skip) -> bool:
    """Run the executor in a thread so Ctrl-C in the main thread can stop it cleanly."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["results"] = executor.run(tasks, work, limits=limits, on_skip=on_skip)
        except BaseException as exc:  # pragma: no cover - executor bugs surface in the main thread
            box["error"] = exc
        finally:
            done.set()

    t = threading.Thread(target=target, name="storyrender-executor", daemon=True)
    t.start()
    interrupted = False
    # Poll with sleep, not Thread.join(timeout): on Python < 3.13 a KeyboardInterrupt inside join()
    # can mark a running thread as stopped, and the build would go on while nodes are still being made.
    while not done.is_set():
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            if interrupted:  # the second Ctrl-C: stop at once, a hung ffmpeg included
                children.kill_all()
                raise
            interrupted = True
            executor.cancel()
    t.join()
    if "error" in box:
        raise box["error"]
    return interrupted


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StoryrenderError):
        return redact(str(exc))
    return redact(f"{exc.__class__.__name__}: {exc}")


def _safe(info: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe, key-free copy of provider info."""
    out = {}
    for k, v in (info or {}).items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[str(k)] = redact(v) if isinstance(v, str) else v
        elif isinstance(v, (list, tuple, dict)):
            try:
                import json

                out[str(k)] = json.loads(redact(json.dumps(v, default=str)))
            except Exception:
                pass
    return out


def publish(src: Path, dest: Path) -> None:
    """Copy the artifact *src* to *dest* atomically (a copy, so editing the output never touches the cache)."""
    copy_file(src, dest)
