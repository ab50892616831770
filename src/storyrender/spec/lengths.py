"""Model-sized clips: a beat longer than its video model's longest clip is made of clips the
model can make."""

from __future__ import annotations

__all__ = ["split_seconds"]


def split_seconds(seconds: float, durations: tuple[float, ...] | None) -> tuple[float, ...] | None:
    """The fewest clip lengths from *durations* (longest first) that add up to *seconds*;
    ``(seconds,)`` when one clip can do it or any length goes, None when no sum of them is it."""
    if durations is None or any(abs(seconds - d) < 1e-6 for d in durations):
        return (float(seconds),)
    lengths = sorted({float(d) for d in durations if d > 0}, reverse=True)
    if not lengths or seconds < min(lengths) - 1e-6:
        return None
    best: tuple[float, ...] | None = None
    frontier: list[tuple[float, ...]] = [()]
    for _ in range(int(seconds // min(lengths)) + 1):  # breadth first: the fewest clips win
        nxt = []
        for combo in frontier:
            rest = seconds - sum(combo)
            for d in lengths:
                if combo and d > combo[-1] + 1e-9:
                    continue  # non-increasing: each multiset once
                if abs(rest - d) < 1e-6:
                    return combo + (d,)
                if d < rest:
                    nxt.append(combo + (d,))
        frontier = nxt[:5000]
        if not frontier:
            break
    return best
