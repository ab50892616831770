"""Registers the ``local`` provider: deterministic, offline, key-free previz.

It draws legible animatic keyframes (the beat's text, a composition and palette derived from
the prompt and seed, the beat number and time code, the subjects it names as labelled silhouettes),
makes each next keyframe as a visible camera-like change of the previous one (honouring ``camera:``
hints such as push-in, pan-left) blended with its own prompt's panel drawn fresh (no resampled copy
of a resampled copy),
renders segments by dense optical-flow interpolation between the two keyframes (so a segment's
first and last frames are its keyframes), speaks with espeak-ng when it is installed, synthesises
a chord bed for a music prompt and placeholder sound effects (:mod:`.music`).
Everything it makes is labelled PREVIZ: it is an animatic, not AI imagery.
"""

from __future__ import annotations

from ...hooks import hookimpl
from ..base import (
    AudioRequest,
    ImageRequest,
    Job,
    KeyframeRequest,
    Lifecycle,
    ModelInfo,
    Provider,
    Result,
    RunContext,
    SpeechRequest,
    StoryRequest,
    VideoRequest,
)

__all__ = ["LocalProvider", "register_providers", "BUILT_IN"]

#: the lifecycle of a model that ships with storyrender (it lives as long as this version)
BUILT_IN = Lifecycle(status="ga", source="built into storyrender")


class LocalProvider(Provider):
    """Offline animatic provider (see module docstring)."""

    name = "local"
    version = "1"
    description = "offline animatic (previz, not AI imagery): no key, no network, deterministic"
    offline = True
    concurrency = 2
    #: keyframes and segments carry the beat number and time code (``hints``), so those are in
    #: local node keys; there is no negative prompt and no reference image in a panel
    reads = frozenset({"camera", "seed", "fps", "hints"})
    options_schema = ()
    models = (
        ModelInfo(
            name="animatic",
            jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
            description="previz keyframes and optical-flow interpolated segments",
            lifecycle=BUILT_IN,
        ),
        ModelInfo(name="espeak", jobs=frozenset({Job.SPEECH}), description="espeak-ng speech, silence without it",
                  lifecycle=BUILT_IN),
        ModelInfo(name="template", jobs=frozenset({Job.WRITE_STORY}),
                  description="storyrender new offline: the premise in a fixed progression (a template, not a story)",
                  lifecycle=BUILT_IN),
        ModelInfo(name="chords", jobs=frozenset({Job.MUSIC}), lifecycle=BUILT_IN,
                  description="a synthesised pad of chords following the prompt's mood words and the video's length"),
        ModelInfo(name="placeholder", jobs=frozenset({Job.SOUND}), lifecycle=BUILT_IN,
                  description="a placeholder effect (thud, chime or whoosh, by the prompt's words)"),
    )

    def __init__(self) -> None:
        import dataclasses
        import os
        import shutil

        self.concurrency = max(1, os.cpu_count() or 1)
        # Speech made without espeak-ng is silence: a different output, so a different model
        # version (and node key). Installing espeak-ng later then renders the voice-over.
        speech_version = "espeak-ng" if shutil.which("espeak-ng") else "silent"
        self.models = tuple(dataclasses.replace(m, version=speech_version) if m.name == "espeak" else m
                            for m in type(self).models)

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # keyframe 0 is drawn, not moved: the camera hint shapes only later keyframes and segments
        if job in (Job.MUSIC, Job.SOUND):
            return frozenset({"seed"})
        return self.reads - {"camera"} if job in (Job.TEXT_TO_IMAGE, Job.SPEECH) else self.reads

    def makes_audio(self, model: ModelInfo, options) -> bool | None:
        return False  # the animatic is silent

    def speech_seconds(self, text, options=None) -> float:
        # espeak-ng speaks 175 words a minute by default
        return len(text.split()) / (175 / 60)

    def voice_problem(self, model: ModelInfo, name: str) -> str | None:
        from .voice import voice_problem

        return voice_problem(name)

    def resolve_model(self, model: str) -> ModelInfo:
        info = self.model_info(model)
        if info is None:
            raise KeyError(model)
        return info

    def write_story(self, request: StoryRequest, ctx: RunContext) -> Result:
        import json

        from .writer import template_story

        ctx.write(json.dumps(template_story(request.premise, len(request.beats)), indent=1).encode())
        return Result(ctx.output_path, cost_usd=0.0, info={"template": True})

    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        from . import draw

        img = draw.draw_keyframe(
            request.prompt, request.seed, request.width, request.height,
            label=str(request.hints.get("label", "")), timecode=str(request.hints.get("timecode", "")),
        )
        draw.save_png(img, ctx.output_path)
        return Result(ctx.output_path, cost_usd=0.0)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        from . import draw

        prev = draw.load_png(request.previous, request.width, request.height)
        img = draw.next_keyframe(
            prev, request.prompt, request.seed,
            camera=request.camera or None, seconds=request.seconds,
            label=str(request.hints.get("label", "")), timecode=str(request.hints.get("timecode", "")),
        )
        draw.save_png(img, ctx.output_path)
        return Result(ctx.output_path, cost_usd=0.0)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        from ...media.ffmpeg import encode_frames
        from . import draw, motion

        first = draw.load_png(request.first, request.width, request.height)
        n = max(1, round(request.seconds * request.fps))
        if request.last is not None:
            last = draw.load_png(request.last, request.width, request.height)
            frames = motion.interpolate(first, last, n)
        else:
            frames = motion.extend(first, n, request.prompt, request.seed, camera=request.camera or None)
        count = encode_frames(frames, ctx.output_path, fps=request.fps, width=request.width, height=request.height)
        return Result(ctx.output_path, cost_usd=0.0, info={"frames": count})

    def speech(self, request: SpeechRequest, ctx: RunContext) -> Result:
        from . import voice

        info = voice.speak(request.text, ctx.output_path, voice=request.voice or None)
        if info.get("silent"):
            ctx.log(info["warning"])
        return Result(ctx.output_path, cost_usd=0.0, info=info)

    def music(self, request: AudioRequest, ctx: RunContext) -> Result:
        from . import music

        info = music.compose(request.prompt, request.seconds or 30.0, request.seed, ctx.output_path)
        return Result(ctx.output_path, cost_usd=0.0, info=info)

    def sound(self, request: AudioRequest, ctx: RunContext) -> Result:
        from . import music

        info = music.effect(request.prompt, request.seconds, request.seed, ctx.output_path)
        return Result(ctx.output_path, cost_usd=0.0, info=info)


@hookimpl
def register_providers(register):
    register(LocalProvider())
