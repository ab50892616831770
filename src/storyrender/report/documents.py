"""The machine-readable reports of ``build --json`` / ``--report`` (the schema is docs/ci.md's)."""

from __future__ import annotations

import json
from typing import Any, Sequence

__all__ = ["board_result", "build_doc", "run_status", "bad_input_doc", "to_json"]


def board_result(prepared: Any, report: Any, manifest: str | None) -> dict[str, Any]:
    """One board's entry: status, outputs, totals, failures, warnings."""
    board = prepared.board
    return {
        "board": board.display, "title": board.title, "status": report.status, "outputs": report.outputs,
        "manifest": manifest,
        "seconds_of_video": (report.video_seconds if report.video_seconds is not None
                             else round(prepared.video_seconds, 3)),
        "size": board.output.size, "fps": board.output.fps,
        **report.totals(),
        "failures": [{"node": f.label, "error": f.error} for f in report.failures],
        "warnings": list(report.warnings),
        "continuity": report.continuity["summary"] if report.continuity else None}


def build_doc(results: list[dict[str, Any]], *, status: str, exit_code: int, cache_dir: str,
              seconds: float) -> dict[str, Any]:
    """The whole run: every board's entry and the totals over them."""
    def total(key: str) -> float:
        return sum(r[key] for r in results)

    return {
        "boards": results,
        "status": status,
        "exit_code": exit_code,
        "cache_dir": cache_dir,
        "totals": {
            "boards": len(results), "ok": len([r for r in results if r["status"] == "ok"]),
            "failed": len([r for r in results if r["status"] != "ok"]),
            "nodes": total("nodes"), "rendered": total("rendered"), "cached": total("cached"),
            "failed_nodes": total("failed"), "provider_calls": total("provider_calls"),
            "cost_usd": round(total("cost_usd"), 6), "cost_estimated_usd": round(total("cost_estimated_usd"), 6),
            "seconds_of_video": round(total("seconds_of_video"), 3),
            "seconds": round(seconds, 3),
        },
    }


def run_status(reports: Sequence[Any]) -> str:
    """The run's word: ``interrupted`` when it was, ``failed`` when a board failed, else ``ok``."""
    if any(r.status == "interrupted" for r in reports):
        return "interrupted"
    return "failed" if any(r.status != "ok" for r in reports) else "ok"


def bad_input_doc(paths: Sequence[str], errors: Sequence[tuple[Any, Any]], exit_code: int) -> dict[str, Any]:
    """The report when nothing was built: which boards are invalid, and why."""
    bad = {str(path): exc for path, exc in errors}
    boards = [{"board": str(path), "status": "invalid" if str(path) in bad else "not built",
               "error": bad[str(path)].format() if str(path) in bad else None} for path in paths]
    return {"boards": boards, "status": "bad input", "exit_code": exit_code}


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)
