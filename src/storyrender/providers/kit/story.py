"""Text models (the write-story job): token prices and the answer checked as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ProviderError

if TYPE_CHECKING:  # pragma: no cover
    from ..models import Price

#: tokens one story takes, for the estimate before the call: ~1.5k in (instructions and schema), up
#: to ~3k out (the JSON and a model's reasoning); the cost recorded is the answer's reported usage
STORY_TOKENS = (1500, 3000)


def token_cost(rates: tuple[float, float], tokens_in: int, tokens_out: int) -> float:
    """USD for *tokens_in* input and *tokens_out* output tokens at *rates* (USD per 1M tokens each)."""
    return round((tokens_in * rates[0] + tokens_out * rates[1]) / 1e6, 6)


def token_price(rates: tuple[float, float] | None, as_of: str) -> "Price":
    """A text model's per-call estimate for one story (:data:`STORY_TOKENS`); unknown without *rates*."""
    from ..models import Price

    return Price(per_call=token_cost(rates, *STORY_TOKENS), as_of=as_of) if rates else Price()


def story_json(text: Any, who: str) -> bytes:
    """A writer's answer as UTF-8 bytes, once it is known to be JSON (else ``ProviderError``)."""
    import json

    if not isinstance(text, str) or not text.strip():
        raise ProviderError(f"{who} answered with no text")
    try:
        json.loads(text)
    except ValueError:
        raise ProviderError(f"{who} answered with text that is not JSON: {text[:120]!r}") from None
    return text.encode("utf-8")
