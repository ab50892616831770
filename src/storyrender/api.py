"""The library entry points the CLI calls: prepare a board, plan it, build it. Orchestration only:
each step is another module's, and every function returns data (nothing here prints).

``prepare`` loads and validates a board, resolves its providers and builds its graph (nothing
written, nothing spent). ``plan`` adds what is cached and why the rest must render.
``build_many`` runs one or more boards (:mod:`storyrender.build`), then writes each board's
outputs, lock, manifest and review page (:mod:`storyrender.outputs`).
"""

from __future__ import annotations

import os
from typing import Any

from .build import (BoardPlan, BudgetError, PlanRow, check_keys, enforce_limit, executor_for, missing_keys,
                    only_targets, plan, plan_board, preflight, run_boards, union)
from .cache.legacy import adopt_v1
from .cache.open import open_run_store, open_store as _open_store
from .cache.store import Store
from .errors import BoardError
from .execute.runner import BuildReport, RetryPolicy
from .execute.scheduler import Executor
from .graph.build import build_graph
from .graph.prepared import Prepared
from .outputs import manifest_path, write_board
from .plugins.manager import ProviderRegistry, load_registry
from .providers.resolve import resolve_board, resolve_problems
from .spec import Board, check_board

__all__ = ["Prepared", "prepare", "plan", "missing_keys", "check_keys", "build", "build_many", "PlanRow",
           "manifest_path", "BudgetError", "open_store", "open_boards_store", "graph_keys", "only_targets",
           "executor_for", "keep_keys", "prepare_all", "load_registry", "plan_board", "BoardPlan"]


def prepare(path: str | os.PathLike, *, offline: bool = False, registry: ProviderRegistry | None = None) -> Prepared:
    """Load, validate and resolve *path*; build its graph. Raises BoardError for bad input."""
    checked, registry = check_board(path), registry or load_registry()
    if checked.errors:  # the well-formed part's provider problems belong to the same round
        checked.errors += resolve_problems(checked.board, registry, offline=offline) if checked.board else []
        raise checked.error()
    board = checked.board
    resolution = resolve_board(board, registry, offline=offline)
    return Prepared(board, resolution, build_graph(board, resolution))


def open_store(board: Board, cache_dir: str | os.PathLike | None, *, remote: Any = None) -> Store:
    """The board's store; *remote* is an optional shared cache (see :mod:`storyrender.cache.open`)."""
    return _open_store(board.source.parent, cache_dir, remote=remote)


def open_boards_store(prepared_list: list[Prepared], cache_dir: str | os.PathLike | None,
                      remote_url: str | None = None) -> Store:
    """The one store of a run over *prepared_list*: remote cache and the other boards' caches behind it."""
    return open_run_store([p.board.source.parent for p in prepared_list], cache_dir, remote_url)


def build(prepared: Prepared, store: Store, *, targets: list[str] | None = None, **kwargs: Any) -> BuildReport:
    """Render what is missing for one board, publish its outputs, write its manifest.

    *targets*: node keys to make instead of the board's outputs (then nothing is published).
    Other keyword arguments are those of :func:`build_many`.
    """
    return build_many([prepared], store, targets=None if targets is None else [targets], **kwargs)[0]


def graph_keys(prepared: Prepared) -> list[str]:
    """Every node key of a prepared board (what `cache prune --keep-board` keeps)."""
    return list(prepared.graph.order)


def prepare_all(paths: list[str], *, offline: bool = False, registry: ProviderRegistry | None = None,
                ) -> tuple[list[Prepared], list[tuple[str, BoardError]]]:
    """:func:`prepare` every board of *paths* (one registry): the prepared ones, and (path, error) of the others."""
    prepared: list[Prepared] = []
    errors: list[tuple[str, BoardError]] = []
    registry = registry or (load_registry() if paths else None)
    for path in paths:
        try:
            prepared.append(prepare(path, offline=offline, registry=registry))
        except BoardError as exc:
            errors.append((path, exc))
    return prepared, errors


def keep_keys(paths: list[str], *, offline: bool = False) -> tuple[set[str], list[BoardError]]:
    """Every node key the boards at *paths* use (what `cache prune` keeps), and the boards that do not load."""
    prepared, errors = prepare_all(paths, offline=offline)
    return {k for p in prepared for k in graph_keys(p)}, [exc for _, exc in errors]


def build_many(prepared_list: list[Prepared], store: Store, *, events: Any = None,
               executor: Executor | None = None, jobs: int = 4, budget: float | None = None,
               retry: RetryPolicy | None = None, targets: list[list[str] | None] | None = None,
               write_outputs: bool = True) -> list[BuildReport]:
    """Build several boards in one run: one store, one job pool, one report per board.

    *targets* gives each board's own target keys (``None``: its outputs; otherwise nothing is
    published for it). *budget* covers the whole run. Keys and the budget are checked before the
    store is touched: a refused build writes nothing. While it runs, the build holds the store
    against `cache prune`.
    """
    if not prepared_list:
        return []
    run = union(prepared_list, targets)
    for p in prepared_list:  # results made under key version 1 serve their requests (no provider call)
        if not all(store.has(k) for k in p.graph.targets.values()):
            adopt_v1(p.graph, store, p.board, p.resolution)
    run_plan = preflight(run, store, budget)
    with store.in_use():  # `cache prune` waits: nothing this run planned to read is evicted under it
        whole, reports = run_boards(run, store, events=events, executor=executor, jobs=jobs, budget=budget,
                                    retry=retry, plan=run_plan)
        for p, t, report in zip(run.boards, run.board_targets, reports):
            write_board(p, report, store, publish=write_outputs and t is None)
        if events is not None:
            events.build_finished(whole)
    if reports and all(r.status == "ok" for r in reports):
        enforce_limit(store, {k for p in prepared_list for k in graph_keys(p)}, reports[-1])
    return reports
