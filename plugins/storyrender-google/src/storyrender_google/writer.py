"""The ``write-story`` job (``storyrender new --writer google``): a Gemini text model writes the beats.

Request: ``client.models.generate_content`` (``POST .../models/MODEL:generateContent``) with the
request's instructions as the contents and ``GenerateContentConfig(system_instruction=...,
response_mime_type="application/json", response_json_schema=request.schema)`` (google-genai 3.6,
``types.GenerateContentConfig``: ``response_json_schema`` takes a JSON Schema and needs
``response_mime_type``), so the answer is constrained to the storyboard-derived schema. The answer is
``response.text``; a prompt blocked by safety (``prompt_feedback.block_reason``) or a candidate
stopped for safety is a ``RefusedError``, ``finish_reason == MAX_TOKENS`` is a ``ProviderError``
("cut short"), and a text that is not JSON fails the node (nothing is cached; storyrender then
checks the shape).

Cost: ``usage_metadata.prompt_token_count`` at the input rate, ``candidates_token_count`` plus
``thoughts_token_count`` (thinking is billed as output) at the output rate, from
:data:`TEXT_PRICES`. The client, its credentials (Gemini API or Vertex AI, as for images), the
single-attempt HTTP options and the error translation are the image jobs'.
"""

from __future__ import annotations

from typing import Any

from storyrender.provider_api import Job, Lifecycle, ModelInfo, ProviderError, RefusedError, Result, RunContext, StoryRequest, kit

__all__ = ["TEXT_PRICES", "writer_models", "write_story", "cost_of"]

#: USD per 1M tokens (input, output). gemini-3.5-flash: $1.50 in, $9.00 out, from
#: https://ai.google.dev/gemini-api/docs/pricing as transcribed 2026-09-20 (api-evangelist/gemini
#: plans/gemini-plans-pricing.yml). Not gemini-2.5-flash: Google shut it down on 2026-12-01 (Gemini API
#: deprecations page, as read 2026-11-10 by aideprecations.com).
TEXT_PRICES: dict[str, Any] = {"as_of": "2026-09-20", "models": {"gemini-3.5-flash": (1.50, 9.00)}}

#: gemini-3.5-flash: released 2026-05-19, "No shutdown date announced" (ai.google.dev/gemini-api/docs/deprecations)
LIFECYCLE = Lifecycle(status="ga", source="https://ai.google.dev/gemini-api/docs/deprecations", checked="2026-12-04")


def writer_models() -> tuple[ModelInfo, ...]:
    return tuple(ModelInfo(name=m, jobs=frozenset({Job.WRITE_STORY}), lifecycle=LIFECYCLE,
                           price=kit.token_price(TEXT_PRICES["models"].get(m), TEXT_PRICES["as_of"]),
                           description="writes storyboards (storyrender new), JSON-schema output")
                 for m in TEXT_PRICES["models"])


def cost_of(model: str, usage: Any) -> float | None:
    rates = TEXT_PRICES["models"].get(model)
    if not rates or usage is None:
        return None
    prompt = getattr(usage, "prompt_token_count", None)
    out = (getattr(usage, "candidates_token_count", None) or 0) + (getattr(usage, "thoughts_token_count", None) or 0)
    if not isinstance(prompt, int):
        return None
    return kit.token_cost(rates, prompt, out)


def write_story(provider, request: StoryRequest, ctx: RunContext, *, submit, vertex: bool) -> Result:
    """Ask *request.model* for the story (see the module docstring) and write its JSON answer.

    *submit* is the image jobs' ``_submit`` (error translation and the submission rule)."""
    from google.genai import types

    who = f"google/{request.model}"
    config = types.GenerateContentConfig(system_instruction=request.system or None, response_mime_type="application/json",
                                         response_json_schema=dict(request.schema))
    client = provider.client(ctx, vertex=vertex)
    ctx.log(f"{who}: writing {len(request.beats)} beats")
    try:
        response = submit(lambda: client.models.generate_content(model=request.model, contents=request.instructions,
                                                                 config=config))
    finally:
        client.close()
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None):
        raise RefusedError(f"{who} refused the premise ({feedback.block_reason})")
    candidates = getattr(response, "candidates", None) or []
    reason = str(getattr(candidates[0], "finish_reason", "") or "") if candidates else ""
    if "SAFETY" in reason or "PROHIBITED" in reason or "BLOCKLIST" in reason:
        raise RefusedError(f"{who} stopped writing for safety ({reason})")
    if "MAX_TOKENS" in reason:
        raise ProviderError(f"{who}: the answer was cut short (MAX_TOKENS); try fewer beats")
    try:
        text = response.text
    except Exception:  # the SDK raises on answers it cannot read as text
        text = None
    ctx.write(kit.story_json(text, who))
    usage = getattr(response, "usage_metadata", None)
    info = {"model": request.model, "mode": "vertex" if vertex else "gemini-api",
            "usage": usage.model_dump(exclude_none=True, mode="json") if hasattr(usage, "model_dump") else None,
            "price_as_of": TEXT_PRICES["as_of"]}
    return Result(ctx.output_path, cost_usd=cost_of(request.model, usage), info=info)
