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

The contract's types live beside this module (:mod:`.models`, :mod:`.options`, :mod:`.requests`,
:mod:`.context`) and are re-exported here.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..errors import MissingKeyError
from ..vocabulary import Job
from .context import JobJournal, Result, RunContext
from .models import STATUSES, TIMED_JOBS, Limits, Lifecycle, ModelInfo, Price
from .options import CALL_OPTIONS, LEGACY_CALL_OPTIONS, Option
from .requests import AudioRequest, ImageRequest, KeyframeRequest, SpeechRequest, StoryRequest, VideoRequest

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
    "JobJournal",
    "Provider",
    "Option",
    "CALL_OPTIONS",
    "TIMED_JOBS",
]


#: words per second of ordinary narration at speed 1 (about 150 words a minute), for estimates
SPEECH_WORDS_PER_SECOND = 2.5


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

    def warnings(self, job: Job, model: ModelInfo, options: Mapping[str, Any]) -> list[str]:
        """What a user should know before *model* does *job* with these options, though it may work
        (a credential it cannot judge, ...): sentences that ``validate``, ``plan`` and ``build`` show
        as warnings. Called at validation time; default none."""
        return []

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



def _aspect(width: int, height: int) -> str:
    from math import gcd

    g = gcd(width, height) or 1
    w, h = width // g, height // g
    # Snap near-standard ratios (e.g. 1280x720 -> 16:9, 1366x768 ~ 16:9 is left as is).
    return f"{w}:{h}"

