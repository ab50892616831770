"""The plugin API: everything a provider plugin may import from storyrender, in one place.

Import from here (``from storyrender.provider_api import Provider, Job, run_hosted, ...``); the
names below are the public surface for third-party plugins, pinned by
``tests/core/test_provider_api.py``, and kept stable across minor versions. Anything else in
storyrender is internal. See ``docs/plugins.md``.
"""

from __future__ import annotations

from .errors import ArtifactError, MissingKeyError, ProviderError, RefusedError, TransientError
from .graph.spec import OPTIONAL_FIELDS, vendor_seed
from .hooks import hookimpl
from .providers import kit, stainless
from .providers.base import (
    CALL_OPTIONS,
    ImageRequest,
    Job,
    JobJournal,
    Lifecycle,
    KeyframeRequest,
    Limits,
    ModelInfo,
    Option,
    Price,
    Provider,
    Result,
    RunContext,
    SpeechRequest,
    StoryRequest,
    AudioRequest,
    VideoRequest,
)
from .providers.hosted import HostedJob, JobGone, JobStatus, Stopped, SubmitUncertain, run_hosted

__all__ = [
    # the contract
    "Provider", "Job", "ModelInfo", "Lifecycle", "Limits", "Price", "Option", "CALL_OPTIONS", "OPTIONAL_FIELDS",
    "ImageRequest", "KeyframeRequest", "VideoRequest", "SpeechRequest", "StoryRequest", "AudioRequest", "Result", "RunContext", "JobJournal",
    "hookimpl", "vendor_seed",
    # hosted jobs
    "run_hosted", "HostedJob", "JobStatus", "SubmitUncertain", "JobGone", "Stopped",
    # errors
    "ProviderError", "TransientError", "RefusedError", "MissingKeyError", "ArtifactError",
    # media: a file's facts, ffmpeg
    "probe", "run_ffmpeg",
    # the toolkit (images, videos, prompts, downloads, input mappings); Stainless SDKs' submission rule
    "kit", "stainless",
]


def probe(path, *, count_frames: bool = True):
    """The facts of a media file read with PyAV (``width``, ``height``, ``fps``, ``frames``,
    ``duration``, ``has_audio``); raises :class:`ArtifactError` when it is not readable media."""
    from .media.probe import probe as read

    return read(path, count_frames=count_frames)


def run_ffmpeg(args, *, what: str = "ffmpeg", input: bytes | None = None) -> None:
    """Run ffmpeg with *args* (everything after the binary); raises ``StitchError`` on failure."""
    from .media.ffmpeg import run_ffmpeg as run

    run(args, what=what, input=input)
