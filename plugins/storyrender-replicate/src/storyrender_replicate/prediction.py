"""One Replicate prediction as a hosted job: create (frames uploaded first), poll, download, cancel.

The prediction id is the job id, recorded before waiting, so a retry, a Ctrl-C or a killed build
resumes it (``GET /v1/predictions/{id}``, ``predictions.get``); a timeout cancels it
(``POST /v1/predictions/{id}/cancel``, ``predictions.cancel``).

When a submission is repeated (Replicate has no idempotency key for predictions):

- ``TransientError`` (the runner retries): the request never reached Replicate (httpx
  ``ConnectError``/``ConnectTimeout``/``PoolTimeout``), HTTP 429 (Replicate's rate limits,
  https://replicate.com/docs/topics/predictions/rate-limits: "Request was throttled", with the
  wait it names as ``retry_after``), HTTP 408, and any failure while uploading the frames
  (``POST /v1/files`` creates no prediction).
- ``SubmitUncertain`` (not retried; the message points to https://replicate.com/predictions): a
  read timeout or dropped connection after the create request was sent, HTTP 5xx (not
  documented as "not created"), or a 2xx answer without a readable prediction.
- ``ProviderError`` (not retried): other 4xx answers (invalid input 422, token 401/403, unknown
  model 404, ``RefusedError`` when the reason is a content policy), which create nothing.

SDK retries: the client's ``RetryTransport`` (``replicate/client.py``) never repeats POSTs
(``RETRYABLE_METHODS`` excludes POST: creates, uploads and cancels go out once); it repeats GETs
on 429/503/504 up to 10 times, which this plugin turns off (``max_attempts = 1``): the runner is
the only retry layer. Downloads of the output are one try without credentials (Replicate's
output URLs are public); a failure is a ``TransientError`` and the retry re-polls the recorded
prediction and downloads again, with no new submission. An output that has expired (HTTP 404/410;
Replicate deletes the files of API predictions after an hour) clears the record, so the retry
submits again.
"""

from __future__ import annotations

import base64
import contextlib
import re
import tempfile
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
    run_ffmpeg,
)

from .catalogue import split_name

if TYPE_CHECKING:  # pragma: no cover
    from .provider import ReplicateProvider

__all__ = ["Prediction", "make_client"]

#: where a user finds a prediction the plugin could not confirm
_DASHBOARD = "https://replicate.com/predictions"
_REFUSAL = re.compile(
    r"nsfw|safety|content[\s_-]*polic|moderat|flagged|sensitive|\bE005\b|inappropriate|"
    r"prohibited|violat",
    re.IGNORECASE,
)


def make_client(key: str, call: Mapping[str, Any]):
    """A ``replicate.Client`` whose every request has a timeout and whose GETs are not retried."""
    import httpx
    import replicate
    from replicate.client import RetryTransport

    timeout = httpx.Timeout(60.0, read=float(call.get("read_timeout") or 120.0), connect=10.0)

    def bounded(request) -> None:
        # The SDK sends creates without ``wait`` and file uploads with ``timeout=None``
        # (prediction.py _create_prediction_timeout, file.py Files.create), which httpx reads
        # as "no timeout at all": a hung create would then never end. Give those ours.
        current = request.extensions.get("timeout") or {}
        if all(v is None for v in current.values()):
            request.extensions["timeout"] = timeout.as_dict()

    # No base_url: the SDK reads REPLICATE_BASE_URL itself (a board never chooses the host).
    client = replicate.Client(api_token=key, timeout=timeout,
                              event_hooks={"request": [bounded]})
    # The SDK wraps its transport in RetryTransport, which repeats GETs (polls) on 429/503/504
    # up to 10 times, sleeping whatever Retry-After says (client.py). POSTs (creating a
    # prediction, uploading a file, cancelling) are never repeated there. The runner is the
    # one retry layer, so the GET retries are turned off as well.
    transport = getattr(client._client, "_transport", None)
    if isinstance(transport, RetryTransport):
        transport.max_attempts = 1
    return client


def _http_error(prefix: str, exc: Any, job_id: str | None) -> ProviderError:
    """The storyrender error for an HTTP error answer (``ReplicateError``)."""
    reason = exc.detail or exc.title or "no reason given"
    status = exc.status or 0
    text = f"{prefix}: HTTP {status}: {reason}"
    if status == 429:
        return TransientError(text, job_id=job_id, retry_after=_retry_after(reason))
    if status >= 500 or status == 408:
        return TransientError(text, job_id=job_id)
    if status in (401, 403):
        return ProviderError(f"{prefix}: the API token was refused (HTTP {status}): {reason}; "
                             "check REPLICATE_API_TOKEN", job_id=job_id)
    if status == 404:
        return ProviderError(f"{prefix}: not found (HTTP 404): {reason}; check the model name", job_id=job_id)
    cls = RefusedError if _REFUSAL.search(reason) else ProviderError
    return cls(text, job_id=job_id)


