"""The ``openai`` provider: keyframes from OpenAI's GPT image models, and speech.

Jobs:

* ``text-to-image``: ``client.images.generate`` (``POST /v1/images/generations``) draws keyframe 0;
* ``next-keyframe``: ``client.images.edit`` (``POST /v1/images/edits``, multipart) gets the previous
  keyframe as its first image, then the reference images of the characters named in the beat, with
  ``input_fidelity="high"`` on the models that take it, and the instruction "the same scene, N
  seconds later: ...";
* ``write-story`` (``storyrender new``): ``client.chat.completions.create`` with a JSON-schema
  ``response_format`` (Structured Outputs) on a GPT text model; see :mod:`storyrender_openai.writer`;
* ``speech``: ``client.audio.speech.create`` (``POST /v1/audio/speech``) says a beat's ``say:``
  line in ``audio.voice.name`` (see :mod:`storyrender_openai.speech`).

GPT image models always answer with base64 (``data[0].b64_json``). The decoded image is checked
with Pillow, fitted to the board's size (cover: scale, then centre-crop) and written as a PNG to
``ctx.output_path`` through a temporary file, so a bad answer never leaves a file behind.

What the request reads (``Provider.reads``)
    ``camera`` and ``negative_prompt`` for both jobs, ``references`` for next keyframes only. Both
    are composed into the prompt text with ``kit.compose_prompt`` (``" Camera: X."``, then
    ``" Avoid: Y."``: GPT image models have no negative-prompt parameter). GPT image models take no
    seed, so ``seed`` is not read: a new take is still a new request (``request.take`` is part of
    the node's key) but the vendor receives the same parameters, and the new image differs only
    because the model is not deterministic. ``fps`` and ``hints`` are not read.

Options (``{use: openai/MODEL, options: {...}}``)

==================  ========  ===========================================================
option              kind      meaning
==================  ========  ===========================================================
``quality``         identity  ``low``, ``medium`` (default), ``high`` or ``auto`` (priced as high)
``size``            identity  the vendor size to ask for (e.g. ``1536x1024``); default: from the
                              board's size
``input_fidelity``  identity  ``high`` or ``low`` for next keyframes; default high where the
                              model takes it
``moderation``      identity  ``low`` or ``auto``, text-to-image only (the vendor's default unset)
``timeout``         call      seconds to wait for the answer to one request (default: the SDK's,
                              600 s); a slower answer is *not* retried, see below
==================  ========  ===========================================================

Identity options are part of each node's key; call options never re-render anything. There is no
``base_url`` option: a storyboard never chooses where the key goes. The SDK reads its host from
``OPENAI_BASE_URL`` (openai 3.60 ``lib/_client_auth.py``, checked 2026-12-04), else OpenAI's.

Submissions: there is no hosted job. Image generation and edits are synchronous; what is retried
after a failed call, and what is not, is in :mod:`storyrender_openai.calls`. Models, sizes, list
prices and options are in :mod:`storyrender_openai.catalogue`.

The SDK is imported in :meth:`OpenAIProvider.load` (once, before workers start) and inside the
methods that use it, never when this module is imported.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

from storyrender.provider_api import (
    ImageRequest,
    Job,
    KeyframeRequest,
    ModelInfo,
    Price,
    Provider,
    ProviderError,
    Result,
    RunContext,
    SpeechRequest,
    kit,
)

from .calls import translate_error
from .catalogue import (
    DEFAULT_QUALITY,
    HIGH_FIDELITY,
    MODELS,
    OPTIONS,
    PRICES,
    QUALITIES,
    image_model,
    is_flexible,
    parse_size,
    price_per_image,
    vendor_size,
)
from .speech import speech_problems
from .writer import write_story

__all__ = ["OpenAIProvider", "keyframe_instruction"]


class OpenAIProvider(Provider):
    """OpenAI GPT image models: keyframe 0 (generate) and each next keyframe (edit)."""

    name = "openai"
    version = "1"
    description = "OpenAI GPT image models (gpt-image-*): first keyframe and next keyframes; speech (tts)"
    key_env = ("OPENAI_API_KEY",)
    concurrency = 4
    #: no seed (GPT image models take none), no fps, no hints; references for next keyframes only
    reads = frozenset({"camera", "negative_prompt", "references"})
    options_schema = OPTIONS
    models = MODELS

    # -- description -------------------------------------------------------------------------
    def load(self) -> None:
        import openai  # noqa: F401
        import openai.resources.chat  # noqa: F401
        import openai.resources.images  # noqa: F401
        from openai import OpenAI  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # keyframe 0 is drawn from text alone: character reference images go to next keyframes
        if job is Job.SPEECH:
            return frozenset()  # text, voice and options only
        return self.reads - {"references"} if job is Job.TEXT_TO_IMAGE else self.reads

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """``GET /v1/models`` (``client.models.list()``): the ids the key may use, each with its
        ``shutdown_date`` when one is announced (openai SDK ``types/model.py``)."""
        import openai

        client = openai.OpenAI(api_key=self.api_key(), max_retries=0)
        listed = {m.id: getattr(m, "shutdown_date", None) for m in client.models.list()}
        return {name: {"served": name in listed, "shut_down_on": str(listed.get(name) or "")[:10]}
                for name in models}

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """By ``quality`` (and ``size`` when the board sets one; else the 1536x1024 of a landscape board)."""
        options = options or {}
        quality = str(options.get("quality", DEFAULT_QUALITY))
        size = str(options.get("size") or "1536x1024")
        return Price(per_image=price_per_image(model.name, quality, size), as_of=PRICES["as_of"])

    def resolve_model(self, model: str) -> ModelInfo:
        """Known models, plus any other ``gpt-image-*`` name (newer snapshots), priced as unknown."""
        info = self.model_info(model)
        if info is not None:
            return info
        if model.startswith("gpt-image-"):
            return image_model(model, "GPT image model (not in this plugin's table: no price known)")
        raise KeyError(model)

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        if job is Job.SPEECH:
            return speech_problems(model, options)
        problems = super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        quality = options.get("quality", DEFAULT_QUALITY)
        if quality not in QUALITIES:
            problems.append(
                f"openai/{model.name}: quality must be one of {', '.join(QUALITIES)}, not {quality!r}"
            )
        size = vendor_size(model.name, width, height, options)
        dims = parse_size(size)
        if dims is None:
            problems.append(f"openai/{model.name}: size must be WIDTHxHEIGHT (e.g. 1536x1024), not {size!r}")
        elif is_flexible(model.name):
            w, h = dims
            if w % 16 or h % 16:
                problems.append(f"openai/{model.name}: size {size} must be in multiples of 16")
            if max(w, h) > 3 * min(w, h):
                problems.append(
                    f"openai/{model.name} takes aspect ratios between 1:3 and 3:1, not {width}x{height}: "
                    f"use a less extreme output.size"
                )
        fidelity = options.get("input_fidelity")
        if fidelity is not None and fidelity not in ("high", "low"):
            problems.append(f"openai/{model.name}: input_fidelity must be high or low, not {fidelity!r}")
        return problems

    # -- jobs --------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        options = dict(request.options)
        size = vendor_size(request.model, request.width, request.height, options)
        quality = str(options.get("quality", DEFAULT_QUALITY))
        kwargs: dict[str, Any] = {
            "model": request.model,
            "prompt": kit.compose_prompt(request, negative_inline=True),
            "size": size,
            "quality": quality,
            "output_format": "png",
            "n": 1,
        }
        if options.get("moderation"):
            kwargs["moderation"] = str(options["moderation"])
        who = f"openai/{request.model}"
        with self._client(ctx) as client:
            ctx.log(f"{who}: generate {size} ({quality})")
            response = self._call(client.images.generate, kwargs, who=who, ctx=ctx)
        return self._finish(response, request.model, quality, size, request.width, request.height, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        options = dict(request.options)
        size = vendor_size(request.model, request.width, request.height, options)
        quality = str(options.get("quality", DEFAULT_QUALITY))
        images = [("keyframe.png", kit.png_bytes(request.previous), "image/png")]
        for i, ref in enumerate(request.references, start=1):
            images.append((f"reference-{i}.png", kit.png_bytes(ref), "image/png"))
        instruction = keyframe_instruction(request.prompt, request.seconds, references=len(request.references))
        kwargs: dict[str, Any] = {
            "model": request.model,
            "image": images if len(images) > 1 else images[0],
            "prompt": kit.compose_prompt(request, negative_inline=True, prompt=instruction),
            "size": size,
            "quality": quality,
            "output_format": "png",
            "n": 1,
        }
        fidelity = options.get("input_fidelity")
        if fidelity is None and request.model in HIGH_FIDELITY:
            fidelity = "high"
        if fidelity is not None:
            kwargs["input_fidelity"] = str(fidelity)
        who = f"openai/{request.model}"
        with self._client(ctx) as client:
            ctx.log(f"{who}: edit {size} ({quality}, {len(images)} image(s))")
            response = self._call(client.images.edit, kwargs, who=who, ctx=ctx)
        return self._finish(response, request.model, quality, size, request.width, request.height, ctx)

    def write_story(self, request, ctx: RunContext) -> Result:
        return write_story(self, request, ctx)

    def voice_problem(self, model: ModelInfo, name: str) -> str | None:
        from .speech import VOICES

        if not name or name in VOICES or name.startswith("voice_"):
            return None
        return (f"openai/{model.name} has no voice {name!r}: use one of {', '.join(VOICES)}, "
                "or a custom voice id (voice_...)")

    def speech(self, request: SpeechRequest, ctx: RunContext) -> Result:
        from .speech import speak

        return speak(self, request, ctx)

    # -- helpers -----------------------------------------------------------------------------
    def _client(self, ctx: RunContext):
        """An ``openai.OpenAI`` client with the SDK's retries off; its host is the SDK's own
        (``OPENAI_BASE_URL``, else OpenAI's). Raises MissingKeyError before any request."""
        key = self.api_key()
        import openai

        call = ctx.call
        kwargs: dict[str, Any] = {"api_key": key, "max_retries": 0}
        if call.get("timeout") is not None:
            kwargs["timeout"] = float(call["timeout"])
        return openai.OpenAI(**kwargs)

    def _call(self, method, kwargs: dict[str, Any], *, who: str, ctx: RunContext, made: str = "image"):
        """*method*(**kwargs), its errors translated; *made* names what the call makes (for the messages)."""
        import openai

        try:
            return method(**kwargs)
        except openai.OpenAIError as exc:
            raise translate_error(exc, who=who, timeout=ctx.call.get("timeout"), made=made) from None

    def _finish(self, response: Any, model: str, quality: str, size: str, width: int, height: int,
                ctx: RunContext) -> Result:
        who = f"openai/{model}"
        request_id = getattr(response, "_request_id", None)
        data = getattr(response, "data", None)
        b64 = getattr(data[0], "b64_json", None) if data else None
        if not isinstance(b64, str) or not b64:
            raise ProviderError(f"{who} answered without an image (no data[0].b64_json)")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(f"{who} answered with an image that is not valid base64") from None
        native = kit.save_png_fitted(raw, ctx.output_path, width, height, who=who)["native_size"]
        usage = getattr(response, "usage", None)
        info: dict[str, Any] = {
            "model": model,
            "size": size,
            "quality": quality,
            "vendor_image_size": native,
            "usage": usage.model_dump(exclude_none=True) if hasattr(usage, "model_dump") else None,
            "price_as_of": PRICES["as_of"],
        }
        if isinstance(request_id, str) and request_id:
            info["request_id"] = request_id
        return Result(ctx.output_path, cost_usd=price_per_image(model, quality, size), info=info)


def keyframe_instruction(prompt: str, seconds: float, *, references: int = 0) -> str:
    """The edit prompt for "the same scene, N seconds later" (before ``kit.compose_prompt`` adds
    the camera hint and the negative prompt)."""
    text = (
        f"The same scene, {seconds:g} seconds later: {prompt.strip().rstrip('.')}. "
        "Keep the characters, style, lighting and camera consistent with the first image."
    )
    if references:
        text += " The other images show the characters: keep them looking exactly like that."
    return text

