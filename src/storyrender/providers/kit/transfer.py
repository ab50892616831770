"""Fetching results: ``Retry-After`` delays, downloads, a finished job's file saved, and frames
lent to vendors by presigned URL."""

from __future__ import annotations

import base64
import math
import os
import time
from pathlib import Path
from typing import Any, Mapping

from ...errors import ProviderError, TransientError
from .files import save_video
from .images import save_png_fitted


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds to wait from response headers: ``retry-after-ms`` (milliseconds), else
    ``Retry-After`` as seconds or as an HTTP date (0 when the date has passed). Header names
    are matched in any case; missing, malformed or negative values give None."""
    if not headers:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lower.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except (TypeError, ValueError):
            if name == "retry-after":
                return _http_date_delay(str(value))
            continue
        if seconds >= 0 and math.isfinite(seconds):
            return seconds
    return None


def _http_date_delay(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def download(url: str, *, who: str, job_id: str | None = None, attempts: int = 1) -> bytes:
    """The body at *url* (a vendor's public or signed result URL: sent without credentials,
    redirects followed); a ``data:`` URI is decoded instead.

    HTTP 429, 5xx, timeouts and dropped connections raise ``TransientError`` (after *attempts*
    tries; default one: the runner is the retry layer, and it resumes the recorded job).

    :raises TransientError: when the last attempt failed that way.
    :raises ProviderError: on another HTTP error (4xx).
    """
    import httpx

    if url.startswith("data:"):
        return base64.b64decode(url.split(",", 1)[1])
    prefix = f"{who}: downloading the result"
    last: TransientError | None = None
    for attempt in range(attempts):
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=True) as http:
                response = http.get(url)
            status = response.status_code
            if status >= 500 or status == 429:
                last = TransientError(f"{prefix}: HTTP {status}", job_id=job_id)
            elif status >= 400:
                raise ProviderError(f"{prefix}: HTTP {status}", job_id=job_id)
            else:
                return response.content
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            last = TransientError(f"{prefix}: {type(exc).__name__}", job_id=job_id)
        time.sleep(0.2 * (attempt + 1))
    assert last is not None
    raise last


#: the variable naming the remote cache whose bucket lends vendors presigned URLs of frames
SHARE_ENV = "STORYRENDER_REMOTE_CACHE"


def shared_url(path: str | os.PathLike, *, who: str, expires: int = 3600) -> str:
    """A presigned HTTPS URL of *path* in the remote cache's bucket (``$STORYRENDER_REMOTE_CACHE``,
    ``s3://BUCKET/PREFIX``), valid for *expires* seconds: for vendors that fetch input images by
    URL and take no upload or data URI. Nothing is served from this machine.

    :raises ProviderError: when no remote cache is set, or the upload fails (``TransientError``).
    """
    from ...cache.remote import open_remote

    url = os.environ.get(SHARE_ENV)
    if not url:
        raise ProviderError(f"{who} fetches frames by URL: set {SHARE_ENV}=s3://BUCKET/PREFIX (frames are "
                            "uploaded there and sent as presigned URLs)")
    try:
        remote = open_remote(url)
    except Exception as exc:  # a malformed URL, boto3 missing
        raise ProviderError(f"{who}: {SHARE_ENV}: {exc}") from None
    try:
        return remote.share(Path(path), expires=expires)
    except Exception as exc:  # storage errors: the runner's retry tries again (nothing was submitted)
        raise TransientError(f"{who}: could not upload a frame to {url} ({type(exc).__name__})") from None
    finally:
        remote.close()


def save_fetched(data: bytes, request: Any, ctx: Any, *, video: bool, who: str, job_id: str) -> dict[str, Any]:
    """Save a finished hosted job's file to ``ctx.output_path``: a video as it is, an image fitted to
    the request's size. When the file is unusable the job's record is cleared (a new attempt must
    submit again) and ``ProviderError`` is raised. Returns the image's facts (empty for a video)."""
    try:
        if video:
            save_video(data, ctx.output_path, who=who, job_id=job_id)
            return {}
        return save_png_fitted(data, ctx.output_path, request.width, request.height, who=who, job_id=job_id)
    except ProviderError:
        if ctx.journal is not None:
            ctx.journal.clear()
        raise

