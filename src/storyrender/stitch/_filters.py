"""Small helpers shared by the stitch runners: filtergraph escaping and atomic output paths."""

from __future__ import annotations

import contextlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Iterator

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


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside *out*; on success it replaces *out* in one step, on failure it is removed.

    An interrupted or failed run never leaves a half-written file at *out*.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".part" + out.suffix, dir=out.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # an ordinary file's mode, not mkstemp's private 0600
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
