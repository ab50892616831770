"""One fal queue request as a hosted job: submit (sent once), poll, fetch the result, cancel.

The request id that ``POST https://queue.fal.run/{app}`` answers is the job id, recorded before
waiting, so a retry, a Ctrl-C or a killed build resumes it: ``SyncClient.get_handle(app,
request_id)`` builds the handle again (``GET .../requests/{id}/status``, ``GET .../requests/{id}``),
and a timeout cancels it (``PUT .../requests/{id}/cancel``).

When a submission is repeated (fal's queue takes no idempotency key; sources: the Queue API,
https://fal.ai/docs/documentation/model-apis/inference/queue, and ``SyncClient.submit`` in
``fal_client/client.py``):

- ``TransientError`` (the runner retries): the request never reached fal (httpx ``ConnectError``,
  ``ConnectTimeout`` or ``PoolTimeout``, after the SDK's ``BackupDomainTransport`` also tried the
  backup domain), HTTP 429 (a rate-limit refusal, answered instead of a request id; its
  ``Retry-After`` is honoured), HTTP 408 (the server did not receive the whole request,
  RFC 9110 section 15.5.9), and any failure while uploading frames with ``upload: cdn``
  (storage uploads create no request).
- ``SubmitUncertain`` (not retried; the message points to https://fal.ai/dashboard/requests): a
  read timeout or dropped connection after the submission was sent, HTTP 5xx (502/503/504
  included: fal documents 503 and 504 as errors its queue retries while *processing* a request,
  https://fal.ai/docs/documentation/serverless/reliability/retries, not as "not queued" when
  submitting; the SDK's guess that an nginx-looking 5xx without ``x-fal-request-id`` came from the
  ingress, ``_is_ingress_error``, is a heuristic, not a guarantee), or a 2xx answer without a
  readable request id.
- ``ProviderError`` (not retried): other 4xx answers (invalid input 422, key 401/403, unknown app
  404, 409; ``RefusedError`` for a content-policy refusal), which queue nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from storyrender.provider_api import (
    JobGone,
    JobStatus,
    ProviderError,
    RefusedError,
    Result,
    RunContext,
    SubmitUncertain,
    TransientError,
    kit,
)

from .transport import SubmitOnce, Unretried

if TYPE_CHECKING:  # pragma: no cover
    from .provider import FalProvider

__all__ = ["QueueRequest"]

_REFUSAL = re.compile(r"content[\s_-]*polic|nsfw|safety|moderat|flagged|inappropriate|prohibited|violat",
                      re.IGNORECASE)

#: where a user finds a request the plugin could not confirm
_DASHBOARD = "https://fal.ai/dashboard/requests"


class QueueRequest:
    """One fal queue request as a :class:`~storyrender.provider_api.HostedJob`.

    The request id is the job id: ``submit`` is ``SyncClient.submit`` (sent once), ``poll`` is the
    handle's ``status()``, ``fetch`` its ``get()`` and the download of the output file, ``cancel``
    its ``cancel()``. A handle for a recorded request id comes from ``SyncClient.get_handle``.
    """

    def __init__(self, provider: FalProvider, client: Any, guard: SubmitOnce, request: Any, args: dict[str, Any],
                 files: tuple[tuple[str, Path], ...], ctx: RunContext, *, video: bool, upload: str,
                 seconds: float | None) -> None:
        self.provider, self.client, self.guard, self.request = provider, client, guard, request
        self.args, self.files, self.ctx = args, files, ctx
        self.video, self.upload, self.seconds = video, upload, seconds
        self.app = request.model
        self.who = f"fal/{request.model}"
        self._handle: Any = None

    # -- HostedJob ----------------------------------------------------------------------------
    def submit(self) -> str:
        import fal_client
        import httpx

        args = dict(self.args)
        for param, path in self.files:
            if self.upload == "cdn":
                # Storage uploads create no queue request: any failure leaves nothing to pay for.
                args[param] = _call(lambda p=path: self.client.upload_file(p), self.who, what="uploading a frame")
            else:
                args[param] = fal_client.encode_file(path)
        self.guard.armed = True
        try:
            handle = self.client.submit(self.app, arguments=args)
        except Unretried as failed:
            raise self._submit_error(failed) from None
        except fal_client.FalClientHTTPError as exc:  # not expected: error answers are raised as Unretried
            raise self._http_submit_error(exc.response, exc.error_type) from None
        except httpx.HTTPError as exc:
            raise self._uncertain(f"{type(exc).__name__} after the request was sent") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise self._uncertain(f"unexpected answer from the queue ({type(exc).__name__}: "
                                  f"{_short(str(exc))})") from None
        finally:
            self.guard.armed = False
        if not getattr(handle, "request_id", None):
            raise self._uncertain("unexpected answer from the queue (no request id)")
        self._handle = handle
        return str(handle.request_id)

    def poll(self, job_id: str) -> JobStatus:
        import fal_client

        prefix = f"{self.who}: polling request {job_id}"
        handle = self._handle_for(job_id)
        status = _call(handle.status, prefix, job_id=job_id, gone=True)
        if isinstance(status, fal_client.Queued):
            return JobStatus("pending", detail=f"in the queue (position {status.position})")
        if isinstance(status, fal_client.InProgress):
            return JobStatus("pending", detail="in progress")
        if isinstance(status, fal_client.Completed):
            if status.error:
                reason = str(status.error) + (f" ({status.error_type})" if status.error_type else "")
                refused = status.error_type == "content_policy_violation" or bool(_REFUSAL.search(str(status.error)))
                return JobStatus("failed", error=reason, refused=refused)
            return JobStatus("succeeded", output=status, detail="completed")
        raise ProviderError(f"{prefix}: unknown status {type(status).__name__}", job_id=job_id)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        try:
            return self._fetch(job_id, status)
        except TransientError:
            raise  # the retry resumes this request: polls it, then fetches again
        except ProviderError:
            self._forget()  # this request's output is useless: a new attempt must submit again
            raise

    def cancel(self, job_id: str) -> None:
        self._handle_for(job_id).cancel()

    # -- helpers ------------------------------------------------------------------------------
    def _handle_for(self, job_id: str) -> Any:
        if self._handle is not None and self._handle.request_id == job_id:
            return self._handle  # the URLs the submission answered
        self._handle = self.client.get_handle(self.app, job_id)
        return self._handle

    def _fetch(self, job_id: str, status: JobStatus) -> Result:
        handle = self._handle_for(job_id)
        try:
            result = _call(lambda: handle.get(interval=0.0), f"{self.who}: fetching the result of request {job_id}",
                           job_id=job_id, gone=True)
        except JobGone:
            self._forget()
            raise TransientError(f"{self.who}: the result of request {job_id} is gone at fal; it will be "
                                 "submitted again", job_id=job_id) from None
        url = _media_url(result)
        if url is None:
            keys = ", ".join(sorted(map(str, result))) if isinstance(result, Mapping) else type(result).__name__
            raise ProviderError(f"{self.who} completed but returned no file (result: {keys})", job_id=job_id)
        data = kit.download(url, who=self.who, job_id=job_id)
        ctx, request = self.ctx, self.request
        info: dict[str, Any] = {"job_id": job_id, "model": self.app}
        done = status.output
        if getattr(done, "metrics", None):
            info["metrics"] = dict(done.metrics)
        if isinstance(result, Mapping) and result.get("seed") is not None:
            info["seed"] = result["seed"]
        if self.video:
            kit.save_video(data, ctx.output_path, who=self.who, job_id=job_id)
        else:
            info.update(kit.save_png_fitted(data, ctx.output_path, request.width, request.height, who=self.who,
                                            job_id=job_id))
        price = self.provider.price_for(self.provider.resolve_model(self.app), request.options or {})
        known = price.known  # an unpriced choice (e.g. 1080p) records no figure rather than $0
        info["list_price_usd"] = round(price.estimate(self.seconds if self.video else None), 6) if known else None
        info["price_as_of"] = price.as_of
        # fal reports no cost per request: cost_usd stays None and the list price is in info.
        return Result(ctx.output_path, cost_usd=None, info=info)

    def _submit_error(self, failed: Unretried) -> ProviderError:
        import httpx

        if failed.response is not None:
            return self._http_submit_error(failed.response, None)
        exc = failed.error
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            # the request never reached fal
            return TransientError(f"{self.who}: submitting: {type(exc).__name__}: {exc}")
        return self._uncertain(f"{type(exc).__name__} after the request was sent")

    def _http_submit_error(self, response: Any, error_type: str | None) -> ProviderError:
        status = response.status_code
        reason, kinds = _reason(response, error_type)
        if status >= 500:  # not documented as "not queued": it may have been
            return self._uncertain(f"HTTP {status}: {reason}")
        return _http_error(f"{self.who}: submitting", status, reason, kinds, dict(response.headers), None)

    def _uncertain(self, why: str) -> SubmitUncertain:
        return SubmitUncertain(
            f"{self.who}: the request may have been queued ({why}), so it is not submitted again: look for it "
            f"at {_DASHBOARD} before building again; the next build submits a new request")

    def _forget(self) -> None:
        if self.ctx.journal is not None:
            self.ctx.journal.clear()


def _http_error(prefix: str, status: int, reason: str, kinds: set[str], headers: Mapping[str, str],
                job_id: str | None) -> ProviderError:
    """The storyrender error for an HTTP error answer to anything but a submission."""
    headers = {str(k).lower(): v for k, v in (headers or {}).items()}
    text = f"{prefix}: HTTP {status}: {reason}"
    if "content_policy_violation" in kinds or (status in (400, 422) and _REFUSAL.search(reason)):
        return RefusedError(text, job_id=job_id)
    if status == 429:
        return TransientError(text, job_id=job_id, retry_after=kit.retry_after_seconds(headers))
    if status >= 500 or status == 408:
        return TransientError(text, job_id=job_id)
    if status in (401, 403):
        return ProviderError(f"{prefix}: the key was refused (HTTP {status}): {reason}; check FAL_KEY", job_id=job_id)
    return ProviderError(text, job_id=job_id)


def _call(fn, prefix: str, *, job_id: str | None = None, what: str = "", gone: bool = False):
    """Call into fal_client (status, result, upload), turning its exceptions into storyrender's;
    with *gone*, HTTP 404 raises :class:`JobGone` (fal no longer knows the request)."""
    import fal_client
    import httpx

    if what:
        prefix = f"{prefix}: {what}"
    try:
        return fn()
    except fal_client.FalClientHTTPError as exc:
        if gone and exc.status_code == 404:
            raise JobGone(f"{prefix}: fal no longer knows request {job_id} (HTTP 404)", job_id=job_id) from None
        reason, kinds = _reason(exc.response, exc.error_type)
        raise _http_error(prefix, exc.status_code, reason, kinds, exc.response_headers, job_id) from None
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ProviderError(f"{prefix}: unexpected response from the queue ({type(exc).__name__}: "
                            f"{_short(str(exc))})", job_id=job_id) from None


def _reason(response: Any, error_type: str | None = None) -> tuple[str, set[str]]:
    """The vendor's words and error types from a fal error answer (model errors carry a ``detail``
    list, request errors a ``detail`` string and ``error_type``; https://docs.fal.ai/errors)."""
    kinds: set[str] = set()
    if error_type:
        kinds.add(str(error_type))
    headers = {str(k).lower(): v for k, v in dict(getattr(response, "headers", {}) or {}).items()}
    if headers.get("x-fal-error-type"):
        kinds.add(str(headers["x-fal-error-type"]))
    try:
        body = response.json()
    except Exception:
        body = None
    if isinstance(body, Mapping) and body.get("error_type"):
        kinds.add(str(body["error_type"]))
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                if item.get("type"):
                    kinds.add(str(item["type"]))
                msg = str(item.get("msg") or item.get("message") or "")
                loc = item.get("loc")
                where = ".".join(str(x) for x in loc[1:]) if isinstance(loc, list) and len(loc) > 1 else ""
                parts.append(f"{msg} [{where}]" if where else msg)
            else:
                parts.append(str(item))
        return "; ".join(p for p in parts if p) or "no reason given", kinds
    if isinstance(detail, str):
        return detail, kinds
    try:
        text = response.text
    except Exception:
        text = ""
    return (_short(text, 300) or "no reason given"), kinds


def _short(value: Any, n: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= n else text[:n] + "..."


def _media_url(result: Any) -> str | None:
    if not isinstance(result, Mapping):
        return None
    for key in ("video", "image"):
        item = result.get(key)
        if isinstance(item, Mapping) and isinstance(item.get("url"), str):
            return item["url"]
    for key in ("videos", "images"):
        items = result.get(key)
        if isinstance(items, list) and items and isinstance(items[0], Mapping) and isinstance(items[0].get("url"), str):
            return items[0]["url"]
    return None
