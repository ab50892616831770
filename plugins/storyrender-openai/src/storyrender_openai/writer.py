"""The ``write-story`` job (``storyrender new --writer openai``): a GPT text model writes the beats.

Request: ``client.chat.completions.create`` (``POST /v1/chat/completions``) with a system message,
the request's instructions as the user message, and ``response_format={"type": "json_schema",
"json_schema": {"name": "storyboard", "schema": request.schema, "strict": True}}`` (Structured
Outputs: the installed SDK, openai 3.60, ``types/shared_params/response_format_json_schema.py``),
so the model's answer is constrained to the storyboard-derived schema. The answer is
``choices[0].message.content`` (a JSON string); ``message.refusal`` set means the model refused
(``RefusedError``), ``finish_reason == "length"`` means it was cut short (``ProviderError``), and a
content that is not JSON fails the node (nothing is cached; storyrender then checks the shape).

Cost: from ``usage.prompt_tokens`` and ``usage.completion_tokens`` (reasoning tokens are billed
as completion tokens) at :data:`TEXT_PRICES`. Errors and the submission rule are the image jobs'
(:func:`storyrender_openai.calls.translate_error`); SDK retries are off (``_client``).
"""

from __future__ import annotations

from typing import Any

from storyrender.provider_api import Job, Lifecycle, ModelInfo, ProviderError, RefusedError, Result, RunContext, StoryRequest, kit

__all__ = ["TEXT_PRICES", "writer_models", "write_story", "cost_of"]

#: USD per 1M tokens (input, output). gpt-5.4-mini: $0.75 / $4.50, from OpenAI's pricing page
#: (https://developers.openai.com/api/docs/pricing, as transcribed 2026-11-06 by the api-evangelist
#: "OpenAI API pricing" post; the same figures in adk-model's openai/pricing.rs, March 2026). The model
#: id is in the installed SDK's ``types/shared/chat_model.py`` (openai 3.60).
TEXT_PRICES: dict[str, Any] = {"as_of": "2026-11-06", "models": {"gpt-5.4-mini": (0.75, 4.50)}}

#: listed by the installed SDK (no shutdown notice there); the pricing page above lists it too
LIFECYCLE = Lifecycle(status="ga", source="openai 3.60 types/shared/chat_model.py; developers.openai.com/api/docs/pricing",
                      checked="2026-12-04")

def writer_models() -> tuple[ModelInfo, ...]:
    return tuple(ModelInfo(name=m, jobs=frozenset({Job.WRITE_STORY}), lifecycle=LIFECYCLE,
                           price=kit.token_price(TEXT_PRICES["models"].get(m), TEXT_PRICES["as_of"]),
                           description="writes storyboards (storyrender new), structured output")
                 for m in TEXT_PRICES["models"])


def cost_of(model: str, usage: Any) -> float | None:
    rates = TEXT_PRICES["models"].get(model)
    if not rates or usage is None:
        return None
    prompt, completion = getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return kit.token_cost(rates, prompt, completion)


def write_story(provider, request: StoryRequest, ctx: RunContext) -> Result:
    """Ask *request.model* for the story (see the module docstring) and write its JSON answer."""
    who = f"openai/{request.model}"
    kwargs: dict[str, Any] = {
        "model": request.model,
        "messages": [{"role": "system", "content": request.system},
                     {"role": "user", "content": request.instructions}],
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "storyboard", "schema": dict(request.schema), "strict": True}},
    }
    with provider._client(ctx) as client:
        ctx.log(f"{who}: writing {len(request.beats)} beats")
        response = provider._call(client.chat.completions.create, kwargs, who=who, ctx=ctx, made="story")
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise ProviderError(f"{who} answered without a choice")
    choice = choices[0]
    message = getattr(choice, "message", None)
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise RefusedError(f"{who} refused to write this story: {str(refusal)[:300]}")
    if getattr(choice, "finish_reason", None) == "length":
        raise ProviderError(f"{who}: the answer was cut short (finish_reason length); try fewer beats")
    ctx.write(kit.story_json(getattr(message, "content", None), who))
    usage = getattr(response, "usage", None)
    info: dict[str, Any] = {"model": getattr(response, "model", request.model),
                            "usage": usage.model_dump(exclude_none=True) if hasattr(usage, "model_dump") else None,
                            "price_as_of": TEXT_PRICES["as_of"]}
    request_id = getattr(response, "_request_id", None)
    if isinstance(request_id, str) and request_id:
        info["request_id"] = request_id
    return Result(ctx.output_path, cost_usd=cost_of(request.model, usage), info=info)
