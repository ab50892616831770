"""Checks of what the schema cannot say: paths inside the project, media that decodes, no
secrets or hosts in options, known transitions; each failure collected with its position."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import ArtifactError, BoardError, looks_like_key, secret_values, shorten
from ..vocabulary import TRANSITIONS
from .model import ProviderRef, Transition
from .paths import path_text_problem
from .yamlpos import Pos, error_at, nearest, pointer

DEFAULT_TRANSITION_SECONDS = 0.5

_SECRET_NAME = re.compile(
    r"^(api[_-]?key|apikey|key|token|access[_-]?token|auth[_-]?token|bearer|secret|client[_-]?secret|password|"
    r"passwd|authorization|credentials?)$|(api|access|secret|private|auth)[_-]?key$|[_-](token|secret|password)$",
    re.IGNORECASE)
_SECRET_HINT = ("Remove it and set the provider's key variable instead (e.g. OPENAI_API_KEY, GEMINI_API_KEY, "
                "REPLICATE_API_TOKEN, GETIMG_API_KEY, FAL_KEY); `storyrender providers` names each one.")


#: option names that would choose where requests (and so keys) go
_HOST_NAME = re.compile(
    r"^(base[_-]?url|url|uri|host(name)?|endpoint|server|proxy|domain|origin|address|"
    r"api[_-]?(base|url|host|endpoint|server))$|[_-](url|uri|host|endpoint|server|proxy)$", re.IGNORECASE)
_HOST_HINT = ("A storyboard cannot choose where requests, and so API keys, are sent. Set the SDK's own "
              "variable in your environment instead (OPENAI_BASE_URL, GOOGLE_GEMINI_BASE_URL / "
              "GOOGLE_VERTEX_BASE_URL, REPLICATE_BASE_URL, GETIMG_AI_BASE_URL, FAL_QUEUE_RUN_HOST, ELEVENLABS_BASE_URL).")


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


class Checker:
    """Checks one board's data, collecting every failure with its position."""

    def __init__(self, data: dict, positions: Mapping[str, Pos], display: str, root: Path):
        self.data = data
        self.positions = positions
        self.display = display
        self.root = root
        self.errors: list[BoardError] = []
        #: (resolved path, pointer) of every media file the board reads
        self.inputs: list[tuple[Path, str]] = []

    def pos(self, ptr: str) -> Pos | None:
        return nearest(self.positions, ptr)

    def fail(self, message: str, ptr: str, hint: str | None = None) -> None:
        self.errors.append(error_at(self.positions, self.display, message, ptr, hint))

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

    def no_overwrite(self, out: Path, ptr: str, *, formats: tuple[str, ...] = ()) -> None:
        """Refuse an output (the video or a file written beside it, one per format of *formats*) that is
        one of the board's inputs."""
        family = {out: "video", out.with_name(out.stem + ".manifest.json"): "manifest",
                  out.with_name(out.stem + ".html"): "review page",
                  out.with_name(out.stem + ".contact.png"): "contact sheet"}
        extra = tuple(f".{f}" for f in formats if str(f).isalnum() and f != "mp4")  # a plugin's formats too
        for suffix in dict.fromkeys((".webm", ".gif", ".srt", ".vtt") + extra):
            family[out.with_suffix(suffix)] = f"{suffix[1:]} file"
        review = out.with_name(out.stem + ".review")
        board_files = {Path(f).resolve() for f in {p.file for p in self.positions.values() if p and p.file}}
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
        elif isinstance(value, str) and looks_like_key(value):
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

