"""The graph steps between a provider's segment and the stitch (pure: they only add nodes).

:func:`post_segment` returns the key of the clip the stitch uses for a beat: the provider's
segment itself, or a ``colormatch`` node after it (``continuity: {color_match: true}``), made by
:func:`storyrender.media.colormatch.color_match`.
"""

from __future__ import annotations

from .nodes import Graph, Node
from .spec import OpSpec

__all__ = ["post_segment", "COLOR_MATCH"]

#: the colour-match method (part of its nodes' keys); :mod:`storyrender.media.colormatch` makes it
COLOR_MATCH = "mean-std-ramp/1"


def post_segment(g: Graph, board, beat, segment: str, first: str, last: str | None) -> str:
    """The clip of *beat* the stitch uses, after the repairs its ``continuity:`` asks for."""
    clip = segment
    if beat.continuity.get("color_match"):
        inputs = (clip, first) + ((last,) if last is not None else ())
        clip = g.add(Node("colormatch", OpSpec({"method": COLOR_MATCH}), inputs, role=f"colormatch:{beat.id}",
                          beat=beat.index, label=f"colour match {beat.index}"))
    return clip
