"""The validated, frozen storyboard model (what the graph is built from)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import ArtifactError, BoardError, BoardErrors, secret_values, shorten
from ..text import find_name
from ..vocabulary import ROLES, TRANSITIONS
from .yamlpos import Pos, pointer

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
    "build_board",
    "project_root",
]

#: provider roles a board can set, in the order they are used
#: beat ``audio:`` values: what happens to the sound a video model made with its clip
CLIP_AUDIO = ("drop", "keep")
DEFAULT_TRANSITION_SECONDS = 0.5
MAX_PIXELS = 7680 * 4320
#: the most elongated frame a board may ask for (longer side : shorter side)
MAX_ASPECT = 4


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

    def where(self, ptr: str) -> Pos | None:
        """Position of the value at JSON pointer *ptr* (or its nearest written parent)."""
        while True:
            p = self.positions.get(ptr)
            if p or not ptr:
                return p
            ptr = ptr.rsplit("/", 1)[0]

    def error(self, message: str, ptr: str, hint: str | None = None) -> BoardError:
        p = self.where(ptr)
        return BoardError(message, file=p.file if p else self.display, line=p.line if p else None,
                          column=p.column if p else None, pointer=ptr, hint=hint)

    def provider_for(self, role: str, beat: Beat | None = None) -> ProviderRef:
        if beat is not None and role in beat.providers:
            return beat.providers[role]
        return self.providers.get(role) or ProviderRef("local", pointer=f"/providers/{role}")

    @property
    def total_seconds(self) -> float:
        return sum(b.shown_seconds for b in self.beats) - sum(b.transition.seconds for b in self.beats if b.transition)


#: a path written in a board: at most this many bytes in all, and per name
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255


def path_text_problem(text: str) -> str | None:
    """Why *text* cannot be a path, checked before any system call sees it; None when it can."""
    if "\0" in text:
        return "holds a NUL byte"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "holds a lone surrogate, which is not a character"
    size = len(text.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        return f"is too long ({size} bytes; a path is at most {MAX_PATH_BYTES})"
    longest = max((len(part.encode("utf-8")) for part in text.replace("\\", "/").split("/")), default=0)
    if longest > MAX_NAME_BYTES:
        return f"has a name too long ({longest} bytes; a file name is at most {MAX_NAME_BYTES})"
    return None


def project_root(start: Path) -> Path:
    """The nearest ancestor holding ``.git`` (or ``$STORYRENDER_PROJECT_ROOT``), else *start*."""
    env = os.environ.get("STORYRENDER_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start


# ---------------------------------------------------------------------------------------------

_SECRET_NAME = re.compile(
    r"^(api[_-]?key|apikey|key|token|access[_-]?token|auth[_-]?token|bearer|secret|client[_-]?secret|password|"
    r"passwd|authorization|credentials?)$|(api|access|secret|private|auth)[_-]?key$|[_-](token|secret|password)$",
    re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^\s*(Bearer\s+\S{8,}|(sk|rk|pk)[-_][A-Za-z0-9_\-]{16,}|r8_[A-Za-z0-9]{16,}|"
                           r"AIza[0-9A-Za-z_\-]{30,}|xai-[A-Za-z0-9]{16,})\s*$")
_SECRET_HINT = ("Remove it and set the provider's key variable instead (e.g. OPENAI_API_KEY, GEMINI_API_KEY, "
                "REPLICATE_API_TOKEN, GETIMG_API_KEY, FAL_KEY); `storyrender providers` names each one.")


#: option names that would choose where requests (and so keys) go
_HOST_NAME = re.compile(
    r"^(base[_-]?url|url|uri|host(name)?|endpoint|server|proxy|domain|origin|address|"
    r"api[_-]?(base|url|host|endpoint|server))$|[_-](url|uri|host|endpoint|server|proxy)$", re.IGNORECASE)
_HOST_HINT = ("A storyboard cannot choose where requests, and so API keys, are sent. Set the SDK's own "
              "variable in your environment instead (OPENAI_BASE_URL, GOOGLE_GEMINI_BASE_URL / "
              "GOOGLE_VERTEX_BASE_URL, REPLICATE_BASE_URL, GETIMG_AI_BASE_URL, FAL_QUEUE_RUN_HOST, ELEVENLABS_BASE_URL).")


def _looks_like_key(text: str) -> bool:
    return bool(_SECRET_VALUE.match(text))


def _env_keys_in(data: Any, ptr: str, found: list[tuple[str, str]], secrets: Mapping[str, str]) -> None:
    """Collect (pointer, variable) for every string of *data* (keys included) that contains the
    value of a key-like environment variable."""
    if isinstance(data, dict):
        for k, v in data.items():
            sub = ptr + pointer([k])
            if isinstance(k, str):
                _env_keys_in(k, sub, found, secrets)
            _env_keys_in(v, sub, found, secrets)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _env_keys_in(v, f"{ptr}/{i}", found, secrets)
    elif isinstance(data, str):
        for value, name in secrets.items():
            if value in data:
                found.append((ptr, name))
                return


class _Checker:
    def __init__(self, data: dict, positions: Mapping[str, Pos], display: str, root: Path):
        self.data = data
        self.positions = positions
        self.display = display
        self.root = root
        self.errors: list[BoardError] = []
        #: (resolved path, pointer) of every media file the board reads
        self.inputs: list[tuple[Path, str]] = []

    def pos(self, ptr: str) -> Pos | None:
        while True:
            p = self.positions.get(ptr)
            if p or not ptr:
                return p
            ptr = ptr.rsplit("/", 1)[0]

    def fail(self, message: str, ptr: str, hint: str | None = None) -> None:
        p = self.pos(ptr)
        self.errors.append(BoardError(message, file=p.file if p else self.display, line=p.line if p else None,
                                      column=p.column if p else None, pointer=ptr, hint=hint))

    def path(self, value: str, ptr: str, *, must_exist: bool = True, kind: str = "file") -> Path | None:
        """Resolve a path written at *ptr*, relative to the file that wrote it. The text is checked
        (NUL, surrogates, length) before any system call; symlinks are followed, and the target
        must stay inside the project."""
        problem = path_text_problem(value)
        if problem:
            self.fail(f"{shorten(repr(value))} {problem}", ptr, "Write a plain relative path such as assets/music.mp3.")
            return None
        p = self.pos(ptr)
        base = Path(p.file).resolve().parent if p else self.root
        if os.path.isabs(value) or value.startswith("~"):
            self.fail(f"{value!r} is an absolute path", ptr,
                      "Write paths relative to the storyboard file, inside the project.")
            return None
        try:
            full = (base / value).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name the system refuses
            self.fail(f"{value!r} cannot be resolved ({getattr(exc, 'strerror', None) or exc.__class__.__name__})",
                      ptr, "Fix the path.")
            return None
        allowed = [self.root, base]
        if not any(full == a or a in full.parents for a in allowed):
            self.fail(f"{value!r} points outside the project ({self.root})", ptr,
                      "Keep the files the storyboard uses inside its project folder (symlinks included).")
            return None
        if must_exist:
            if not full.exists():
                self.fail(f"{kind} {value!r} does not exist", ptr,
                          f"Create it or fix the path (looked for {full}).")
                return None
            if full.is_dir():
                article = "an" if kind[:1] in "aeiou" else "a"
                self.fail(f"{value!r} is a directory, not {article} {kind}", ptr, "Point at a file.")
                return None
            if not full.is_file():
                self.fail(f"{value!r} is not a regular file (a pipe or a device?)", ptr, "Point at a file.")
                return None
        return full

    def image(self, value: str, ptr: str) -> Path | None:
        """A path to a complete PNG, JPEG or WebP that decodes fully and has a sane size."""
        from ..media.check import check_image

        full = self.path(value, ptr, kind="image")
        if full is None:
            return None
        try:
            check_image(full)
        except ArtifactError as exc:
            self.fail(f"{value!r} {exc}", ptr, "Use a complete PNG, JPEG or WebP file.")
            return None
        self.inputs.append((full, ptr))
        return full

    def audio(self, value: str, ptr: str) -> Path | None:
        """A path to an audio file that decodes and has a duration."""
        from ..media.check import check_audio

        full = self.path(value, ptr, kind="music file")
        if full is None:
            return None
        try:
            check_audio(full)
        except ArtifactError as exc:
            self.fail(f"{value!r} {exc}", ptr, "Use an audio file (WAV, MP3, AAC/M4A, FLAC or Ogg) with sound in it.")
            return None
        self.inputs.append((full, ptr))
        return full

    def output(self, text: str, ptr: str) -> Path | None:
        """The output path: inside the project, writable (no file where a folder must be)."""
        full = self.path(text, ptr, must_exist=False)
        if full is None:
            return None
        for parent in full.parents:
            if parent.exists():
                if not parent.is_dir():
                    rel = os.path.relpath(parent, self.root)
                    self.fail(f"output path {text!r} cannot be written: {rel!r} is a file, not a folder", ptr,
                              "Choose another output path.")
                    return None
                break
        return full

    def no_overwrite(self, out: Path, ptr: str) -> None:
        """Refuse an output (the video or a file written beside it) that is one of the board's inputs."""
        family = {out: "video", out.with_name(out.stem + ".manifest.json"): "manifest",
                  out.with_name(out.stem + ".html"): "review page",
                  out.with_name(out.stem + ".contact.png"): "contact sheet"}
        for suffix in (".webm", ".gif", ".srt", ".vtt"):
            family[out.with_suffix(suffix)] = f"{suffix[1:]} file"
        review = out.with_name(out.stem + ".review")
        board_files = {Path(p.file).resolve() for p in self.positions.values() if p and p.file}
        inputs = self.inputs + [(f, "") for f in board_files]
        for full, where in inputs:
            what = family.get(full) or ("review folder" if review == full or review in full.parents else None)
            if what:
                source = f"the input at {where}" if where else "the storyboard itself"
                self.fail(f"the {what} {os.path.relpath(full, self.root)!r} would overwrite {source}", ptr,
                          "Choose an output path whose files are not the board's inputs.")

    def provider(self, value: Any, ptr: str) -> ProviderRef:
        if isinstance(value, str):
            name, _, model = value.partition("/")
            return ProviderRef(name, model or None, MappingProxyType({}), None, ptr)
        name, _, model = value["use"].partition("/")
        self.no_hosts(value.get("options") or {}, ptr + "/options")
        self.no_secrets(value.get("options") or {}, ptr + "/options")
        return ProviderRef(name, model or None, MappingProxyType(dict(value.get("options") or {})),
                           value.get("concurrency"), ptr)

    def no_hosts(self, options: Mapping[str, Any], ptr: str) -> None:
        """Refuse options that would choose a host (``base_url``, ``endpoint``, ...): keys go only
        where the user's environment says."""
        for k in options:
            if _HOST_NAME.search(str(k)):
                self.fail(f"option {k!r} would choose where requests and API keys are sent; a storyboard "
                          "cannot set that", ptr + pointer([k]), _HOST_HINT)

    def env_keys(self) -> None:
        """Refuse a board holding the value of a key-like environment variable anywhere (a prompt,
        a caption, an option): it would reach the cache, the outputs and the vendor's logs."""
        found: list[tuple[str, str]] = []
        _env_keys_in(self.data, "", found, secret_values())
        for ptr, name in found:
            self.fail(f"this text contains the value of the environment variable {name}; secrets must not "
                      "be written in a storyboard", ptr,
                      "Remove it. API keys are read from the environment and never belong in a board.")

    def no_secrets(self, value: Any, ptr: str) -> None:
        """Refuse API keys written into provider options: keys belong in environment variables."""
        if isinstance(value, dict):
            for k, v in value.items():
                sub = ptr + pointer([k])
                if _SECRET_NAME.search(str(k)) and v not in (None, "", False):
                    self.fail(f"option {k!r} looks like a credential; API keys must not be written in a storyboard",
                              sub, _SECRET_HINT)
                else:
                    self.no_secrets(v, sub)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.no_secrets(v, f"{ptr}/{i}")
        elif isinstance(value, str) and _looks_like_key(value):
            self.fail("this value looks like an API key; API keys must not be written in a storyboard", ptr,
                      _SECRET_HINT)

    def transition(self, value: Any, ptr: str) -> Transition:

        if isinstance(value, str):
            name, seconds = value, None
        else:
            name, seconds = value["type"], value.get("seconds")
            ptr_name = ptr + "/type"
            ptr = ptr_name
        if name not in TRANSITIONS:
            import difflib

            close = difflib.get_close_matches(name, TRANSITIONS, n=1)
            self.fail(f"unknown transition {name!r}", ptr,
                      (f"Did you mean {close[0]!r}? " if close else "") + "Valid names: " + ", ".join(TRANSITIONS) + ".")
            return Transition("cut", 0.0)
        if name == "cut":
            return Transition("cut", 0.0)
        return Transition(name, float(seconds) if seconds is not None else DEFAULT_TRANSITION_SECONDS)


