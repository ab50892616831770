"""The provider contract: what a plugin implements to draw keyframes, make videos or speak.

A provider is an object with a ``name``, a ``version`` (bumped only when the same request
would give a different result: it is part of every node key, so upgrading a plugin that keeps
its ``version`` never invalidates paid results), a table of ``models`` and one method per job.

Jobs (:class:`Job`) and the method that does each:

==================  ======================  =================================================
job                 method                  makes
==================  ======================  =================================================
text-to-image       ``text_to_image``       keyframe 0 from a prompt
next-keyframe       ``next_keyframe``       keyframe k from keyframe k-1 and beat k's prompt
first-last-video    ``video``               a segment from a first and a last frame
first-frame-video   ``video``               a segment from a first frame only (extend mode)
speech              ``speech``              a WAV/MP3 of a beat's ``say:`` text
write-story         ``write_story``         a story as JSON (``storyrender new``): one entry per beat
music               ``music``               a music bed from ``audio.music.prompt`` (``seconds`` long)
sound-effect        ``sound``               a beat's ``sound:`` effect from its prompt
==================  ======================  =================================================

Every method receives a frozen request and a :class:`RunContext`, writes its artifact to
``ctx.output_path`` (or returns bytes via :meth:`RunContext.write`) and returns a
:class:`Result`. The request is built from the node's spec (:mod:`storyrender.graph.spec`), so
everything in it is part of the node's key: a provider declares the optional fields it
:attr:`~Provider.reads` (the others arrive empty) and its options as a schema
(:attr:`~Provider.options_schema`: identity options arrive in ``request.options``, call-only
ones in ``ctx.call``). Vendor jobs that are submitted and polled go through
:func:`storyrender.providers.hosted.run_hosted`, which records the vendor's job id so a retry or
a rerun resumes it instead of paying again. Errors are raised as :mod:`storyrender.errors` types: ``TransientError`` for
faults worth retrying, ``RefusedError`` for content-policy refusals, ``ProviderError`` otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import MissingKeyError
from ..vocabulary import Job

__all__ = [
    "Job",
    "Price",
    "ModelInfo",
    "Lifecycle",
    "STATUSES",
    "Limits",
    "ImageRequest",
    "KeyframeRequest",
    "VideoRequest",
    "SpeechRequest",
    "StoryRequest",
    "AudioRequest",
    "Result",
    "RunContext",
    "Provider",
    "Option",
    "CALL_OPTIONS",
]


@dataclass(frozen=True)
class Price:
    """A model's list price, and the date it was taken (prices change: boards may override).

    ``per_image`` for image models, ``per_second`` for video models (times the beat's seconds),
    ``per_call`` for anything billed per request.
    """

    per_image: float | None = None
    per_second: float | None = None
    per_call: float | None = None
    as_of: str = ""

    @property
    def known(self) -> bool:
        """True when any price is set (an empty Price means "not known", not "free")."""
        return any(v is not None for v in (self.per_image, self.per_second, self.per_call))

    def estimate(self, seconds: float | None = None) -> float:
        total = 0.0
        if self.per_image is not None:
            total += self.per_image
        if self.per_call is not None:
            total += self.per_call
        if self.per_second is not None:
            total += self.per_second * float(seconds or 0)
        return total


@dataclass(frozen=True)
class Limits:
    """What a model accepts. ``None`` means anything goes.

    ``durations``: the clip lengths (seconds) a video model can make;
    ``aspect_ratios``: e.g. ("16:9", "9:16"); ``max_size``: (w, h) upper bound.
    """

    durations: tuple[float, ...] | None = None
    aspect_ratios: tuple[str, ...] | None = None
    max_size: tuple[int, int] | None = None


#: the lifecycle states a vendor gives its models, in order
STATUSES = ("preview", "ga", "deprecated", "shut_down")


@dataclass(frozen=True)
class Lifecycle:
    """Where a model is in its vendor's lifecycle, and where and when that was read.

    :param status: ``preview``, ``ga``, ``deprecated`` or ``shut_down`` as the vendor announced it
        ("" when the plugin does not know, e.g. a model id it accepts without a table entry)
    :param deprecated_on: ISO date the vendor deprecated it (announced the shutdown)
    :param shut_down_on: ISO date it stops (or stopped) answering; from that day on the model is
        shut down whatever ``status`` says, and before it a model with a date is deprecated
    :param replacement: the model id the vendor names instead (same provider)
    :param source: where the facts were read (SDK file, vendor page)
    :param checked: ISO date they were read

    ``validate`` refuses a shut-down model (naming the replacement) and warns on a deprecated one.
    """

    status: str = ""
    deprecated_on: str = ""
    shut_down_on: str = ""
    replacement: str = ""
    source: str = ""
    checked: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES + ("",):
            raise ValueError(f"lifecycle status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        for name in ("deprecated_on", "shut_down_on", "checked"):
            value = getattr(self, name)
            if value:
                _dt.date.fromisoformat(value)  # raises for a malformed date

    def status_on(self, day: _dt.date | None = None) -> str:
        """The status on *day* (default today): ``unknown`` when undeclared."""
        day = day or _dt.date.today()
        if self.status == "shut_down" or (self.shut_down_on and day >= _dt.date.fromisoformat(self.shut_down_on)):
            return "shut_down"
        if self.status == "deprecated" or self.shut_down_on or (
                self.deprecated_on and day >= _dt.date.fromisoformat(self.deprecated_on)):
            return "deprecated"
        return self.status or "unknown"

    def usable_on(self, day: _dt.date | None = None) -> bool:
        """False once the model is shut down."""
        return self.status_on(day) != "shut_down"

    def describe(self, day: _dt.date | None = None, *, sources: bool = True) -> str:
        """e.g. ``shut down on 2026-10-23 (use gpt-image-1.5; source: openai SDK ..., checked 2026-12-04)``."""
        state = self.status_on(day)
        words = {"shut_down": "shut down", "deprecated": "deprecated", "ga": "GA", "preview": "preview",
                 "unknown": "status unknown"}[state]
        if state == "shut_down" and self.shut_down_on:
            words += f" on {self.shut_down_on}"
        elif state == "deprecated" and self.shut_down_on:
            words += f", shuts down on {self.shut_down_on}"
        extra = [f"use {self.replacement}"] if self.replacement and state in ("shut_down", "deprecated") else []
        if self.source and sources:
            extra.append(f"source: {self.source}" + (f", checked {self.checked}" if self.checked else ""))
        return words + (f" ({'; '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class ModelInfo:
    """One model a provider offers: which jobs it does, its limits, price and lifecycle."""

    name: str
    jobs: frozenset[Job]
    limits: Limits = Limits()
    price: Price = Price()
    version: str = "1"
    description: str = ""
    lifecycle: Lifecycle = Lifecycle()

    @property
    def status(self) -> str:
        """The lifecycle status today (``preview``, ``ga``, ``deprecated``, ``shut_down`` or ``unknown``)."""
        return self.lifecycle.status_on()


@dataclass(frozen=True)
class Option:
    """One provider option a board may set (``providers.ROLE.options.NAME``).

    :param type: ``str``, ``int``, ``float``, ``bool``, ``dict`` or ``list`` (ints pass as floats)
    :param identity: True when the option changes what is made (part of node keys); False for
        call-only options (timeouts, poll intervals), which never re-render anything
    :param choices: the values allowed, when only some are
    :param pattern: a regular expression a string value must match whole (e.g. a region name that
        becomes part of a host, so a board cannot turn it into another host)
    """

    name: str
    type: type
    default: Any = None
    description: str = ""
    identity: bool = True
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None

    def problem(self, value: Any) -> str | None:
        """Why *value* is not acceptable, or None."""
        want = self.type
        ok = isinstance(value, want) and not (want in (int, float) and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            return f"must be {_TYPE_WORDS.get(want, want.__name__)}, not {type(value).__name__} {value!r}"[:200]
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}, not {value!r}"[:200]
        if want in (int, float) and value < 0:
            return f"must not be negative ({value!r})"
        if self.pattern is not None and isinstance(value, str) and not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}, not {value!r}"[:200]
        return None


_TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               dict: "a mapping", list: "a list"}

#: call-only options every hosted provider shares (never part of a key)
CALL_OPTIONS = (
    Option("timeout", float, None, "seconds to wait for the vendor's job before cancelling it", identity=False),
    Option("poll_interval", float, None, "seconds between status polls", identity=False),
)


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


#: jobs whose ``per_second`` price is times the seconds made (a speech's seconds are estimated from its text)
TIMED_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO, Job.SPEECH, Job.MUSIC, Job.SOUND})

#: words per second of ordinary narration at speed 1 (about 150 words a minute), for estimates
SPEECH_WORDS_PER_SECOND = 2.5


@dataclass
class Result:
    """What a provider returns: the artifact's path, and what it learnt about the job.

    :param cost_usd: the cost the vendor reported (None when it reports none).
    :param info: extra facts for the manifest (vendor job id, resolved model version...).
    """

    path: Path
    cost_usd: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


class RunContext:
    """Given to every provider call.

    :param output_path: where to write the artifact (its suffix says the expected type).
    :param log: a callable for progress notes (shown by the reporter, never printed directly).
    :param cancelled: returns True once the build is being stopped; long polls should check it.
    :param call: call-only options (timeouts, poll intervals; never part of the node's key).
    :param journal: where the vendor's job id is recorded (see :class:`JobJournal`); None when
        the executor has no store at hand (then a retry cannot resume).
    :param charge: reserves one submission's estimated cost against the build's budget; the
        hosted-job kit calls it before submitting again after a recorded job was lost.
    """

    def __init__(
        self,
        output_path: Path,
        *,
        log: Callable[[str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        work_dir: Path | None = None,
        call: Mapping[str, Any] | None = None,
        journal: "JobJournal | None" = None,
        charge: Callable[[], None] | None = None,
    ) -> None:
        self.output_path = Path(output_path)
        self.work_dir = Path(work_dir) if work_dir else self.output_path.parent
        self._log = log or (lambda message: None)
        self._cancelled = cancelled or (lambda: False)
        self.call: Mapping[str, Any] = dict(call or {})
        self.journal = journal
        self._charge = charge or (lambda: None)

    def charge(self) -> None:
        self._charge()

    def log(self, message: str) -> None:
        self._log(message)

    def cancelled(self) -> bool:
        return self._cancelled()

    def write(self, data: bytes) -> Path:
        """Write *data* to :attr:`output_path` and return it."""
        self.output_path.write_bytes(data)
        return self.output_path


class JobJournal:
    """Where a node's vendor job is recorded while it runs (the store keeps it per node key).

    ``get()`` returns the recorded ``{"provider", "job_id", ...}`` or None; ``record(job_id, **facts)``
    is called right after the vendor accepted a job; ``clear()`` once the job is known to be
    useless (failed, cancelled, expired). The runner clears it after the artifact is stored.
    """

    def __init__(self, get: Callable[[], Any], record: Callable[[dict], None], clear: Callable[[], None]) -> None:
        self._get, self._record, self._clear = get, record, clear

    def get(self) -> dict | None:
        value = self._get()
        return dict(value) if value else None

    def record(self, job_id: str, **facts: Any) -> None:
        self._record({"job_id": str(job_id), **facts})

    def clear(self) -> None:
        self._clear()


class Provider:
    """Base class for providers. Subclass, fill in the class attributes, implement your jobs.

    :cvar name: the name boards use (``providers.video: NAME/MODEL``).
    :cvar version: part of every node key; bump only when outputs change for the same request.
    :cvar key_env: environment variables that may hold the API key, in order of preference.
    :cvar models: the models offered, each with its :class:`Lifecycle` (shut-down ones stay listed so
        ``validate`` can name their replacement); the first GA model that does a job is its default.
    :cvar concurrency: how many calls may run at once (a per-provider limit in the executor).
    :cvar offline: True when the provider needs no key and no network.
    """

    name: str = ""
    version: str = "1"
    description: str = ""
    key_env: tuple[str, ...] = ()
    models: tuple[ModelInfo, ...] = ()
    concurrency: int = 4
    offline: bool = False
    #: the optional request fields this provider reads (see ``graph.spec.OPTIONAL_FIELDS``): the
    #: others arrive empty and are not part of its nodes' keys, so editing them re-renders nothing
    reads: frozenset[str] = frozenset({"camera", "negative_prompt", "seed", "references", "fps"})
    #: the options a board may set, as :class:`Option` (``storyrender providers --options``);
    #: ``validate`` refuses others. ``None`` (third-party providers written before option schemas)
    #: accepts any option as identity, except the names in :data:`LEGACY_CALL_OPTIONS`.
    options_schema: tuple[Option, ...] | None = None
    #: file suffix of each job's artifact
    suffixes: Mapping[Job, str] = {
        Job.TEXT_TO_IMAGE: ".png",
        Job.NEXT_KEYFRAME: ".png",
        Job.FIRST_LAST_VIDEO: ".mp4",
        Job.FIRST_FRAME_VIDEO: ".mp4",
        Job.SPEECH: ".wav",
        Job.WRITE_STORY: ".json",
        Job.MUSIC: ".wav",
        Job.SOUND: ".wav",
    }

    # -- description -------------------------------------------------------------------------
    def load(self) -> None:
        """Import the vendor SDK. Called once per build from the main thread before any job runs,
        so worker threads never race on a first import. Default: nothing to load."""

    def option(self, name: str) -> Option | None:
        for opt in self.options_schema or ():
            if opt.name == name:
                return opt
        return None

    def reads_for(self, job: Job, model: "ModelInfo | None" = None) -> frozenset[str]:
        """The optional request fields read for *job* on *model* (default: :attr:`reads`). Override
        it when models differ (one takes a seed, another does not): a field a model ignores then
        stays out of its nodes' keys."""
        return frozenset(self.reads)

    def is_identity_option(self, name: str) -> bool:
        """True when option *name* is part of node keys."""
        if self.options_schema is None:
            return name not in LEGACY_CALL_OPTIONS
        opt = self.option(name)
        return bool(opt and opt.identity)

    @property
    def jobs(self) -> frozenset[Job]:
        out: set[Job] = set()
        for m in self.models:
            out |= m.jobs
        return frozenset(out)

    def model_info(self, model: str) -> ModelInfo | None:
        for m in self.models:
            if m.name == model:
                return m
        return None

    def default_model(self, job: Job) -> str | None:
        """The first GA model that does *job*; else the first preview or undeclared one (never a
        deprecated or shut-down model)."""
        able = [m for m in self.models if job in m.jobs]
        for wanted in (("ga",), ("preview", "unknown")):
            for m in able:
                if m.status in wanted:
                    return m.name
        return None

    def resolve_model(self, model: str) -> ModelInfo:
        """The :class:`ModelInfo` for *model*; providers that accept any model override this."""
        info = self.model_info(model)
        if info is None:
            raise KeyError(model)
        return info

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        """Problems with asking *model* for *job* with these settings, as sentences that say what
        would work. Called at validation time, before anything is spent. Default: limits only."""
        problems = []
        lim = model.limits
        if seconds is not None and lim.durations is not None and Job(job).is_video:
            if not any(abs(seconds - d) < 1e-6 for d in lim.durations):
                allowed = ", ".join(f"{d:g}" for d in lim.durations)
                problems.append(
                    f"{self.name}/{model.name} makes clips of {allowed} s, not {seconds:g} s: "
                    f"set the beat's seconds to one of those or a sum of them "
                    f"(a longer beat is made of several clips)"
                )
        if lim.aspect_ratios is not None:
            ratio = _aspect(width, height)
            if ratio not in lim.aspect_ratios:
                problems.append(
                    f"{self.name}/{model.name} supports aspect ratios {', '.join(lim.aspect_ratios)}, "
                    f"not {width}x{height} ({ratio})"
                )
        if lim.max_size is not None and (width > lim.max_size[0] or height > lim.max_size[1]):
            problems.append(
                f"{self.name}/{model.name} makes at most {lim.max_size[0]}x{lim.max_size[1]}"
            )
        return problems

    def speech_seconds(self, text: str, options: Mapping[str, Any] | None = None) -> float:
        """About how long saying *text* takes (for ``plan``'s "longer than its beat" warning and
        per-second prices), before anything is spoken: words at ordinary narration pace, divided
        by a ``speed`` option when the provider has one. Override for a better guess."""
        words = len(text.split()) or (1 if text.strip() else 0)
        speed = (options or {}).get("speed") or 1.0
        try:
            speed = float(speed) if float(speed) > 0 else 1.0
        except (TypeError, ValueError):
            speed = 1.0
        return words / SPEECH_WORDS_PER_SECOND / speed

    def ask_vendor(self, models: "list[str]") -> "dict[str, dict[str, Any]] | None":
        """Ask the vendor what it serves, for ``storyrender providers --check`` (never called by a
        build). Returns, for each of *models* (ids as boards write them), a mapping with
        ``served`` (bool: False when the vendor does not list it or answers 404), and when the
        vendor publishes them ``shut_down_on`` (ISO date) and ``price`` (a :class:`Price`).
        ``None``: the vendor offers no model listing. Errors propagate (the command reports them).
        """
        return None

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """The list price of *model* asked with these board options (a 1080p or with-audio clip has
        its own price); ``plan``, ``--budget`` and recorded costs use it. Override it when options
        change the price. Default: ``model.price``."""
        return model.price

    def makes_audio(self, model: ModelInfo, options: Mapping[str, Any]) -> bool | None:
        """Whether *model*'s clips carry sound with these options (a beat's ``audio: keep`` mixes it):
        False when they are silent, True when they have sound, None (default) when not known.
        ``validate`` warns about ``audio: keep`` on a model that makes silent clips."""
        return None

    def voice_problem(self, model: ModelInfo, name: str) -> str | None:
        """Why *model* cannot speak with the board's ``audio.voice.name`` *name*: a sentence naming the voices
        that exist, or None when it can. Called at validation time for speech jobs. Default: any name goes."""
        return None

    def estimate(self, job: Job, model: ModelInfo, *, seconds: float | None = None) -> float:
        """Estimated cost in USD of one call (0 for free providers)."""
        return model.price.estimate(seconds if job in TIMED_JOBS else None)

    def api_key(self) -> str:
        """The API key from the first set variable in :attr:`key_env`.

        :raises MissingKeyError: naming the variable(s) to set.
        """
        for var in self.key_env:
            value = os.environ.get(var)
            if value:
                return value
        raise MissingKeyError(
            f"provider {self.name!r} needs an API key: set {' or '.join(self.key_env)} "
            f"(or build with --offline to render with the local provider)"
        )

    def has_key(self) -> bool:
        return not self.key_env or any(os.environ.get(v) for v in self.key_env)

    # -- jobs --------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def speech(self, request: SpeechRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def write_story(self, request: StoryRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def music(self, request: AudioRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def sound(self, request: AudioRequest, ctx: RunContext) -> Result:
        raise NotImplementedError

    def run(self, job: Job, request: Any, ctx: RunContext) -> Result:
        """Dispatch *request* to the method for *job*."""
        if job is Job.TEXT_TO_IMAGE:
            return self.text_to_image(request, ctx)
        if job is Job.NEXT_KEYFRAME:
            return self.next_keyframe(request, ctx)
        if Job(job).is_video:
            return self.video(request, ctx)
        if job is Job.SPEECH:
            return self.speech(request, ctx)
        if job is Job.WRITE_STORY:
            return self.write_story(request, ctx)
        if job is Job.MUSIC:
            return self.music(request, ctx)
        if job is Job.SOUND:
            return self.sound(request, ctx)
        raise ValueError(f"unknown job {job!r}")


#: call-only option names for providers without an :attr:`Provider.options_schema`
LEGACY_CALL_OPTIONS = frozenset({
    "base_url", "timeout", "request_timeout", "http_timeout", "read_timeout", "poll_interval", "poll_retries", "max_retries",
    "wait", "file_encoding", "upload", "concurrency",
})


def _aspect(width: int, height: int) -> str:
    from math import gcd

    g = gcd(width, height) or 1
    w, h = width // g, height // g
    # Snap near-standard ratios (e.g. 1280x720 -> 16:9, 1366x768 ~ 16:9 is left as is).
    return f"{w}:{h}"


def replace(request: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for requests (re-exported for plugin authors)."""
    return dataclasses.replace(request, **changes)
