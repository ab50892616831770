"""The graph steps between a provider's segment and the stitch (pure: they only add nodes).

:func:`post_segment` returns the key of the clip the stitch uses for a beat: the provider's
segment itself, or the nodes after it: ``retime`` (``output.retime: interpolate``: a slower clip
brought to the board's rate by optical flow, :func:`storyrender.media.clipops.retime_clip`),
``colormatch`` (``continuity: {color_match: true}``, made
by :func:`storyrender.media.colormatch.color_match`), then ``trim`` (``trim: {start, end}``: the
frames of that part of the clip, :func:`storyrender.media.clipops.trim_clip`).
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
    if board.output.retime == "interpolate":
        clip = g.add(Node("retime", OpSpec({"fps": board.output.fps, "method": "flow/1"}), (clip,),
                          role=f"retime:{beat.id}", beat=beat.index, beat_id=beat.id, label=f"retime {beat.index}"))
    if beat.continuity.get("color_match"):
        inputs = (clip, first) + ((last,) if last is not None else ())
        clip = g.add(Node("colormatch", OpSpec({"method": COLOR_MATCH}), inputs, role=f"colormatch:{beat.id}",
                          beat=beat.index, beat_id=beat.id, label=f"colour match {beat.index}"))
    if beat.trim is not None:
        clip = g.add(Node("trim", OpSpec({"start": beat.trim[0], "end": beat.trim[1]}), (clip,),
                          role=f"trim:{beat.id}", beat=beat.index, beat_id=beat.id, label=f"trim {beat.index}"))
    return clip
