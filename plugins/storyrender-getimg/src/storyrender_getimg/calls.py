"""Calls to the getimg v2 API: the client, the submission rule, and reading its answers.

Every request that creates a generation follows the shared rule for Stainless SDKs
(``provider_api.stainless``): ``TransientError`` only when getimg certainly created nothing (the
connection could not be made, or HTTP 408, 409 or 429), ``SubmitUncertain`` (not retried) when the
request was sent and its answer was lost or was HTTP 5xx (getimg documents no 5xx as "not
created"). The generation may then exist and be billed; the error says to check the day's costs
(``GET /v2/billing/costs``, the SDK's ``client.billing.list_costs``, or the developer dashboard at
https://getimg.ai/app/developer) before building again.

No idempotency key protects a repeated POST: the SDK makes one for every non-GET request
(``SyncAPIClient.request``, ``_idempotency_key()``) but sends it only when the client's
``_idempotency_header`` is set, and ``getimg.GetimgAI`` leaves it ``None``
(``BaseClient.__init__``); the API documents no such header. Hence the rule above.

SDK retries are off (``max_retries=0``). The SDK would otherwise repeat timeouts, dropped
connections, 408/409/429 and 5xx, POSTs included, 5 times (``getimg/_constants.py``
``DEFAULT_MAX_RETRIES = 5``; its README says 2), ``_base_client.BaseClient._should_retry``.
storyrender's runner is the only retry layer, so ``max_retries`` and ``poll_retries`` are
no longer options.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from storyrender.provider_api import ProviderError, stainless

__all__ = ["COSTS_HINT", "REFUSAL", "make_client", "vendor", "submit", "completed", "field", "usd", "split_body",
           "plain"]

#: where to look when a generation may have been made but its answer was lost
COSTS_HINT = "GET /v2/billing/costs, or the developer dashboard at https://getimg.ai/app/developer"

#: a content-policy reason in an error's code or message
REFUSAL = re.compile(r"content[\s_-]*polic|nsfw|safety|moderat|flagged|inappropriate|prohibited|violat",
                     re.IGNORECASE)


def make_client(key: str, read_timeout: float):
    """A ``getimg.GetimgAI`` client with the SDK's retries off."""
    import getimg
    import httpx

    # No base_url: the SDK reads GETIMG_AI_BASE_URL itself (a board never chooses the host).
    return getimg.GetimgAI(api_key=key, timeout=httpx.Timeout(read_timeout, connect=min(read_timeout, 10.0)),
                           max_retries=0)


def vendor(who: str) -> stainless.Vendor:
    """What the shared submission rule needs to know about getimg."""
    import getimg

    return stainless.Vendor(getimg, who, "GETIMG_API_KEY", f"the day's costs ({COSTS_HINT})", REFUSAL)


def submit(fn, who: str, read_timeout: float, *, option: str):
    """Call a creating SDK method under the shared submission rule (see the module docstring)."""
    try:
        return stainless.submit(fn, vendor(who), read_timeout=read_timeout, option=option)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProviderError(f"{who}: unexpected response from the API ({type(exc).__name__}: "
                            f"{str(exc)[:200]})") from None


def split_body(body: dict[str, Any], known: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """SDK keyword arguments and the rest (sent with ``extra_body``)."""
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    return kwargs, extra


def plain(value: Any) -> Any:
    """Plain dicts and lists (identity options arrive read-only)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def usd(value: Any) -> float | None:
    """A reported cost as a number (None when absent or unreadable)."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def completed(response: Any, who: str, job_id: str | None = None) -> tuple[str, str, float | None]:
    """(id, first media URL, usage.total_cost) of a completed generation."""
    job_id = field(response, "id", who, job_id)
    try:
        url = response.data[0].url
        if not isinstance(url, str) or not url:
            raise TypeError("data[0].url")
    except (AttributeError, IndexError, TypeError, KeyError):
        raise ProviderError(f"{who} completed but returned no file", job_id=job_id) from None
    usage = getattr(response, "usage", None)
    return job_id, url, usd(getattr(usage, "total_cost", None) if usage is not None else None)


def field(obj: Any, name: str, who: str, job_id: str | None = None) -> Any:
    """The non-empty string *name* of an answer; ProviderError when it is missing."""
    value = getattr(obj, name, None)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"{who}: unexpected response from the API (no {name})", job_id=job_id)
    return value

