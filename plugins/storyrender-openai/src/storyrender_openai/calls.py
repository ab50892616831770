"""How a failed call to OpenAI becomes a storyrender error: the submission rule.

Image generation and edits are synchronous: the image comes back in the answer to the POST,
and there is no job id to record, poll or resume. Each POST may make (and bill) an image, so:

* ``TransientError`` (the runner retries) only when OpenAI certainly made nothing: the
  connection could not be made (``httpx`` ``ConnectError``/``ConnectTimeout``/``PoolTimeout``
  under ``openai.APIConnectionError``/``APITimeoutError``, raised by
  ``openai._base_client.SyncAPIClient.request`` before any byte of the request was sent), HTTP
  429 (except ``insufficient_quota``), HTTP 500 and 503, which OpenAI documents as "retry your
  request after a brief wait" (https://platform.openai.com/docs/guides/error-codes), and 408
  (request timeout) / 409 (lock timeout), which the SDK itself treats as safe to repeat
  (``openai/_base_client.py``, ``BaseClient._should_retry``);
* ``SubmitUncertain`` (not retried) when the request was sent and the answer was lost: a read
  timeout (the ``timeout`` option), the connection dropped before the answer, or a gateway's
  502/504/52x in front of the API. The image may have been made and
  billed; the error says to check the usage page (https://platform.openai.com/usage) before
  building again, and a rerun asks for a new image.

Idempotency: the installed SDK (openai 3.57, ``openai/_base_client.py``) makes an idempotency
key for every non-GET request (``SyncAPIClient.request``: ``_idempotency_key()``, "ensure the
idempotency key is reused between requests") but sends it only when the client's
``_idempotency_header`` is set, and ``OpenAI`` leaves it ``None`` (``BaseClient.__init__``);
the images endpoints take no ``Idempotency-Key`` parameter either. So no idempotency key
reaches ``/v1/images/*`` and a repeated POST is a second, billed image: hence the rule above.

SDK retries are off: the client is built with ``max_retries=0`` (the SDK would otherwise
retry timeouts, dropped connections, 408/409/429 and 5xx twice, ``_should_retry``), and that
is not an option: storyrender's runner is the only retry layer.
"""

from __future__ import annotations

from typing import Any, Mapping

from storyrender.provider_api import ProviderError, RefusedError, SubmitUncertain, TransientError, kit

__all__ = ["USAGE_URL", "translate_error"]

#: where to look when an image, a story or speech may have been made but its answer was lost
USAGE_URL = "https://platform.openai.com/usage"


def _vendor_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and isinstance(body.get("message"), str) and body["message"]:
        return body["message"]
    return str(getattr(exc, "message", "") or exc)


#: transport failures that happen before any byte of the request is sent (httpx / httpx2 names)
_NOT_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout", "UnsupportedProtocol", "ProxyError"})
#: HTTP statuses OpenAI documents as "retry after a brief wait" (the request made nothing)
_RETRY_STATUSES = frozenset({408, 409, 500, 503})


def _uncertain(who: str, what: str, *, request_id: str | None = None, made: str = "image") -> SubmitUncertain:
    rid = f" (request {request_id})" if request_id else ""
    return SubmitUncertain(
        f"{who}: {what}{rid}; OpenAI may have made and billed the {made} anyway. It is not requested "
        f"again automatically: check the {made} usage at {USAGE_URL} before building again (a rerun "
        f"asks for a new {made}), and raise the provider's timeout option if answers are slow"
    )


def translate_error(exc: Exception, *, who: str = "openai", timeout: float | None = None,
                    made: str = "image") -> ProviderError:
    """Map an ``openai`` exception to a storyrender error (never with the key in it), following
    the submission rule in the module docstring; *made* names what the request makes ("image",
    "story", "speech")."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
        if cause in _NOT_SENT:
            return TransientError(f"{who}: could not reach the OpenAI API ({cause}): nothing was sent")
        if isinstance(exc, openai.APITimeoutError):
            after = f" after {float(timeout):g} s" if timeout is not None else ""
            return _uncertain(who, f"the request was sent but OpenAI did not answer in time{after}", made=made)
        return _uncertain(who, f"the request was sent but the connection was lost before the answer "
                               f"({cause or getattr(exc, 'message', exc)})", made=made)
    if isinstance(exc, openai.APIStatusError):
        message = _vendor_message(exc)
        code = getattr(exc, "code", None)
        status = exc.status_code
        request_id = getattr(exc, "request_id", None)
        suffix = f" [request {request_id}]" if request_id else ""
        if isinstance(exc, openai.RateLimitError):
            if code == "insufficient_quota":
                return ProviderError(f"{who}: OpenAI quota exhausted: {message}: check the account's billing{suffix}")
            return TransientError(f"{who}: OpenAI rate limit (HTTP 429): {message}{suffix}",
                                  retry_after=kit.retry_after_seconds(exc.response.headers))
        if status in _RETRY_STATUSES:
            return TransientError(f"{who}: OpenAI server error (HTTP {status}): {message}{suffix}",
                                  retry_after=kit.retry_after_seconds(exc.response.headers))
        if status >= 500:  # a gateway in front of the API gave up: the answer was lost on the way
            return _uncertain(who, f"a gateway answered HTTP {status} ({message[:120]})", request_id=request_id,
                              made=made)
        if isinstance(exc, openai.BadRequestError) and code in ("moderation_blocked", "content_policy_violation"):
            return RefusedError(f"{who}: OpenAI refused the prompt or image ({code}): {message}{suffix}")
        if isinstance(exc, openai.AuthenticationError):
            return ProviderError(f"{who}: OpenAI refused the API key (HTTP 401): check OPENAI_API_KEY{suffix}")
        if isinstance(exc, openai.PermissionDeniedError):
            return ProviderError(f"{who}: OpenAI denied access (HTTP 403): {message}{suffix}")
        if isinstance(exc, openai.NotFoundError):
            return ProviderError(f"{who}: OpenAI does not know this model or path (HTTP 404): {message}{suffix}")
        what = f"{status}, {code}" if code else f"{status}"
        return ProviderError(f"{who}: OpenAI rejected the request (HTTP {what}): {message}{suffix}")
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(f"{who}: OpenAI answered with something that is not a valid {made} response")
    return ProviderError(f"{who}: OpenAI SDK error: {exc}")
