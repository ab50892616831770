"""The words every layer shares, defined once: provider jobs, node kinds, node statuses, board
roles and transition names.

Nothing here imports the rest of storyrender; every other module asks these instead of spelling
the strings again (``job.is_video``, not ``job in (FIRST_LAST_VIDEO, FIRST_FRAME_VIDEO)``).
"""

from __future__ import annotations

import enum

__all__ = ["Job", "NodeKind", "Status", "ROLES", "XFADE_TRANSITIONS", "TRANSITIONS"]


class Job(str, enum.Enum):
    """A kind of work a provider can do (its capabilities are a set of these)."""

    TEXT_TO_IMAGE = "text-to-image"
    NEXT_KEYFRAME = "next-keyframe"
    FIRST_LAST_VIDEO = "first-last-video"
    FIRST_FRAME_VIDEO = "first-frame-video"
    SPEECH = "speech"
    WRITE_STORY = "write-story"
    MUSIC = "music"
    SOUND = "sound-effect"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @property
    def is_video(self) -> bool:
        """A video job: priced per second of video and told the beat's length."""
        return self in (Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO)


class NodeKind(str, enum.Enum):
    """What a graph node makes (the table of their properties is :mod:`storyrender.graph.kinds`).

    Compare with ``==`` or tuples: like every ``str`` enum its hash is not its value's, so a set
    of members does not contain the plain strings.
    """

    IMAGE = "image"            # keyframe 0, text-to-image
    KEYFRAME = "keyframe"      # keyframe k, edited from keyframe k-1
    SEGMENT = "segment"        # a beat's video, between its keyframes
    SPEECH = "speech"          # a beat's voice line
    STORY = "story"            # a written storyboard
    MUSIC = "music"            # generated music for the whole video
    SOUND = "sound"            # a beat's generated sound effect
    FILE = "file"              # a pinned image of the board
    LASTFRAME = "lastframe"    # the last frame of a segment (extend mode)
    COLORMATCH = "colormatch"  # a segment graded to match its neighbour
    TRIM = "trim"              # the part of a clip a beat keeps (trim: {start, end})
    RETIME = "retime"          # a slower clip brought to the board's rate (output.retime)
    JOIN = "join"              # a beat's model-sized clips joined into one
    PIECE = "piece"            # one body or junction of the stitch
    AUDIO = "audio"            # the whole sound track
    FINAL = "final"            # the joined video
    EXPORT = "export"          # another format of the final video

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class Status(str, enum.Enum):
    """A node's status in a plan or a build report (the strings are the manifest's)."""

    CACHED = "cached"
    RENDERED = "rendered"
    RENDER = "render"          # a plan's: will be made
    FAILED = "failed"
    SKIPPED = "skipped"        # an input failed
    NOT_NEEDED = "not needed"  # what depends on it is cached

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


#: What a board's ``providers:`` names: a provider (and model) per role.
ROLES: tuple[str, ...] = ("image", "keyframe", "video", "voice", "sound", "music")

#: Every ``xfade`` transition of the bundled ffmpeg (9.x), in ffmpeg's order (``custom`` excluded: it needs an
#: expression).  ``tests/stitch/test_stitch_timeline.py`` checks this list against ``ffmpeg -h filter=xfade``.
XFADE_TRANSITIONS: tuple[str, ...] = (
    "fade", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown",
    "circlecrop", "rectcrop", "distance", "fadeblack", "fadewhite", "radial", "smoothleft", "smoothright",
    "smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose", "horzopen", "horzclose",
    "dissolve", "pixelize", "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
    "hblur", "fadegrays", "wipetl", "wipetr", "wipebl", "wipebr", "squeezeh", "squeezev", "zoomin", "fadefast",
    "fadeslow", "hlwind", "hrwind", "vuwind", "vdwind", "coverleft", "coverright", "coverup", "coverdown",
    "revealleft", "revealright", "revealup", "revealdown",
)

#: Every transition name a storyboard may use.
TRANSITIONS: tuple[str, ...] = ("cut", *XFADE_TRANSITIONS)
