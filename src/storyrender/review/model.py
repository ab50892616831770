"""What a review page shows, as plain data (no I/O): the page, its beats, their nodes.

:mod:`storyrender.review.collect` fills these from a manifest and the store;
:mod:`storyrender.review.page` turns them into HTML. Paths in here are already relative to
the page (URL-quoted), images are data URIs, so rendering needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["NodeView", "BeatView", "FileLink", "PageView", "FROM_CACHE"]

#: manifest statuses meaning "this build did not make it": it was reused from the cache
FROM_CACHE = frozenset({"cached", "not needed"})


@dataclass
class NodeView:
    """One provider call of a beat (keyframe, segment, voice) as the last build saw it."""

    label: str
    kind: str
    status: str  # rendered | cached | not needed | failed | skipped
    provider: str | None = None
    model: str | None = None
    seconds: float = 0.0  # wall time this build (0 when it came from the cache)
    cost_usd: float | None = None  # spent this build (rendered) or what it cost when made (cached)
    error: str | None = None

    @property
    def cached(self) -> bool:
        return self.status in FROM_CACHE

    @property
    def who(self) -> str:
        if not self.provider:
            return "-"
        return f"{self.provider}/{self.model}" if self.model else self.provider


@dataclass
class BeatView:
    """One card: a beat's keyframes, its segment, what it asked for and what it cost."""

    index: int
    id: str
    prompt: str
    seconds: float
    seed: int | None = None
    take: int | None = None
    caption: str | None = None
    say: str | None = None
    camera: str | None = None
    transition: str | None = None  # the transition *into* this beat, e.g. "dissolve 0.5 s"
    start: float = 0.0  # where the beat sits in the final video (seconds)
    end: float = 0.0
    status: str = "not needed"  # the segment's status
    start_thumb: str | None = None  # data URI
    end_thumb: str | None = None
    start_label: str = "start"
    end_label: str = "end"
    segment_src: str | None = None  # relative URL of the segment copy
    nodes: list[NodeView] = field(default_factory=list)
    animatic: bool = False  # made by the offline local provider
    legibility: float | None = None  # edge energy of the end keyframe over keyframe 0's

    @property
    def cached(self) -> bool:
        return self.status in FROM_CACHE

    @property
    def cost_usd(self) -> float:
        """Spent on this beat by the last build (cached nodes cost nothing again)."""
        return sum(n.cost_usd or 0.0 for n in self.nodes if n.status == "rendered")

    @property
    def render_seconds(self) -> float:
        return sum(n.seconds for n in self.nodes if n.status == "rendered")


@dataclass
class FileLink:
    """A sibling file the page links to (subtitles, other formats, the manifest)."""

    label: str
    href: str


@dataclass
class PageView:
    """Everything the review page shows."""

    title: str
    board: str
    created: str
    status: str  # ok | failed | interrupted
    size: str = ""
    fps: int = 0
    seconds: float = 0.0
    frames: int = 0
    video_src: str | None = None  # relative URL of the final MP4
    video_alt: list[tuple[str, str]] = field(default_factory=list)  # (relative URL, MIME type) fallbacks
    contact_src: str | None = None
    beats: list[BeatView] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    reused_usd: float = 0.0  # what the cached provider results cost when they were made
    files: list[FileLink] = field(default_factory=list)
    animatic: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # (node label, error)
    version: str = ""
    joins_html: str = ""  # the continuity section (:mod:`storyrender.review.joins`)
    characters_html: str = ""  # the characters and their reference images
