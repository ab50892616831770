"""Continuity of built results: seam scores per join and drift per keyframe (:mod:`.analyze`,
:mod:`.seams`, :mod:`.drift`) and where a frame came from (:mod:`.origin`). The repairs are graph
steps (:mod:`storyrender.graph.clips`, anchored keyframes in :mod:`storyrender.graph.build`) and
media operations (:mod:`storyrender.media.colormatch`). See ``docs/continuity.md``."""
