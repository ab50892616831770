"""The library entry points the CLI calls: prepare a board, plan it, build it.

``prepare`` loads and validates a board, resolves its providers and builds its graph (nothing
written, nothing spent). ``plan`` adds what is cached and why the rest must render.
``build`` runs the missing nodes, publishes the outputs and writes the manifest.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .cache.legacy import adopt_v1
from .cache.store import Store, default_cache_dir
from .errors import BoardError, MissingKeyError
from .execute.runner import BuildReport, Plan, RetryPolicy, plan_nodes, publish, run_build
from .execute.scheduler import Executor, ThreadExecutor
from .graph.build import build_graph
from .graph.explain import lock_path, read_lock, reasons, snapshot, write_lock
from .graph.kinds import KINDS
from .graph.nodes import Graph
from .plugins.manager import ProviderRegistry, load_registry
from .providers.resolve import Resolution, resolve_board
from .spec import Board, load_board
from .atomic import sweep, write_text

__all__ = ["Prepared", "prepare", "plan", "missing_keys", "build", "build_many", "PlanRow", "manifest_path", "BudgetError"]


class BudgetError(BoardError):
    """The estimate of what is left to render is over ``--budget`` (nothing was started)."""


@dataclass
class Prepared:
    board: Board
    resolution: Resolution
    graph: Graph

    @property
    def video_seconds(self) -> float:
        """The planned video's length: its frames (each cut on the frame nearest its time) over the fps."""
        return sum(p["frames"] for p in self.graph.info["pieces"]) / self.board.output.fps


def prepare(path: str | os.PathLike, *, offline: bool = False, registry: ProviderRegistry | None = None) -> Prepared:
    """Load, validate and resolve *path*; build its graph. Raises BoardError for bad input."""
    board = load_board(path)
    registry = registry or load_registry()
    resolution = resolve_board(board, registry, offline=offline)
    graph = build_graph(board, resolution)
    return Prepared(board, resolution, graph)


def open_store(board: Board, cache_dir: str | os.PathLike | None, *, remote: Any = None) -> Store:
    """The board's store; *remote* is an optional shared cache (see :mod:`storyrender.cache.remote`)."""
    return Store(Path(cache_dir) if cache_dir else default_cache_dir(board.source.parent), remote=remote)


def _store_warnings(store: Store) -> list[str]:
    """Wait for the remote cache's uploads, then take its warnings (an outage is a warning, never a failure)."""
    flush, take = getattr(store, "flush", None), getattr(store, "take_warnings", None)
    if flush is not None:
        flush()
    return list(take()) if take is not None else []


def manifest_path(board: Board) -> Path:
    out = board.output.path
    return out.with_name(out.stem + ".manifest.json")


def _state_name(board: Board) -> str:
    return f"board:{board.source}"


def _previous(board: Board, store: Store) -> Any:
    """The last build's snapshot: the board's lock file, else (no valid lock) the cache's state."""
    lock = read_lock(lock_path(board.source))
    return lock if lock is not None else store.get_state(_state_name(board))


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


#: rough wall-time guesses per node kind for `plan` (seconds); providers may refine later


def plan(prepared: Prepared, store: Store, *, full: bool = True) -> tuple[list[PlanRow], Plan]:
    """Every node with its status and reason (no provider is called, nothing is written)."""
    graph = prepared.graph
    p = plan_nodes(graph, store)
    previous = _previous(prepared.board, store)
    why = reasons(graph, previous, set(p.to_run))
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
        guess = KINDS[node.kind].time_guess(name)
        rows.append(PlanRow(node.key, node.role, node.label, node.kind, node.beat, status, reason,
                            name, model, node.estimate if status == "render" else 0.0,
                            guess if status == "render" else 0.0,
                            bool(node.pricing.get("price_unknown")) and status == "render"))
    return rows, p


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


def build(prepared: Prepared, store: Store, *, targets: list[str] | None = None, **kwargs: Any) -> BuildReport:
    """Render what is missing for one board, publish its outputs, write its manifest.

    *targets*: node keys to make instead of the board's outputs (then nothing is published).
    Other keyword arguments are those of :func:`build_many`.
    """
    return build_many([prepared], store, targets=None if targets is None else [targets], **kwargs)[0]


def graph_keys(prepared: Prepared) -> list[str]:
    """Every node key of a prepared board (what `cache prune --keep-board` keeps)."""
    return list(prepared.graph.order)


