"""The validated, frozen storyboard model (what the graph is built from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import BoardError
from ..vocabulary import ROLES
from .yamlpos import Pos, error_at

__all__ = [
    "ProviderRef",
    "Transition",
    "Output",
    "Character",
    "Music",
    "Sound",
    "Audio",
    "Captions",
    "Beat",
    "Board",
    "ROLES",
]

#: beat ``audio:`` values: what happens to the sound a video model made with its clip
CLIP_AUDIO = ("drop", "keep")


@dataclass(frozen=True)
class ProviderRef:
    """``NAME``, ``NAME/MODEL`` or ``{use: NAME/MODEL, options: {...}}`` as written."""

    name: str
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int | None = None
    pointer: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}/{self.model}" if self.model else self.name


@dataclass(frozen=True)
class Transition:
    """A join INTO a beat: ``cut`` (seconds 0) or an ffmpeg xfade name with its overlap."""

    name: str
    seconds: float = 0.0

    @property
    def is_cut(self) -> bool:
        return self.name == "cut"


@dataclass(frozen=True)
class Output:
    path: Path
    width: int
    height: int
    fps: int
    formats: tuple[str, ...]
    quality: str
    fit: str
    #: a clip slower than ``fps``: ``duplicate`` its frames (default) or ``interpolate`` by optical flow
    retime: str = "duplicate"
    #: GIF export: frames per second and width (default: the board's fps, at most 15; its width, at most 480)
    gif_fps: int = 0
    gif_width: int = 0
    #: WebM export: VP9 constant quality (lower is better and bigger)
    webm_crf: int = 33

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    def export_settings(self, fmt: str) -> dict:
        """The settings of an extra format (part of its node's key)."""
        if fmt == "gif":
            return {"fps": self.gif_fps or min(self.fps, 15), "width": self.gif_width or min(self.width, 480)}
        if fmt == "webm":
            return {"crf": self.webm_crf}
        return {}


@dataclass(frozen=True)
class Character:
    name: str
    description: str
    image: Path | None = None


@dataclass(frozen=True)
class Music:
    """A music bed: a file (``path``) or made by ``providers.music`` from ``prompt``.

    ``seconds`` is the length asked of the music provider (``None``: auto, the video's length);
    ``duck`` is the music's gain while a voice speaks (1 = no ducking).
    """

    path: Path | None
    volume: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    prompt: str = ""
    seconds: float | None = None
    duck: float = 1.0


@dataclass(frozen=True)
class Sound:
    """A beat's sound effect: made by ``providers.sound`` from ``prompt``, placed at the beat's start
    (plus ``at`` seconds). ``seconds`` None lets the provider choose the length."""

    prompt: str
    seconds: float | None = None
    volume: float = 1.0
    at: float = 0.0


@dataclass(frozen=True)
class Audio:
    music: Music | None = None
    voice_volume: float = 1.0
    voice_name: str = ""
    #: integrated loudness target of the final mix (LUFS); False: not normalised
    loudness: float | bool = -16.0


@dataclass(frozen=True)
class Captions:
    burn: bool = False
    files: tuple[str, ...] = ()
    soft: bool = False
    say: bool = True
    #: ISO 639-2 language of the soft subtitle track ("und": undetermined)
    language: str = "und"

    @property
    def enabled(self) -> bool:
        return self.burn or bool(self.files) or self.soft


@dataclass(frozen=True)
class Beat:
    """One beat. ``index`` is 1-based; ``transition`` is the join INTO this beat (None for the first)."""

    index: int
    id: str
    prompt: str
    seconds: float
    seed: int
    take: int = 1
    negative_prompt: str = ""
    transition: Transition | None = None
    caption: str | None = None
    say: str | None = None
    camera: str | None = None
    start_image: Path | None = None
    end_image: Path | None = None
    characters: tuple[str, ...] = ()
    providers: Mapping[str, ProviderRef] = field(default_factory=dict)
    #: a sound effect for the beat (``sound:``)
    sound: Sound | None = None
    #: the segment's own audio (a video model that makes sound): ``drop`` (default) or ``keep``
    audio: str = "drop"
    #: ``continuity:`` repairs for this beat's clip, the board's merged with the beat's own
    continuity: Mapping[str, Any] = field(default_factory=dict)
    #: ``trim: {start, end}``: the part of the generated clip the video uses (seconds of the clip)
    trim: tuple[float, float] | None = None

    @property
    def shown_seconds(self) -> float:
        """How long the beat lasts in the video: its trimmed part, else its seconds."""
        return self.trim[1] - self.trim[0] if self.trim else self.seconds

    def caption_text(self, captions: Captions) -> str | None:
        if self.caption:
            return self.caption
        if captions.say and self.say:
            return self.say
        return None


@dataclass(frozen=True, eq=False)
class Board:
    """A storyboard after templates, vars and validation. Paths are absolute."""

    source: Path
    display: str
    root: Path
    title: str
    style: str
    negative_prompt: str
    seed: int
    seconds: float
    mode: str
    transition: Transition
    output: Output
    providers: Mapping[str, ProviderRef]
    characters: Mapping[str, Character]
    audio: Audio
    captions: Captions
    prices: Mapping[str, Mapping[str, float]]
    beats: tuple[Beat, ...]
    positions: Mapping[str, Pos] = field(default_factory=dict, repr=False)
    #: keyframes mode: ``chained`` (keyframe k from k-1) or ``anchored`` (every keyframe from keyframe 0)
    keyframes: str = "chained"

    def error(self, message: str, ptr: str, hint: str | None = None) -> BoardError:
        """The error for the value at *ptr*, at the place it was written."""
        return error_at(self.positions, self.display, message, ptr, hint)

    def provider_for(self, role: str, beat: Beat | None = None) -> ProviderRef:
        if beat is not None and role in beat.providers:
            return beat.providers[role]
        return self.providers.get(role) or ProviderRef("local", pointer=f"/providers/{role}")

    @property
    def total_seconds(self) -> float:
        return sum(b.shown_seconds for b in self.beats) - sum(b.transition.seconds for b in self.beats if b.transition)
