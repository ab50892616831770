"""Calls to Google that make something, and how their failures become storyrender errors.

Only storyrender's runner retries. The SDK retries nothing unless ``HttpOptions.retry_options`` is
set (``google/genai/_api_client.py``, ``retry_args``: no options means ``stop_after_attempt(1)``;
with options its default is 5 attempts on 408/429/5xx and on httpx timeouts, which would repeat a
``predictLongRunning`` whose answer timed out): clients are built with
``retry_options=HttpRetryOptions(attempts=1)`` so no SDK default can turn that on. The httpx2/httpx
transports are created with ``retries=0``.

Veo (``generate_videos``): raised as ``TransientError`` (retried) only when Google certainly made no
operation: the connection was never made (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, a
credentials refresh that failed before the request was sent) or HTTP 429 ``RESOURCE_EXHAUSTED``
(quota is checked before anything runs). Everything else after the request was sent is
:class:`~storyrender.provider_api.SubmitUncertain` (not retried; the error says where to look): a
read or write timeout, a dropped connection, an unreadable 200 answer, and HTTP 5xx, because Google
does not document that a 5xx means no operation was started (``google.rpc.Code``: for
``UNAVAILABLE`` "it is not always safe to retry non-idempotent operations",
https://cloud.google.com/apis/design/errors) and Veo takes no idempotency key
(``types.GenerateVideosConfig`` has none). Polls (``fetchPredictOperation``) are pure reads: 429, 5xx and
transport faults are ``TransientError``, and a 404 means the operation is gone (``JobGone``).

Gemini images (``generate_content``, synchronous, no job to resume): a read timeout or a dropped
connection after the request was sent is ``SubmitUncertain`` (the image may have been made and
billed; it is not asked for twice). HTTP 429 and 5xx answers are ``TransientError``: the call failed
and returned no image, and Google's Gemini API troubleshooting table says to retry them
(https://ai.google.dev/gemini-api/docs/troubleshooting); connection failures are ``TransientError``.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from storyrender.provider_api import MissingKeyError, ProviderError, SubmitUncertain, TransientError, kit

__all__ = ["submit", "translate_error", "poll_error", "other_error", "WHERE_VEO", "WHERE_GEMINI"]

#: where to look when a submission's fate is unknown
WHERE_VEO = ("look for it in the Google Cloud console (Vertex AI > Media Studio, and Billing > Reports for the "
             "project) before building again: a new build submits a new operation")
WHERE_GEMINI = ("check usage at https://aistudio.google.com/usage (Gemini API) or the Google Cloud console's "
                "Billing > Reports (Vertex AI) before building again: a new build asks again")


def _transport_failure(exc: BaseException) -> str | None:
    """``"connect"`` when the request certainly never reached Google, ``"sent"`` when it may have,
    None when *exc* is not a transport fault."""
    for name in ("httpx2", "httpx"):
        module = sys.modules.get(name)
        if module is None:
            continue
        if isinstance(exc, (module.ConnectError, module.ConnectTimeout, module.PoolTimeout)):
            return "connect"
        if isinstance(exc, module.TransportError):
            return "sent"
    auth = sys.modules.get("google.auth.exceptions")
    if auth is not None and isinstance(exc, auth.TransportError):
        return "connect"  # the credentials refresh runs before the request is sent
    requests = sys.modules.get("requests")  # the SDK's mTLS transport (google.auth AuthorizedSession)
    if requests is not None:
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return "connect"
        if isinstance(exc, requests.exceptions.RequestException):
            return "sent"
    return None


def submit(fn, who: str, *, hosted: bool, timeout: Any):
    """Run one call that makes something (a Veo operation, a Gemini image) under the rule of the
    module docstring: ``TransientError`` only when nothing was made, ``SubmitUncertain`` when
    something may have been."""
    from google.genai import errors

    where = WHERE_VEO if hosted else WHERE_GEMINI
    made = "started an operation" if hosted else "made (and billed) the image"
    try:
        return fn()
    except errors.APIError as exc:
        error = translate_error(exc, who)
        code = getattr(exc, "code", None)
        if hosted and isinstance(error, TransientError) and code != 429 \
                and getattr(exc, "status", None) != "RESOURCE_EXHAUSTED":
            raise SubmitUncertain(f"{error.message}. Google may have {made} anyway; it is not submitted again "
                                  f"automatically: {where}") from None
        raise error from None
    except ProviderError:
        raise
    except Exception as exc:
        if hosted and _unreadable_answer(exc):
            raise SubmitUncertain(f"{who} answered the submission with something the SDK could not read "
                                  f"({type(exc).__name__}): it may have {made}; it is not submitted again "
                                  f"automatically: {where}") from None
        kind = _transport_failure(exc)
        if kind == "sent":
            if "Timeout" in type(exc).__name__:
                what = f"did not answer within {float(timeout):g} s (the http_timeout option)"
            else:
                what = f"dropped the connection ({type(exc).__name__})"
            raise SubmitUncertain(f"{who}: Google {what} after the request was sent: it may have {made}; it is "
                                  f"not asked again automatically: {where}") from None
        raise other_error(exc, who) from None


def _unreadable_answer(exc: BaseException) -> bool:
    """True when *exc* is the SDK failing to read an answer (so the request was sent and answered)."""
    import json

    import pydantic
    from google.genai import errors

    return isinstance(exc, (json.JSONDecodeError, errors.UnknownApiResponseError, pydantic.ValidationError))


def poll_error(error: ProviderError, job_id: str) -> ProviderError:
    """*error*, saying which operation was being polled."""
    return type(error)(f"{error.message} (polling operation {job_id})", job_id=job_id,
                       retry_after=error.retry_after)


def other_error(exc: Exception, who: str) -> ProviderError:
    """The error for a failure that is not the API's own answer (transport, credentials, unreadable data)."""
    kind = _transport_failure(exc)
    if kind is not None:
        what = "did not answer in time" if "Timeout" in type(exc).__name__ else "could not be reached"
        return TransientError(f"{who}: the Google API {what} ({type(exc).__name__})")
    try:
        from google.auth.exceptions import DefaultCredentialsError

        if isinstance(exc, DefaultCredentialsError):
            return MissingKeyError(
                f"{who}: no Application Default Credentials for GOOGLE_CLOUD_PROJECT: run "
                f"`gcloud auth application-default login`, or unset GOOGLE_CLOUD_PROJECT and set "
                f"GOOGLE_API_KEY to a Vertex AI express-mode key")
    except ImportError:  # pragma: no cover - google-auth comes with google-genai
        pass
    try:
        import pydantic

        if isinstance(exc, pydantic.ValidationError):
            return ProviderError(f"{who} answered with data the SDK could not read: "
                                 f"{exc.error_count()} validation error(s)")
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return ProviderError(f"{who}: unexpected answer or request ({type(exc).__name__}: {exc})")
    raise exc


