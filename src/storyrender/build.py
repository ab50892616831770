"""One run over one or more boards: the union of their graphs, the preflight, the per-board split.

The boards' graphs are unioned by key (a node two boards share is made once) and run through
:func:`~storyrender.execute.runner.run_build` with every board's targets. Before anything starts,
:func:`preflight` checks every key and the budget (reads only: a refused build writes nothing).
:func:`plan` says, without running anything, what a build would make and why. Afterwards :func:`run_boards` splits the run's report into one per board: a node made once for two
boards is ``rendered`` for the first board that needs it and ``cached`` for the others, so per-board
provider calls and costs add up to what was really spent. Publishing is :mod:`storyrender.outputs`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .cache import state
from .cache.open import store_warnings
from .cache.store import CacheBusy, Store
from .errors import BoardError, MissingKeyError, StoryrenderError
from .execute.runner import BuildReport, Plan, RetryPolicy, plan_nodes, run_build
from .execute.scheduler import Executor, ThreadExecutor
from .graph.explain import lock_path, read_lock, reasons
from .graph.kinds import KINDS
from .graph.nodes import Graph
from .graph.prepared import Prepared
from .vocabulary import Status

__all__ = ["BudgetError", "Run", "union", "missing_keys", "check_keys", "preflight", "run_boards", "enforce_limit",
           "only_targets", "executor_for", "PlanRow", "plan", "BoardPlan", "plan_board"]


class BudgetError(BoardError):
    """The estimate of what is left to render is over ``--budget`` (nothing was started)."""


@dataclass
class Run:
    """Several boards as one run: their union graph and each board's targets (``None``: its outputs)."""

    boards: list[Prepared]
    union: Graph
    board_targets: list[list[str] | None]
    all_targets: list[str]

    @property
    def many(self) -> bool:
        return len(self.boards) > 1


def union(prepared_list: list[Prepared], targets: list[list[str] | None] | None = None) -> Run:
    many = len(prepared_list) > 1
    graph = Graph()
    for p in prepared_list:
        for node in p.graph:
            if node.key not in graph.nodes:
                graph.add(dataclasses.replace(node, label=f"{p.board.display}: {node.label}") if many else node)
    board_targets = [(targets[i] if targets is not None else None) for i in range(len(prepared_list))]
    all_targets: list[str] = []
    for p, t in zip(prepared_list, board_targets):
        for k in (t if t is not None else p.graph.targets.values()):
            if k not in all_targets:
                all_targets.append(k)
    return Run(prepared_list, graph, board_targets, all_targets)


def missing_keys(prepared: Prepared, to_run: list[str] | None = None) -> list[BoardError]:
    """Every provider that would be called (of *to_run*, default: every node) without its API key, each as an
    error naming the board line that chooses it."""
    graph, board = prepared.graph, prepared.board
    needed = {graph[k].provider for k in (graph.order if to_run is None else to_run) if graph[k].is_provider_job}
    beats = {b.index: b for b in board.beats}
    out: list[BoardError] = []
    for name, provider in sorted(prepared.resolution.providers().items()):
        if name not in needed or provider.has_key():
            continue
        ptr = next((board.provider_for(role, beats[i]).pointer for (role, i), c in prepared.resolution.choices.items()
                    if c.name == name and i in beats), "/providers")
        out.append(board.error(f"provider {name!r} needs an API key", ptr or "/providers",
                               hint=f"Set {' or '.join(provider.key_env)} in the environment (or build with "
                                    f"--offline to render everything with the local provider)."))
    return out


def check_keys(prepared: Prepared, to_run: list[str]) -> None:
    """Every provider that will be called has its key: found before any call (all missing keys named at once)."""
    missing = missing_keys(prepared, to_run)
    if missing:
        raise MissingKeyError("\n".join(e.format() for e in missing))