#: a generated music bed fades in and out over these seconds unless the board says otherwise
GENERATED_MUSIC_FADES = (1.0, 2.0)
#: the music's gain under a voice, unless the board says otherwise (``duck: 1`` turns ducking off)
DEFAULT_DUCK = 0.35


def _music(c: _Checker, m: Any, providers: dict[str, ProviderRef]) -> Music | None:
    """``audio.music``: a file, or a prompt for ``audio.music.provider`` (which becomes the
    ``music`` role of *providers*)."""
    if not m:
        return None
    if bool(m.get("path")) == bool(m.get("prompt")):
        c.fail("audio.music needs either path (a music file) or prompt (music made by a provider), not "
               + ("both" if m.get("path") else "neither"), "/audio/music",
               "Write path: music/bed.mp3, or prompt: calm piano, slow, warm.")
        return None
    seconds = m.get("seconds", "auto")
    common = dict(volume=float(m.get("volume", 1.0)), duck=float(m.get("duck", DEFAULT_DUCK)))
    if m.get("path"):
        if "provider" in m or "seconds" in m:
            c.fail("provider and seconds are for a music prompt, not a music file", "/audio/music",
                   "Remove them, or replace path with prompt.")
        mpath = c.audio(m["path"], "/audio/music/path")
        if mpath is None:
            return None
        return Music(mpath, fade_in=float(m.get("fade_in", 0)), fade_out=float(m.get("fade_out", 0)), **common)
    if "provider" in m:
        providers["music"] = c.provider(m["provider"], "/audio/music/provider")
    fade_in, fade_out = GENERATED_MUSIC_FADES
    return Music(None, fade_in=float(m.get("fade_in", fade_in)), fade_out=float(m.get("fade_out", fade_out)),
                 prompt=str(m["prompt"]), seconds=None if seconds == "auto" else float(seconds), **common)


