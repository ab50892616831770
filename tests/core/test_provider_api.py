"""The plugin API's public surface is pinned: adding or removing a name is a deliberate act."""

from __future__ import annotations

import storyrender.provider_api as api

PINNED = {
    "Provider", "Job", "ModelInfo", "Lifecycle", "Limits", "Price", "Option", "CALL_OPTIONS", "OPTIONAL_FIELDS",
    "ImageRequest", "KeyframeRequest", "VideoRequest", "SpeechRequest", "StoryRequest", "AudioRequest", "Result", "RunContext", "JobJournal",
    "hookimpl", "vendor_seed", "run_hosted", "HostedJob", "JobStatus", "SubmitUncertain", "JobGone", "Stopped",
    "ProviderError", "TransientError", "RefusedError", "MissingKeyError", "ArtifactError", "kit", "stainless",
    "probe", "run_ffmpeg",
}


def test_exported_members():
    assert set(api.__all__) == PINNED
    assert len(api.__all__) == len(set(api.__all__))
    for name in api.__all__:
        member = getattr(api, name)
        assert member is not None, name
        if callable(member) and name not in ("kit", "stainless"):
            assert getattr(member, "__doc__", None), f"{name} has no docstring"


def test_every_public_member_is_exported():
    public = {n for n in vars(api) if not n.startswith("_") and n != "annotations"}
    assert public == PINNED
