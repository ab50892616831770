"""Continuity: measuring how well the pieces of a video fit (seam scores, keyframe drift) and
the graph steps that repair it (colour match, anchored keyframes, model-sized clips, trim,
retiming). See ``docs/continuity.md``."""