def _trim(c: "_Checker", trim: Any, seconds: float, fps: int, ptr: str) -> tuple[float, float] | None:
    """A beat's ``trim:`` as (start, end) seconds of its clip, checked against the beat's length."""
    if not trim:
        return None
    start, end = float(trim.get("start", 0.0)), float(trim.get("end", seconds))
    if not 0 <= start < end <= seconds + 1e-9:
        c.fail(f"trim {start:g}..{end:g} s is not inside the beat's clip (0..{seconds:g} s)", ptr + "/trim",
               "Give 0 <= start < end <= the beat's seconds.")
        return None
    if round((end - start) * fps) < 2:
        c.fail(f"trim {start:g}..{end:g} s at {fps} fps is less than 2 frames", ptr + "/trim", "Keep more of the clip.")
        return None
    return (start, end)


def build_board(data: dict, positions: Mapping[str, Pos], source: Path, display: str) -> Board:
    """Turn schema-valid *data* into a :class:`Board`, checking what the schema cannot."""
    root = project_root(source.parent)
    c = _Checker(data, positions, display, root)
    c.env_keys()

    out = data.get("output") or {}
    size = out.get("size", "1280x720")
    width, height = (int(x) for x in size.split("x"))
    if width % 2 or height % 2:
        c.fail(f"size {size} has an odd side", "/output/size", "Both width and height must be even (e.g. 1280x720).")
    if width < 16 or height < 16 or width * height > MAX_PIXELS:
        c.fail(f"size {size} is out of range", "/output/size", "Use between 16x16 and 7680x4320.")
    elif max(width, height) > MAX_ASPECT * min(width, height):
        c.fail(f"size {size} has an aspect ratio beyond {MAX_ASPECT}:1", "/output/size",
               f"Keep the longer side at most {MAX_ASPECT} times the shorter (16:9 is 1280x720, 9:16 720x1280).")
    fps = int(out.get("fps", 24))
    out_path_text = out.get("path") or f"out/{source.stem}.mp4"
    out_ptr = "/output/path" if "path" in out else ""
    out_path = c.output(out_path_text, out_ptr or "/output")
    if out_path is not None and out_path.exists() and out_path.is_dir():
        c.fail(f"output path {out_path_text!r} is a directory", out_ptr or "/output", "Name a file such as out/video.mp4.")
    if out_path is not None and out_path.suffix.lower() != ".mp4":
        c.fail(f"output path {out_path_text!r} must end in .mp4", out_ptr or "/output",
               "Other formats are written beside it: set output.formats.")
    output = Output(out_path or Path("out.mp4"), width, height, fps, tuple(out.get("formats", ["mp4"])),
                    out.get("quality", "standard"), out.get("fit", "pad"), out.get("retime", "duplicate"),
                    int((out.get("gif") or {}).get("fps", 0)), int((out.get("gif") or {}).get("width", 0)),
                    int((out.get("webm") or {}).get("crf", 33)))

    providers = {role: c.provider(v, f"/providers/{role}") for role, v in (data.get("providers") or {}).items()}

    characters = {}
    for name, ch in (data.get("characters") or {}).items():
        img = c.image(ch["image"], f"/characters/{pointer([name])[1:]}/image") if ch.get("image") else None
        characters[name] = Character(name, ch["description"], img)

    audio_d = data.get("audio") or {}
    music = _music(c, audio_d.get("music"), providers)
    voice_d = audio_d.get("voice") or {}
    audio = Audio(music, float(voice_d.get("volume", 1.0)), str(voice_d.get("name", "")),
                  False if audio_d.get("loudness", -16.0) is False else float(audio_d.get("loudness", -16.0)))
    cap_d = data.get("captions") or {}
    captions = Captions(bool(cap_d.get("burn", False)), tuple(cap_d.get("files", ())), bool(cap_d.get("soft", False)),
                        bool(cap_d.get("say", True)), str(cap_d.get("language", "und")))

    default_seconds = float(data.get("seconds", 5))
    default_seed = int(data.get("seed", 0))
    default_transition = c.transition(data["transition"], "/transition") if "transition" in data else Transition("cut")

    beats: list[Beat] = []
    ids: dict[str, int] = {}
    for i, b in enumerate(data["beats"]):
        ptr = f"/beats/{i}"
        bid = b.get("id") or f"beat-{i + 1}"
        if bid in ids:
            c.fail(f"beat id {bid!r} is used twice (beats {ids[bid]} and {i + 1})", ptr + ("/id" if "id" in b else ""),
                   "Give each beat a unique id.")
        ids[bid] = i + 1
        seconds = float(b.get("seconds", default_seconds))
        if round(seconds * fps) < 2:
            c.fail(f"{seconds:g} s at {fps} fps is less than 2 frames", ptr + ("/seconds" if "seconds" in b else ""),
                   "Make the beat longer.")
        trans = None
        if i > 0:
            trans = c.transition(b["transition"], ptr + "/transition") if "transition" in b else default_transition
        elif "transition" in b:
            c.fail("the first beat has no previous beat to transition from", ptr + "/transition",
                   "Remove transition from the first beat.")
        start = c.image(b["start_image"], ptr + "/start_image") if b.get("start_image") else None
        end = c.image(b["end_image"], ptr + "/end_image") if b.get("end_image") else None
        chars = tuple(b["characters"]) if "characters" in b else tuple(
            n for n in characters if find_name(n, b["prompt"]))
        for n in chars:
            if n not in characters:
                c.fail(f"character {n!r} is not defined", ptr + "/characters",
                       "Define it under characters: or remove it.")
        bprov = {role: c.provider(v, f"{ptr}/providers/{role}") for role, v in (b.get("providers") or {}).items()}
        sound = None
        if b.get("sound") is not None:
            s = b["sound"] if isinstance(b["sound"], dict) else {"prompt": b["sound"]}
            sound = Sound(s["prompt"], float(s["seconds"]) if s.get("seconds") is not None else None,
                          float(s.get("volume", 1.0)), float(s.get("at", 0.0)))
            if sound.at >= seconds:
                c.fail(f"the sound starts at {sound.at:g} s, after the beat ends ({seconds:g} s)", ptr + "/sound/at",
                       "Make at smaller than the beat's seconds.")
        beats.append(Beat(
            index=i + 1, id=bid, prompt=b["prompt"], seconds=seconds, seed=int(b.get("seed", default_seed)),
            take=int(b.get("take", 1)), negative_prompt=b.get("negative_prompt", data.get("negative_prompt", "")),
            transition=trans, caption=b.get("caption"), say=b.get("say"), camera=b.get("camera"),
            start_image=start, end_image=end, characters=chars, providers=MappingProxyType(bprov),
            sound=sound, audio=str(b.get("audio", "drop")),
            continuity=MappingProxyType({**(data.get("continuity") or {}), **(b.get("continuity") or {})}),
            trim=_trim(c, b.get("trim"), seconds, fps, ptr),
        ))

    # Transitions must fit inside the beats they overlap.
    from ..stitch.timeline import frame_exact

    frames, into = frame_exact([b.shown_seconds for b in beats],
                               [(b.transition.name, b.transition.seconds) if b.transition else ("cut", 0.0)
                                for b in beats[1:]], fps) if beats else ([], [])
    for i, beat in enumerate(beats):
        n = frames[i]
        t_in = into[i - 1].frames if i else 0
        t_out = into[i].frames if i + 1 < len(beats) else 0
        if t_in + t_out > n:
            limit = beat.seconds - (t_out / fps if t_in else t_in / fps)
            ptr = f"/beats/{i + 1}/transition" if t_out else f"/beats/{i}/transition"
            if ptr not in positions:
                ptr = "/transition"
            c.fail(f"transitions of {t_in / fps:g} s in and {t_out / fps:g} s out of beat {i + 1} ({beat.id}) "
                   f"are longer than the beat ({beat.seconds:g} s)", ptr,
                   f"Keep the transitions around a beat within its length (at most {max(limit, 0):g} s here).")

    if data.get("mode", "keyframes") == "extend":
        for i, b in enumerate(data["beats"]):
            if i > 0 and (b.get("start_image")):
                c.fail("start_image is only for keyframes mode (extend mode starts each beat from the previous "
                       "segment's last frame)", f"/beats/{i}/start_image", "Remove it or use mode: keyframes.")
            if b.get("end_image"):
                c.fail("end_image is only for keyframes mode", f"/beats/{i}/end_image",
                       "Remove it or use mode: keyframes.")

    if data.get("keyframes") == "anchored" and data.get("mode", "keyframes") == "extend":
        c.fail("keyframes: anchored is for keyframes mode (extend mode makes no keyframes after the first)",
               "/keyframes", "Remove it or use mode: keyframes.")

    if out_path is not None:
        c.no_overwrite(out_path, out_ptr or "/output")

    if c.errors:
        raise BoardErrors(c.errors) if len(c.errors) > 1 else c.errors[0]

    return Board(
        source=source.resolve(), display=display, root=root, title=data.get("title", source.stem),
        style=data.get("style", ""), negative_prompt=data.get("negative_prompt", ""), seed=default_seed,
        seconds=default_seconds, mode=data.get("mode", "keyframes"), transition=default_transition,
        output=output, providers=MappingProxyType(providers), characters=MappingProxyType(characters),
        audio=audio, captions=captions, prices=MappingProxyType(dict(data.get("prices") or {})),
        beats=tuple(beats), positions=MappingProxyType(dict(positions)),
        keyframes=data.get("keyframes", "chained"),
    )
