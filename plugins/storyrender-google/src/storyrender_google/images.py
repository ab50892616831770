"""Gemini image models: one synchronous ``generate_content`` call per keyframe.

The answer carries the image inline; there is no vendor job to record. An answer without an image
is a refusal when the vendor gives a blocking reason, else a ``ProviderError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storyrender.provider_api import (
    ImageRequest,
    KeyframeRequest,
    ProviderError,
    RefusedError,
    Result,
    RunContext,
    kit,
)

from .calls import submit
from .catalogue import IMAGE_ASPECTS, PRICES, call_option, image_price

__all__ = ["generate_image", "nearest_aspect", "keyframe_instruction", "REFUSAL_REASONS"]

#: finish reasons (and prompt block reasons) that mean "the vendor would not draw this"
REFUSAL_REASONS = frozenset({
    "SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "MODEL_ARMOR",
})


def nearest_aspect(width: int, height: int, choices: tuple[str, ...] = IMAGE_ASPECTS) -> str:
    """The ratio in *choices* closest to width:height (compared on a log scale)."""
    return kit.nearest_aspect(width, height, choices)


def keyframe_instruction(prompt: str, seconds: float, *, references: int = 0) -> str:
    """The instruction that makes the next keyframe: the same scene, N seconds later (the camera
    hint and negative prompt are appended by ``kit.compose_prompt``)."""
    text = (
        f"The same scene {seconds:g} seconds later: {prompt.strip().rstrip('.')}. "
        "Keep the characters, style, lighting and camera consistent."
    )
    if references:
        text += " The images after the first show the characters: keep them looking exactly like that."
    return text


def generate_image(client: Any, request: ImageRequest | KeyframeRequest, contents: list[Any],
                   references: tuple[Path, ...], ctx: RunContext, *, vertex: bool) -> Result:
    """Ask for one image made from *contents* (text and image files) and *references*, and write
    it to ``ctx.output_path`` fitted to the request's size; *client* is closed afterwards."""
    options = dict(request.options)
    from google.genai import types

    parts: list[Any] = []
    for item in [*contents, *references]:
        if isinstance(item, Path):
            parts.append(types.Part.from_bytes(data=kit.png_bytes(item), mime_type="image/png"))
        else:
            parts.append(item)
    aspect = str(options.get("aspect_ratio") or nearest_aspect(request.width, request.height))
    image_config: dict[str, Any] = {"aspect_ratio": aspect}
    if options.get("image_size"):
        image_config["image_size"] = str(options["image_size"]).upper()
    config = types.GenerateContentConfig(
        response_modalities=["IMAGE"],
        image_config=types.ImageConfig(**image_config),
        seed=request.seed,
    )
    who = f"google/{request.model}"
    ctx.log(f"{who}: generate_content ({aspect}, {len(parts) - 1} image(s) in)")
    try:
        response = submit(lambda: client.models.generate_content(model=request.model, contents=parts, config=config),
                          who, hosted=False, timeout=call_option(ctx, "http_timeout"))
    finally:
        client.close()
    raw, mime = _image_from(response, who)
    native = kit.save_png_fitted(raw, ctx.output_path, request.width, request.height, who=who)["native_size"]
    usage = getattr(response, "usage_metadata", None)
    info = {
        "model": request.model,
        "mode": "vertex" if vertex else "gemini-api",
        "aspect_ratio": aspect,
        "image_size": image_config.get("image_size"),
        "vendor_image_size": native,
        "vendor_mime_type": mime,
        "usage": usage.model_dump(exclude_none=True, mode="json") if hasattr(usage, "model_dump") else None,
        "price_as_of": PRICES["as_of"],
    }
    return Result(ctx.output_path, cost_usd=image_price(request.model, image_config.get("image_size")),
                  info=info)


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _image_from(response: Any, who: str) -> tuple[bytes, str]:
    """The first inline image of a generate_content answer, or the reason there is none."""
    candidates = getattr(response, "candidates", None) or []
    texts: list[str] = []
    for candidate in candidates:
        content = getattr(candidate, "content", None)
        for part in (getattr(content, "parts", None) or []):
            blob = getattr(part, "inline_data", None)
            data = getattr(blob, "data", None)
            mime = getattr(blob, "mime_type", None) or ""
            if data and mime.startswith("image/"):
                return data, mime
            if getattr(part, "text", None):
                texts.append(part.text)
    reasons: list[str] = []
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None) is not None:
        reasons.append(_enum_name(feedback.block_reason) or "")
        if getattr(feedback, "block_reason_message", None):
            texts.insert(0, feedback.block_reason_message)
    for candidate in candidates:
        reason = _enum_name(getattr(candidate, "finish_reason", None))
        if reason and reason != "STOP":
            reasons.append(reason)
        if getattr(candidate, "finish_message", None):
            texts.append(candidate.finish_message)
    said = " ".join(t.strip() for t in texts if t and t.strip())
    said = f": {said[:500]}" if said else ""
    if any(r in REFUSAL_REASONS for r in reasons):
        return _raise(RefusedError(f"{who} made no image ({', '.join(reasons)}){said}"))
    if reasons:
        return _raise(ProviderError(f"{who} made no image ({', '.join(reasons)}){said}"))
    return _raise(ProviderError(f"{who} answered without an image part{said}"))


def _raise(exc: Exception):
    raise exc

