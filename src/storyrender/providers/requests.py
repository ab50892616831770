"""The frozen requests a provider receives, one type per kind of job (built from the node's spec,
so everything in them is part of the node's key)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["ImageRequest", "KeyframeRequest", "VideoRequest", "SpeechRequest", "StoryRequest", "AudioRequest"]


@dataclass(frozen=True)
class _Request:
    model: str
    prompt: str
    #: the vendor seed (derived from the board's seed and take; None if the provider reads none)
    seed: int | None
    width: int
    height: int
    #: identity options (call-only ones are in ``RunContext.call``)
    options: Mapping[str, Any] = field(default_factory=dict)
    negative_prompt: str = ""
    #: reference images of characters named in the prompt (paths), for providers that take them
    references: tuple[Path, ...] = ()
    #: beat number and time code, for previz providers that draw them (``"hints" in Provider.reads``)
    hints: Mapping[str, Any] = field(default_factory=dict)
    #: the beat's take (a new take is a new request; the seed already differs for seeded models)
    take: int = 1
    #: the beat's camera hint, for providers that read it (compose it with ``kit.compose_prompt``)
    camera: str = ""


@dataclass(frozen=True)
class ImageRequest(_Request):
    """text-to-image: draw keyframe 0."""


@dataclass(frozen=True)
class KeyframeRequest(_Request):
    """next-keyframe: imagine ``seconds`` later than ``previous`` (a PNG path)."""

    previous: Path = Path()
    seconds: float = 5.0


@dataclass(frozen=True)
class VideoRequest(_Request):
    """first-last-video (``last`` set) or first-frame-video (``last`` is None)."""

    first: Path = Path()
    last: Path | None = None
    seconds: float = 5.0
    fps: int = 24


@dataclass(frozen=True)
class SpeechRequest:
    """speech: say ``text``."""

    model: str
    text: str
    seed: int | None = 0
    voice: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    take: int = 1


@dataclass(frozen=True)
class StoryRequest:
    """write-story: tell ``premise`` in ``len(beats)`` beats (``storyrender new``).

    ``beats`` holds each beat's length in seconds (already sized to the video model's clip
    lengths); ``schema`` is the JSON Schema the answer must match (derived from the storyboard
    schema: ``{"title", "beats": [{"prompt", "camera", "caption"}]}``, in the subset strict
    structured-output modes take), for vendors that constrain their output to a schema; ``instructions`` is the text that asks for it. Write the
    answer (JSON matching ``schema``) to ``ctx.output_path``; storyrender checks it again.
    """

    model: str
    premise: str
    style: str
    beats: tuple[float, ...]
    width: int
    height: int
    schema: Mapping[str, Any]
    instructions: str
    #: the system message (the writer's role), for vendors that take one
    system: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    take: int = 1


@dataclass(frozen=True)
class AudioRequest:
    """music or sound-effect: make ``seconds`` of audio from ``prompt``.

    ``seconds`` is what the board asks for (the video's length for a music bed with ``seconds:
    auto``; ``None`` for a sound effect whose length the vendor may choose); the mix fits the
    result to the video either way. ``seed`` is the board's seed (vendors that take one).
    """

    model: str
    prompt: str
    seconds: float | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    take: int = 1



def replace(request: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for requests (re-exported for plugin authors)."""
    return dataclasses.replace(request, **changes)