def build_many(prepared_list: list[Prepared], store: Store, *, events: Any = None,
               executor: Executor | None = None, jobs: int = 4, budget: float | None = None,
               retry: RetryPolicy | None = None, targets: list[list[str] | None] | None = None,
               write_outputs: bool = True) -> list[BuildReport]:
    """Build several boards in one run: one store, one job pool, one report per board.

    The boards' graphs are unioned by key (a node two boards share is made once) and run
    through :func:`run_build` with every board's targets; then each board is published and
    gets its manifest. *targets* gives each board's own target keys (``None``: its outputs;
    otherwise nothing is published for it). A node made once for two boards is reported
    ``rendered`` for the first board that needs it and ``cached`` for the others, so per-board
    provider calls and costs add up to what was really spent. *budget* covers the whole run.

    Keys and the budget are checked before the store is touched: a refused build writes nothing.
    While it runs, the build holds the store against `cache prune`.
    """
    if not prepared_list:
        return []
    run = _union(prepared_list, targets)
    for p in prepared_list:  # results made under key version 1 serve their requests (no provider call)
        if not all(store.has(k) for k in p.graph.targets.values()):
            adopt_v1(p.graph, store, p.board, p.resolution)
    _preflight(run, store, budget)
    with store.in_use():  # `cache prune` waits: nothing this run planned to read is evicted under it
        reports = _build_many(run, store, events=events, executor=executor, jobs=jobs, budget=budget,
                              retry=retry, write_outputs=write_outputs)
    if reports and all(r.status == "ok" for r in reports):
        keep: set[str] = set()
        for p in prepared_list:
            keep.update(graph_keys(p))
        _enforce_limit(store, keep, reports[-1])
    return reports


def _enforce_limit(store: Store, keep: set[str], report: BuildReport) -> None:
    """The cache's size limit (`storyrender cache limit`): evict unpaid entries *keep* does not need."""
    limit = store.max_bytes
    if limit is None:
        return
    from .cache.store import CacheBusy

    try:
        pruned = store.prune(keep=keep, max_bytes=limit, wait=0)
    except CacheBusy:
        return  # another build is running; the next build or `storyrender cache prune` will do it
    if pruned["removed"]:
        report.warnings.append(f"the cache was over its limit: removed {pruned['removed']} unpaid entries")


@dataclass
class _Run:
    """Several boards as one run: their union graph and each board's targets."""

    boards: list[Prepared]
    union: Graph
    board_targets: list[list[str] | None]
    all_targets: list[str]

    @property
    def many(self) -> bool:
        return len(self.boards) > 1


def _union(prepared_list: list[Prepared], targets: list[list[str] | None] | None) -> _Run:
    import dataclasses

    many = len(prepared_list) > 1
    union = Graph()
    for p in prepared_list:
        for node in p.graph:
            if node.key not in union.nodes:
                union.add(dataclasses.replace(node, label=f"{p.board.display}: {node.label}") if many else node)
    board_targets = [(targets[i] if targets is not None else None) for i in range(len(prepared_list))]
    all_targets: list[str] = []
    for p, t in zip(prepared_list, board_targets):
        for k in (t if t is not None else p.graph.targets.values()):
            if k not in all_targets:
                all_targets.append(k)
    return _Run(prepared_list, union, board_targets, all_targets)


def _preflight(run: _Run, store: Store, budget: float | None) -> None:
    """Every key present and the estimate within *budget*, before anything starts (reads only).

    Every missing key is named, and an over-budget estimate is reported with them."""
    missing: list[BoardError] = []
    for p, t in zip(run.boards, run.board_targets):
        missing += missing_keys(p, plan_nodes(p.graph, store, targets=t).to_run)
    over = _over_budget(run, store, budget) if budget is not None else None
    if missing:
        raise MissingKeyError("\n".join(e.format() for e in missing + ([over] if over else [])))
    if over:
        raise over


def _over_budget(run: _Run, store: Store, budget: float) -> BudgetError | None:
    to_run = plan_nodes(run.union, store, targets=run.all_targets).to_run
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


