"""The graph steps between a provider's segment and the stitch (pure: they only add nodes).

:func:`post_segment` returns the key of the clip the stitch uses for a beat: the provider's
segment itself, or a ``colormatch`` node after it (``continuity: {color_match: true}``).
:data:`OPERATIONS` are the local operations that make those nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..graph.nodes import Graph, Node
from ..graph.spec import OpSpec

__all__ = ["post_segment", "OPERATIONS"]


def post_segment(g: Graph, board, beat, segment: str, first: str, last: str | None) -> str:
    """The clip of *beat* the stitch uses, after the repairs its ``continuity:`` asks for."""
    clip = segment
    if beat.continuity.get("color_match"):
        from .colormatch import METHOD

        inputs = (clip, first) + ((last,) if last is not None else ())
        clip = g.add(Node("colormatch", OpSpec({"method": METHOD}), inputs, role=f"colormatch:{beat.id}",
                          beat=beat.index, label=f"colour match {beat.index}"))
    return clip


def _colormatch(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]):
    from ..execute.ops import Outcome
    from .colormatch import color_match

    info = color_match(inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None, out)
    return Outcome(out, info=info)


#: the local operation of each kind this package adds: ``(node, inputs, out, tmp, log) -> Outcome``
OPERATIONS: dict[str, Callable] = {"colormatch": _colormatch}