def preflight(run: Run, store: Store, budget: float | None) -> Plan:
    """Every key present and the estimate within *budget*, before anything starts (reads only); the
    run's plan.

    Every missing key is named, and an over-budget estimate is reported with them."""
    plan = plan_nodes(run.union, store, targets=run.all_targets)
    missing: list[BoardError] = []
    for p, t in zip(run.boards, run.board_targets):
        # one board's plan is the run's; nothing to make for the run is nothing to make for any board
        to_run = plan.to_run if not (run.many and plan.to_run) else plan_nodes(p.graph, store, targets=t).to_run
        missing += missing_keys(p, to_run)
    over = _over_budget(run, plan.to_run, budget) if budget is not None else None
    if missing:
        raise MissingKeyError("\n".join(e.format() for e in missing + ([over] if over else [])))
    if over:
        raise over
    return plan


def _over_budget(run: Run, to_run: list[str], budget: float) -> BudgetError | None:
    first = run.boards[0].board.display
    unpriced = sorted({run.union[k].pricing["model_label"] for k in to_run
                       if run.union[k].pricing.get("price_unknown")})
    if unpriced:
        return BudgetError(
            f"{', '.join(unpriced)} has no list price, so --budget cannot be kept", file=first,
            hint=f"Add its price to the board, e.g. prices: {{{unpriced[0]}: {{per_image: 0.05}}}} "
                 f"(per_second for video models), or build without --budget.")
    estimate = sum(run.union[k].estimate for k in to_run)
    if estimate > budget + 1e-9:
        boards = f" in {len(run.boards)} boards" if run.many else ""
        return BudgetError(
            f"the estimated cost of what is left to render{boards} is ${estimate:.2f}, "
            f"over the budget of ${budget:.2f}", file=first,
            hint="Raise --budget, render fewer boards or beats (--only), or use --offline.")
    return None


def run_boards(run: Run, store: Store, *, events: Any, executor: Executor | None, jobs: int,
               budget: float | None, retry: RetryPolicy | None,
               plan: Plan | None = None) -> tuple[BuildReport, list[BuildReport]]:
    """Make the run's targets (*plan*: the run's, from :func:`preflight`); the whole run's report and one
    report per board (nothing published)."""
    limits: dict[str, int] = {}
    providers: dict[str, Any] = {}
    for p in run.boards:
        for choice in p.resolution.choices.values():
            limits[choice.name] = min(limits.get(choice.name, choice.concurrency), choice.concurrency)
        providers.update(p.resolution.providers())
    name = run.boards[0].board.display if not run.many else f"{len(run.boards)} boards"
    whole, _ = run_build(run.union, store, providers, events=events, executor=executor or ThreadExecutor(jobs),
                         limits=limits, retry=retry or RetryPolicy(), budget=budget, targets=run.all_targets,
                         board_name=name, plan=plan)
    whole.warnings.extend(store_warnings(store))
    by_key = {r.key: r for r in whole.nodes}
    claimed: set[str] = set()
    reports: list[BuildReport] = []
    for p in run.boards:
        rows = []
        for node in p.graph:
            r = by_key[node.key]  # one board: its own nodes' reports
            if run.many:
                r = dataclasses.replace(r, role=node.role, label=node.label, beat=node.beat)
            if r.status == Status.RENDERED:
                if node.key in claimed:  # made for an earlier board of this run
                    r.status, r.seconds, r.attempts = "cached", 0.0, 0
                claimed.add(node.key)
            rows.append(r)
        if whole.status == "interrupted":
            status = "interrupted"
        elif any(r.status in (Status.FAILED, Status.SKIPPED) for r in rows):
            status = "failed"
        else:
            status = "ok"
        reports.append(BuildReport(board=p.board.display, status=status, nodes=rows, seconds=whole.seconds,
                                   warnings=list(p.resolution.warnings) + list(whole.warnings)))
    return whole, reports


def enforce_limit(store: Store, keep: set[str], report: BuildReport) -> None:
    """The cache's size limit (`storyrender cache limit`): evict unpaid entries *keep* does not need."""
    limit = store.max_bytes
    if limit is None:
        return
    try:
        pruned = store.prune(keep=keep, max_bytes=limit, wait=0)
    except CacheBusy:
        return  # another build is running; the next build or `storyrender cache prune` will do it
    if pruned["removed"]:
        report.warnings.append(f"the cache was over its limit: removed {pruned['removed']} unpaid entries")