def _retry_after(exc: Any) -> float | None:
    seconds = kit.retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
    if seconds is not None:
        return seconds
    # google.rpc.RetryInfo in the error details: {"@type": ".../google.rpc.RetryInfo", "retryDelay": "30s"}
    details = getattr(exc, "details", None)
    error = details.get("error", details) if isinstance(details, Mapping) else None
    for item in (error or {}).get("details", []) if isinstance(error, Mapping) else []:
        if isinstance(item, Mapping) and str(item.get("@type", "")).endswith("RetryInfo"):
            delay = str(item.get("retryDelay", "")).rstrip("s")
            try:
                return max(0.0, float(delay))
            except ValueError:
                return None
    return None


def translate_error(exc: Any, who: str) -> ProviderError:
    """Map a ``google.genai.errors.APIError`` to a storyrender error (never with a key in it)."""
    from google.genai import errors

    code = getattr(exc, "code", None)
    status = getattr(exc, "status", None) or ""
    message = getattr(exc, "message", None) or ""
    text = f"{who}: HTTP {code} {status}: {message}".rstrip(": ")
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return TransientError(text, retry_after=_retry_after(exc))
    if isinstance(exc, errors.ServerError) or (isinstance(code, int) and code >= 500) or code == 408:
        return TransientError(text, retry_after=_retry_after(exc))
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "API key not valid" in message:
        return ProviderError(
            f"{who}: Google refused the credentials (HTTP {code} {status}): check GOOGLE_API_KEY / "
            f"GEMINI_API_KEY (Veo needs a Vertex AI express-mode key, or GOOGLE_CLOUD_PROJECT with "
            f"Application Default Credentials)")
    return ProviderError(text)

