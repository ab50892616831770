"""After a board's run: its published files, the cache's snapshot, the lock, the manifest and the review page."""

from __future__ import annotations

from ..cache import state
from ..cache.store import Store
from ..execute.runner import BuildReport
from ..graph.explain import lock_path, snapshot, write_lock
from ..graph.prepared import Prepared
from ..review import review_paths
from .manifest import write_manifest
from .publish import continuity_scores, publish_outputs, published_seconds
from .review import write_review

__all__ = ["write_board"]


def write_board(p: Prepared, report: BuildReport, store: Store, *, publish: bool) -> None:
    """After the run (*publish*: it built the board's outputs): outputs, the cache's snapshot, the lock, the manifest and the review page."""
    if publish and report.status == "ok":
        report.outputs = publish_outputs(p, store)
        report.continuity = continuity_scores(p, store, report)
        report.video_seconds = published_seconds(p, store)
    state.write(store, state.BOARD, p.board.source, snapshot(p.graph))
    if publish and report.status == "ok":  # the lock travels with the board
        warning = write_lock(lock_path(p.board.source), p.graph, p.board.source.name)
        if warning:
            report.warnings.append(warning)
    if publish:
        path, doc, written = write_manifest(p, report, store)
        if written or not review_paths(path).html.exists():  # an unchanged manifest keeps its page
            write_review(path, store, report, doc)
