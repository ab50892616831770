"""What ``storyrender cache`` prints: its facts, a prune's result and a verify's findings, as text
lines or as the ``--json`` documents."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["human_size", "info_lines", "info_doc", "prune_lines", "verify_lines", "verify_doc"]


def human_size(n: int | float) -> str:
    """Bytes as ``12.3 MiB``."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def info_doc(facts: dict[str, Any], paid: list) -> dict[str, Any]:
    return {**facts, "exists": True,
            "paid": [{"key": r.key, "kind": r.kind, "label": r.meta.get("label"), "provider": r.meta.get("provider"),
                      "model": r.meta.get("model"), "cost_usd": r.cost, "bytes": r.size, "created": r.created}
                     for r in paid]}


def info_lines(facts: dict[str, Any], paid: list, *, show_paid: bool) -> list[str]:
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(facts["kinds"].items()))
    limit = facts.get("max_bytes")
    lines = [f"cache:   {facts['directory']}",
             f"entries: {facts['entries']} ({human_size(facts['bytes'])})" + (f": {kinds}" if kinds else ""),
             f"paid:    {facts['paid_entries']} results ({human_size(facts['paid_bytes'])}), "
             f"cost ${facts['paid_cost_usd']:.2f}; pruning keeps them unless --include-paid",
             f"limit:   {human_size(limit) if limit is not None else 'none'}"
             + ("  (over it: run `storyrender cache prune`)" if limit is not None and facts["bytes"] > limit else "")]
    if show_paid:
        for r in paid:
            who = f"{r.meta.get('provider')}/{r.meta.get('model')}" if r.meta.get("provider") else r.kind
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
            lines.append(f"  {r.key[:12]}  {when}  {str(r.meta.get('label', r.kind)):<20} {who:<28} "
                         f"${(r.cost or 0):.3f}  {human_size(r.size)}")
    return lines


def prune_lines(result: dict[str, Any], limit: int | None, paid_left: int, *, dry_run: bool,
                include_paid: bool) -> list[str]:
    verb = "would remove" if dry_run else "removed"
    text = f"{verb} {result['removed']} entries ({human_size(result['freed_bytes'])})"
    if result["removed_paid"]:
        text += f", {result['removed_paid']} of them paid (${result['removed_cost_usd']:.2f} to make again)"
    lines = [text + f"; cache {'would be' if dry_run else 'is now'} {human_size(result['bytes'])}"]
    if paid_left and not include_paid:
        lines.append(f"kept {paid_left} paid results (use --include-paid to allow removing them)")
    if limit is not None and result["bytes"] > limit:
        lines.append(f"the cache is still over {human_size(limit)}: what is left is paid or needed "
                     f"(--include-paid allows removing paid results)")
    return lines


def verify_doc(directory: str, total: int, bad: list, *, repair: bool) -> dict[str, Any]:
    return {"directory": directory, "checked": total, "repaired": repair,
            "corrupt": [{"key": r.key, "kind": r.kind, "label": r.meta.get("label"), "paid": r.paid,
                         "cost_usd": r.cost, "problem": why} for r, why in bad]}


def verify_lines(total: int, bad: list, *, repair: bool) -> list[str]:
    lines = [f"corrupt: {r.key[:12]}  {str(r.meta.get('label') or r.kind):<20} {why}"
             + (f"  (paid ${r.cost or 0:.3f})" if r.paid else "") for r, why in bad]
    lines.append(f"{total} artifacts checked, {len(bad)} corrupt"
                 + ("; their files were removed: `storyrender plan` shows them, the next build makes them"
                    if repair and bad else ""))
    return lines
