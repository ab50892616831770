"""The review page beside the output, written from the manifest; a failure is only a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..cache.store import Store
from ..execute.reports import BuildReport
from ..review import write_review_after_build

__all__ = ["write_review"]


def write_review(manifest: Path, store: Store, report: BuildReport, doc: dict[str, Any]) -> None:
    write_review_after_build(manifest, store, report, doc=doc)