class Prediction:
    """One Replicate prediction as a :class:`~storyrender.provider_api.HostedJob`.

    The prediction id is the job id: ``submit`` creates the prediction (uploading the frames
    first when ``file_encoding`` is ``url``), ``poll`` is ``GET /v1/predictions/{id}``
    (``predictions.get``), ``cancel`` is ``predictions.cancel``. With ``wait`` the create call
    may answer with a finished prediction: the first poll then uses that answer.
    """

    def __init__(self, provider: ReplicateProvider, client: Any, request: Any, inp: dict[str, Any],
                 files: tuple[tuple[str, Path], ...], ctx: RunContext, *, video: bool, wait: int, encoding: str,
                 seconds: float | None) -> None:
        self.provider, self.client, self.request, self.inp, self.files = provider, client, request, inp, files
        self.ctx, self.video, self.wait, self.encoding, self.seconds = ctx, video, wait, encoding, seconds
        self.model = request.model
        self.who = f"replicate/{request.model}"
        self._created: Any = None  # the create call's answer, used by the first poll

    # -- HostedJob ----------------------------------------------------------------------------
    def submit(self) -> str:
        import httpx
        from replicate.exceptions import ReplicateError

        base, version = split_name(self.model)
        params: dict[str, Any] = {"file_encoding_strategy": self.encoding}
        if self.wait:
            params["wait"] = int(self.wait)
        inp = dict(self.inp)
        with contextlib.ExitStack() as stack:
            if self.encoding == "url":
                # Uploads (POST /v1/files) create no prediction: any failure leaves nothing to pay for.
                try:
                    for param, path in self.files:
                        inp[param] = self.client.files.create(path).urls["get"]
                except ReplicateError as exc:
                    raise _http_error(f"{self.who}: uploading a frame", exc, None) from None
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    raise TransientError(f"{self.who}: uploading a frame: {type(exc).__name__}: {exc}") from None
                except (ValueError, TypeError, KeyError) as exc:
                    raise ProviderError(f"{self.who}: uploading a frame: unexpected response from the API "
                                        f"({type(exc).__name__}: {_short(str(exc))})") from None
            else:  # the SDK encodes open files as data URIs
                for param, path in self.files:
                    inp[param] = stack.enter_context(open(path, "rb"))
            try:
                if version:
                    prediction = self.client.predictions.create(version=version, input=inp, **params)
                else:
                    prediction = self.client.models.predictions.create(model=base, input=inp, **params)
            except ReplicateError as exc:
                status = exc.status or 0
                error = _http_error(self.who, exc, None)
                if status >= 500:  # not documented as "not created": it may have been
                    raise self._uncertain(f"HTTP {status}: {exc.detail or exc.title or 'no reason given'}") \
                        from None
                raise error from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # the request never reached Replicate
                raise TransientError(f"{self.who}: {type(exc).__name__}: {exc}") from None
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise self._uncertain(f"{type(exc).__name__} after the request was sent") from None
            except (ValueError, TypeError, KeyError) as exc:
                raise self._uncertain(f"unexpected response from the API ({type(exc).__name__}: "
                                      f"{_short(str(exc))})") from None
        pid = getattr(prediction, "id", None)
        if not pid:
            raise self._uncertain("unexpected response from the API (no prediction id)")
        self._created = prediction
        return str(pid)

    def poll(self, job_id: str) -> JobStatus:
        prediction, self._created = self._created, None
        if prediction is None or prediction.id != job_id:
            prediction = self._get(job_id)
        status = prediction.status
        facts = {"model_version": prediction.version} if getattr(prediction, "version", None) else {}
        if status in ("starting", "processing"):
            return JobStatus("pending", detail=status, facts=facts)
        if status == "succeeded":
            return JobStatus("succeeded", output=prediction, facts=facts)
        if status == "failed":
            reason = str(prediction.error or "the model failed without a reason")
            return JobStatus("failed", error=reason, refused=bool(_REFUSAL.search(reason)), facts=facts)
        if status == "canceled":
            return JobStatus("canceled", error="the prediction was canceled", facts=facts)
        raise ProviderError(f"{self.who}: prediction {job_id} has an unknown status {status!r}", job_id=job_id)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        prediction = status.output
        url = _first_url(prediction.output)
        if url is None:
            self._forget()
            raise ProviderError(f"{self.who} succeeded but returned no file (output: "
                                f"{_short(prediction.output)})", job_id=job_id)
        data = self._download(url, job_id)
        ctx, request = self.ctx, self.request
        info: dict[str, Any] = {"job_id": job_id, "model": self.model}
        if getattr(prediction, "version", None):
            info["model_version"] = prediction.version
        if prediction.metrics:
            info["metrics"] = dict(prediction.metrics)
        if self.video:
            try:
                kind = kit.check_video(data)
            except ValueError as exc:
                raise ProviderError(f"{self.who}: {exc}", job_id=job_id) from None
            if kind == "mp4":
                kit.save_video(data, ctx.output_path, who=self.who, job_id=job_id)
            else:
                _transcode(data, kind, ctx.output_path)
            info["container"] = kind
        else:
            info.update(kit.save_png_fitted(data, ctx.output_path, request.width, request.height, who=self.who,
                                            job_id=job_id))
        price = self.provider.price_for(self.provider.resolve_model(self.model), self.request.options or {})
        known = price.known  # an unpriced choice (e.g. 1080p) records no figure rather than $0
        info["list_price_usd"] = round(price.estimate(self.seconds if self.video else None), 6) if known else None
        info["price_as_of"] = price.as_of
        # Replicate reports no cost per prediction: cost_usd stays None and the list price is in info.
        return Result(ctx.output_path, cost_usd=None, info=info)

    def cancel(self, job_id: str) -> None:
        self.client.predictions.cancel(job_id)

    # -- helpers ------------------------------------------------------------------------------
    def _get(self, job_id: str) -> Any:
        import httpx
        from replicate.exceptions import ReplicateError

        prefix = f"{self.who}: polling prediction {job_id}"
        try:
            return self.client.predictions.get(job_id)
        except ReplicateError as exc:
            if exc.status == 404:
                raise JobGone(f"{self.who}: Replicate no longer knows prediction {job_id}", job_id=job_id) \
                    from None
            raise _http_error(prefix, exc, job_id) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"{prefix}: unexpected response from the API ({type(exc).__name__}: "
                                f"{_short(str(exc))})", job_id=job_id) from None

    def _uncertain(self, why: str) -> SubmitUncertain:
        return SubmitUncertain(
            f"{self.who}: the prediction may have been created ({why}), so it is not submitted again: "
            f"look for it at {_DASHBOARD} (or GET /v1/predictions) before building again; the next build "
            "submits a new prediction")

    def _forget(self) -> None:
        if self.ctx.journal is not None:
            self.ctx.journal.clear()

    def _download(self, url: str, job_id: str) -> bytes:
        """The output file, in one try, without credentials (Replicate's output URLs are public)."""
        import httpx

        if url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        prefix = f"{self.who}: downloading the output of prediction {job_id}"
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=True) as http:
                response = http.get(url)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{prefix}: {type(exc).__name__}", job_id=job_id) from None
        status = response.status_code
        if status in (404, 410):
            # Replicate deletes the files of API predictions after an hour: make it again.
            self._forget()
            raise TransientError(f"{prefix}: HTTP {status} (the output has expired at Replicate); "
                                 "it will be submitted again", job_id=job_id)
        if status >= 500 or status in (408, 429):
            raise TransientError(f"{prefix}: HTTP {status}", job_id=job_id)
        if status >= 400:
            raise ProviderError(f"{prefix}: HTTP {status}", job_id=job_id)
        return response.content


def _first_url(output: Any) -> str | None:
    if isinstance(output, str):
        return output if output.startswith(("http://", "https://", "data:")) else None
    if isinstance(output, (list, tuple)):
        for item in output:
            url = _first_url(item)
            if url:
                return url
        return None
    if isinstance(output, Mapping):
        for k in ("video", "image", "url", "output"):
            if k in output and (url := _first_url(output[k])):
                return url
        for v in output.values():
            if url := _first_url(v):
                return url
    return None


def _retry_after(text: str) -> float | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)", text or "", re.IGNORECASE)
    return float(m.group(1)) if m else None


def _short(value: Any, n: int = 200) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= n else text[:n] + "..."


def _transcode(data: bytes, kind: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{kind}"
        src.write_bytes(data)
        run_ffmpeg(["-i", src, "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", out],
                   what=f"converting the {kind} clip to MP4")