def only_targets(prepared: Prepared, only: list[str]) -> list[str]:
    """The segment keys of the beats *only* names (ids or numbers), for ``build --only``."""
    beats = {b.id: b for b in prepared.board.beats}
    by_index = {str(b.index): b for b in prepared.board.beats}
    roles = prepared.graph.by_role()
    out = []
    for name in only:
        beat = beats.get(name) or by_index.get(name)
        if beat is None:
            raise BoardError(f"--only {name}: no such beat", file=prepared.board.display,
                             hint=f"Beats: {', '.join(beats)}.")
        out.append(roles[f"segment:{beat.id}"].key)
    return out


def executor_for(registry: Any, name: str | None, ray_address: str | None, jobs: int | None) -> Executor | None:
    """The executor ``--executor``/``--ray-address`` ask for, of *registry*'s (None: threads in this process).

    :raises StoryrenderError: when it is not installed or cannot be used (Ray without ray).
    """
    if name is None and ray_address:
        name = "ray"
    if name is None:
        return None
    entry = registry.executors.get(name)
    if entry is None:
        raise StoryrenderError(f"no executor named {name!r} is installed; installed: "
                               f"{', '.join(sorted(registry.executors))}")
    return entry.make(jobs, ray_address)


@dataclass
class PlanRow:
    """One node in a plan: cached or to render, why, with whom, for how much."""

    key: str
    role: str
    label: str
    kind: str
    beat: int | None
    status: str  # cached | render | not needed
    reason: str
    provider: str | None
    model: str | None
    estimate_usd: float
    estimate_seconds: float
    #: a paid model with no list price: its estimate is not $0 but unknown
    price_unknown: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def plan(prepared: Prepared, store: Store, *, full: bool = True) -> tuple[list[PlanRow], Plan]:
    """Every node with its status and reason (no provider is called, nothing is written)."""
    graph, board = prepared.graph, prepared.board
    p = plan_nodes(graph, store)
    lock = read_lock(lock_path(board.source))  # the last build: the board's lock, else the cache's state
    why = reasons(graph, lock if lock is not None else state.read(store, state.BOARD, board.source), set(p.to_run))
    rows = []
    for node in graph:
        if node.key in why:
            status, reason = "render", why[node.key]
            corrupt = store.problem(node.key)
            if corrupt:
                reason = f"corrupt in cache ({corrupt})"
        elif node.key in p.cached or store.has(node.key):
            status, reason = "cached", ""
        else:
            status, reason = "not needed", "output is cached"
        name = node.spec.provider if node.is_provider_job else None
        model = node.spec.model if node.is_provider_job else None
        todo = status == "render"
        rows.append(PlanRow(node.key, node.role, node.label, node.kind, node.beat, status, reason, name, model,
                            node.estimate if todo else 0.0, KINDS[node.kind].time_guess(name) if todo else 0.0,
                            bool(node.pricing.get("price_unknown")) and todo))
    return rows, p


@dataclass
class BoardPlan:
    """What ``storyrender plan`` shows of one board: every node's row, the critical path of each
    keyframes mode, the last build's continuity scores and the keys missing for what is to render."""

    rows: list[PlanRow]
    critical: dict[str, Any]
    continuity: dict[str, Any] | None
    missing_keys: list[str]

    @property
    def todo(self) -> list[PlanRow]:
        return [r for r in self.rows if r.status == "render"]


def plan_board(prepared: Prepared, store: Store) -> BoardPlan:
    """Plan *prepared* against *store* (reads only; no provider is called)."""
    from .continuity.analyze import cached as continuity_of
    from .graph.critical import keyframe_modes

    rows, _ = plan(prepared, store)
    critical = keyframe_modes(prepared.board, prepared.resolution, prepared.graph,
                              lambda g: plan_nodes(g, store).cached)
    todo = [r.key for r in rows if r.status == "render"]
    return BoardPlan(rows, critical, continuity_of(prepared, store),
                     [e.format() for e in missing_keys(prepared, todo)])
