"""The library entry points the CLI calls: prepare a board, plan it, build it.

``prepare`` loads and validates a board, resolves its providers and builds its graph (nothing
written, nothing spent). ``plan`` adds what is cached and why the rest must render.
``build`` runs the missing nodes, publishes the outputs and writes the manifest.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import __version__
from .cache.store import Store, default_cache_dir
from .errors import BoardError, MissingKeyError
from .execute.runner import BuildReport, Plan, RetryPolicy, plan_nodes, publish, run_build
from .execute.scheduler import Executor, ThreadExecutor
from .graph.build import build_graph
from .graph.explain import reasons, snapshot
from .graph.nodes import PROVIDER_KINDS, Graph
from .plugins.manager import ProviderRegistry, load_registry
from .providers.resolve import Resolution, resolve_board
from .spec import Board, load_board

__all__ = ["Prepared", "prepare", "plan", "build", "PlanRow", "manifest_path", "BudgetError"]


class BudgetError(BoardError):
    """The estimate of what is left to render is over ``--budget`` (nothing was started)."""


@dataclass
class Prepared:
    board: Board
    resolution: Resolution
    graph: Graph


def prepare(path: str | os.PathLike, *, offline: bool = False, registry: ProviderRegistry | None = None) -> Prepared:
    """Load, validate and resolve *path*; build its graph. Raises BoardError for bad input."""
    board = load_board(path)
    registry = registry or load_registry()
    resolution = resolve_board(board, registry, offline=offline)
    graph = build_graph(board, resolution)
    return Prepared(board, resolution, graph)


def open_store(board: Board, cache_dir: str | os.PathLike | None) -> Store:
    return Store(Path(cache_dir) if cache_dir else default_cache_dir(board.source.parent))


def manifest_path(board: Board) -> Path:
    out = board.output.path
    return out.with_name(out.stem + ".manifest.json")


def _state_name(board: Board) -> str:
    return f"board:{board.source}"


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

    def as_dict(self) -> dict:
        return dict(self.__dict__)


#: rough wall-time guesses per node kind for `plan` (seconds); providers may refine later
_TIME_GUESS = {"image": 10.0, "keyframe": 15.0, "segment": 90.0, "speech": 3.0, "piece": 1.0, "audio": 1.0,
               "final": 0.5, "export": 5.0, "file": 0.0, "lastframe": 0.2}
_LOCAL_TIME = {"image": 0.1, "keyframe": 0.1, "segment": 1.0, "speech": 0.5}


def plan(prepared: Prepared, store: Store, *, full: bool = True) -> tuple[list[PlanRow], Plan]:
    """Every node with its status and reason (no provider is called, nothing is written)."""
    graph = prepared.graph
    p = plan_nodes(graph, store)
    previous = store.get_state(_state_name(prepared.board))
    why = reasons(graph, previous, set(p.to_run))
    rows = []
    for node in graph:
        if node.key in why:
            status, reason = "render", why[node.key]
        elif node.key in p.cached or store.has(node.key):
            status, reason = "cached", ""
        else:
            status, reason = "not needed", "output is cached"
        ident = node.params.get("provider") or {}
        guess = (_LOCAL_TIME if ident.get("name") == "local" else _TIME_GUESS).get(node.kind, 1.0)
        rows.append(PlanRow(node.key, node.role, node.label, node.kind, node.beat, status, reason,
                            ident.get("name"), ident.get("model"), node.estimate if status == "render" else 0.0,
                            guess if status == "render" else 0.0))
    return rows, p


def check_keys(prepared: Prepared, to_run: list[str]) -> None:
    """Every provider that will be called has its key: found before any call."""
    needed = {prepared.graph[k].provider for k in to_run if prepared.graph[k].kind in PROVIDER_KINDS}
    for name, provider in prepared.resolution.providers().items():
        if name in needed and not provider.has_key():
            raise MissingKeyError(
                f"provider {name!r} needs an API key: set {' or '.join(provider.key_env)} "
                f"(or build with --offline to render everything with the local provider)")


def build(prepared: Prepared, store: Store, *, events: Any = None, executor: Executor | None = None,
          jobs: int = 4, budget: float | None = None, retry: RetryPolicy | None = None,
          targets: list[str] | None = None, write_outputs: bool = True) -> BuildReport:
    """Render what is missing, publish the outputs, write the manifest; returns the report."""
    board, graph = prepared.board, prepared.graph
    pre = plan_nodes(graph, store, targets=targets)
    check_keys(prepared, pre.to_run)
    if budget is not None:
        estimate = pre.estimate(graph)
        if estimate > budget + 1e-9:
            raise BudgetError(
                f"the estimated cost of what is left to render is ${estimate:.2f}, over the budget of ${budget:.2f}",
                file=board.display, hint="Raise --budget, render fewer beats (--only), or use --offline.")
    limits = {}
    for choice in prepared.resolution.choices.values():
        limits[choice.name] = min(limits.get(choice.name, choice.concurrency), choice.concurrency)
    report, _ = run_build(graph, store, prepared.resolution.providers(), events=events,
                          executor=executor or ThreadExecutor(jobs), limits=limits,
                          retry=retry or RetryPolicy(), budget=budget, targets=targets,
                          board_name=board.display)
    if write_outputs and report.status == "ok" and targets is None:
        report.outputs = _publish(prepared, store)
    store.set_state(_state_name(board), snapshot(graph))
    if write_outputs and targets is None:
        _write_manifest(prepared, report, store)
    if events is not None:
        events.build_finished(report)
    return report


def _publish(prepared: Prepared, store: Store) -> dict[str, str]:
    board, graph = prepared.board, prepared.graph
    out = board.output.path
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
        "output": {"size": board.output.size, "fps": board.output.fps, "seconds": round(board.total_seconds, 3),
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
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)
    return path