def _build_many(run: _Run, store: Store, *, events: Any, executor: Executor | None, jobs: int,
                budget: float | None, retry: RetryPolicy | None, write_outputs: bool) -> list[BuildReport]:
    import dataclasses

    prepared_list, union, board_targets, all_targets, many = (
        run.boards, run.union, run.board_targets, run.all_targets, run.many)
    limits: dict[str, int] = {}
    providers: dict[str, Any] = {}
    for p in prepared_list:
        for choice in p.resolution.choices.values():
            limits[choice.name] = min(limits.get(choice.name, choice.concurrency), choice.concurrency)
        providers.update(p.resolution.providers())
    name = prepared_list[0].board.display if not many else f"{len(prepared_list)} boards"
    whole, _ = run_build(union, store, providers, events=events, executor=executor or ThreadExecutor(jobs),
                         limits=limits, retry=retry or RetryPolicy(), budget=budget, targets=all_targets,
                         board_name=name)
    whole.warnings.extend(_store_warnings(store))
    by_key = {r.key: r for r in whole.nodes}
    claimed: set[str] = set()
    reports: list[BuildReport] = []
    for p, t in zip(prepared_list, board_targets):
        rows = []
        for node in p.graph:
            r = dataclasses.replace(by_key[node.key], role=node.role, label=node.label, beat=node.beat)
            if r.status == "rendered":
                if node.key in claimed:  # made for an earlier board of this run
                    r.status, r.seconds, r.attempts = "cached", 0.0, 0
                claimed.add(node.key)
            rows.append(r)
        if whole.status == "interrupted":
            status = "interrupted"
        elif any(r.status in ("failed", "skipped") for r in rows):
            status = "failed"
        else:
            status = "ok"
        report = BuildReport(board=p.board.display, status=status, nodes=rows, seconds=whole.seconds,
                             warnings=list(p.resolution.warnings) + list(whole.warnings))
        if write_outputs and status == "ok" and t is None:
            report.outputs = _publish(p, store)
            report.continuity = _continuity(p, store, report)
            report.video_seconds = _written_seconds(report.outputs.get("mp4"))
        store.set_state(_state_name(p.board), snapshot(p.graph))
        if write_outputs and status == "ok" and t is None:  # the lock travels with the board
            warning = write_lock(lock_path(p.board.source), p.graph, p.board.source.name)
            if warning:
                report.warnings.append(warning)
        if write_outputs and t is None:
            _write_manifest(p, report, store)
        reports.append(report)
    if events is not None:
        events.build_finished(whole)
    return reports


def _continuity(prepared: Prepared, store: Store, report: BuildReport) -> dict[str, Any] | None:
    """Seam scores and drift of the published video; a measuring failure is only a warning."""
    from .continuity.analyze import analyze

    try:
        return analyze(prepared, store)
    except Exception as exc:  # the video is made; not being able to score it must not fail the build
        report.warnings.append(f"continuity scores not measured: {exc.__class__.__name__}: {exc}")
        return None


def _publish(prepared: Prepared, store: Store) -> dict[str, str]:
    board, graph = prepared.board, prepared.graph
    out = board.output.path
    sweep(out.parent)  # temporary files a killed build left beside the outputs
    outputs: dict[str, str] = {}
    published = store.get_state(f"published:{out}") or {}
    for fmt, key in graph.targets.items():
        dest = out if fmt == "mp4" else out.with_suffix("." + fmt)
        src = store.path(key)
        st = dest.stat() if dest.exists() else None
        if not (st and published.get(str(dest)) == [key, st.st_size, st.st_mtime_ns]):
            publish(src, dest)
            st = dest.stat()
        published[str(dest)] = [key, st.st_size, st.st_mtime_ns]
        outputs[fmt] = str(dest)
    cues = graph.info.get("cues") or []
    if board.captions.files:
        from .stitch import Cue, write_srt, write_vtt

        cue_objs = [Cue(c["start"], c["end"], c["text"]) for c in cues]
        for kind in board.captions.files:
            dest = out.with_suffix("." + kind)
            (write_srt if kind == "srt" else write_vtt)(cue_objs, dest)
            outputs[kind] = str(dest)
    store.set_state(f"published:{out}", published)
    return outputs


def _written_seconds(mp4: str | None) -> float | None:
    """The length of the MP4 that was written, as a player reads it (None when there is none)."""
    if not mp4:
        return None
    from .media.probe import probe

    return round(probe(Path(mp4), count_frames=False).duration, 3)


def _write_manifest(prepared: Prepared, report: BuildReport, store: Store) -> Path:
    board, graph = prepared.board, prepared.graph
    path = manifest_path(board)
    doc = {
        "storyrender": __version__,
        "board": board.display,
        "title": board.title,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": report.status,
        "outputs": report.outputs,
        "output": {"size": board.output.size, "fps": board.output.fps, "seconds": (report.video_seconds if report.video_seconds is not None
                                                                    else round(prepared.video_seconds, 3)),
                   "frames": sum(p["frames"] for p in graph.info["pieces"])},
        "totals": report.totals(),
        "beats": [
            {"index": b.index, "id": b.id, "prompt": b.prompt, "seconds": b.seconds, "seed": b.seed, "take": b.take,
             "caption": b.caption, "say": b.say, "camera": b.camera,
             "transition": {"type": b.transition.name, "seconds": b.transition.seconds} if b.transition else None,
             "time": graph.info["beat_times"][b.index - 1]}
            for b in board.beats
        ],
        "nodes": [r.as_dict() for r in report.nodes],
        "continuity": report.continuity,
    }
    write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    from .review import write_review_after_build  # the page beside the output; a failure is only a warning

    write_review_after_build(path, store, report, doc=doc)
    return path
