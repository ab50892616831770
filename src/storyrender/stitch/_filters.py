"""Small helpers shared by the stitch runners: filtergraph escaping and atomic output paths."""

from __future__ import annotations

from fractions import Fraction

from ..atomic import atomic_path as atomic_output  # one atomic writer for every file

__all__ = ["filter_value", "frac", "atomic_output"]

_GRAPH_SPECIAL = "\\'[],;"


def filter_value(text: str) -> str:
    """Escape *text* so that it is one literal option value inside a ``-filter_complex`` graph.

    ffmpeg unescapes twice: once when it splits the graph (``[],;`` separate filters) and once when it splits a
    filter's options (``:`` separates options).  The value is quoted for the second level (a ``'`` inside becomes
    ``'\\''``) and the result is backslash-escaped for the first.
    """
    level1 = "'" + text.replace("'", "'\\''") + "'"
    return "".join("\\" + c if c in _GRAPH_SPECIAL else c for c in level1)


def frac(x: Fraction) -> str:
    """A :class:`~fractions.Fraction` as an ffmpeg expression (``N/D``, or ``N``)."""
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

