"""fal submissions sent once: the SDK's HTTP transport wrapped so its retry loop cannot repeat them.

SDK retries: fal-client sends ``submit`` (and status, result and cancel) through
``_maybe_retry_request``, which repeats a request up to ``MAX_ATTEMPTS`` = 10 times on timeouts,
transport errors, HTTP 408/409/429 and ingress 502/503/504 (``_should_retry``). For the
submission that could queue (and bill) the same request several times, so this plugin wraps the
SDK's HTTP transport (``SyncClient._client``) and, while a submission is being sent, lets each
attempt out once: its transport errors and 4xx/5xx answers are raised past the SDK's retry loop
(:class:`Unretried`), and the submission rule (:mod:`storyrender_fal.queue`) decides. Status
polls, result fetches and cancels keep the SDK's bounded retries (pure reads, or a cancel).
"""

from __future__ import annotations

from typing import Any

from storyrender.provider_api import ProviderError

__all__ = ["Unretried", "SubmitOnce", "make_client"]


class Unretried(Exception):
    """A submission attempt that failed (an httpx error, or an HTTP error answer), raised past the
    SDK's retry loop (``_maybe_retry_request`` only repeats httpx and ``FalClientHTTPError`` errors)."""

    def __init__(self, error: Exception | None = None, response: Any = None) -> None:
        super().__init__(str(error) if error is not None else f"HTTP {getattr(response, 'status_code', '?')}")
        self.error = error
        self.response = response


class SubmitOnce:
    """Wraps the SDK's httpx transport. While :attr:`armed` (only around ``SyncClient.submit``),
    each POST goes out once: a transport error or an HTTP error answer becomes :class:`Unretried`,
    so the SDK cannot send the submission again. Everything else passes through unchanged."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed = False
        self.sent = 0

    def handle_request(self, request: Any) -> Any:
        import httpx

        if not (self.armed and request.method == "POST"):
            return self.inner.handle_request(request)
        self.sent += 1
        try:
            response = self.inner.handle_request(request)
            response.read()  # a body that times out is read here, not in the SDK's retry loop
        except httpx.HTTPError as exc:
            raise Unretried(exc) from exc
        if response.status_code >= 400:
            raise Unretried(response=response)
        return response

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> "SubmitOnce":
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)


def make_client(key: str, read_timeout: float) -> tuple[Any, SubmitOnce]:
    """A ``fal_client.SyncClient`` whose submissions go out once (see the module docstring)."""
    import fal_client

    client = fal_client.SyncClient(key=key, default_timeout=read_timeout)
    # The SDK's httpx client (a cached property): submit, status, result and cancel all use it.
    http = client._client
    inner = getattr(http, "_transport", None)
    if inner is None or not callable(getattr(inner, "handle_request", None)) or getattr(http, "_mounts", None):
        raise ProviderError("fal: this fal-client version builds its HTTP client differently, so its retries of "
                            "submissions cannot be turned off; install the fal-client version this plugin supports")
    guard = SubmitOnce(inner)
    http._transport = guard
    return client, guard
