"""Veo 3.1 segments: one long-running Vertex AI operation per clip, as ``run_hosted`` drives it.

``client.models.generate_videos`` (``predictLongRunning``) returns an operation whose ``name`` is
the job id recorded in the store; a poll rebuilds the operation from that name,
``types.GenerateVideosOperation(name=...)``, and asks ``client.operations.get``
(``fetchPredictOperation``), so a retry, a rerun or a build after a ``kill -9`` resumes the same
operation. The clip arrives inline in the finished operation
(``response.videos[].bytesBase64Encoded``): in Vertex AI mode that answer is the download.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from storyrender.provider_api import (
    ArtifactError,
    JobGone,
    JobStatus,
    ProviderError,
    Result,
    RunContext,
    SubmitUncertain,
    VideoRequest,
    kit,
    probe,
)

from .calls import WHERE_VEO, other_error, poll_error, submit, translate_error
from .catalogue import PRICES, VEO_ASPECTS, call_option, truthy, video_price_per_second
from .images import nearest_aspect

if TYPE_CHECKING:  # pragma: no cover
    from .provider import GoogleProvider

__all__ = ["VeoJob", "gemini_api_refuses_veo"]

#: words in an operation's error that mean the vendor would not make this clip
_POLICY_WORDS = ("safety", "policy", "guideline", "responsible ai", "blocked", "prohibited")


class VeoJob:
    """One Veo operation, as :func:`run_hosted` drives it (see the module docstring)."""

    def __init__(self, provider: GoogleProvider, request: VideoRequest, ctx: RunContext) -> None:
        self.provider = provider
        self.request = request
        self.ctx = ctx
        self.who = f"google/{request.model}"
        self.polls = 0
        self._client: Any = None
        options = dict(request.options)
        self.resolution = str(options["resolution"]).lower() if options.get("resolution") else None
        self.duration = int(round(request.seconds))
        self.aspect = nearest_aspect(request.width, request.height, VEO_ASPECTS)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.provider.client(self.ctx, vertex=True)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def submit(self) -> str:
        from google.genai import types

        request, options = self.request, dict(self.request.options)
        config: dict[str, Any] = {
            "number_of_videos": 1,
            "duration_seconds": self.duration,
            "aspect_ratio": self.aspect,
            "seed": request.seed,
        }
        if request.last is not None:
            config["last_frame"] = types.Image(image_bytes=kit.png_bytes(request.last), mime_type="image/png")
        if self.resolution:
            config["resolution"] = self.resolution
        negative = request.negative_prompt or str(options.get("negative_prompt") or "")
        if negative:
            config["negative_prompt"] = negative
        if options.get("generate_audio") is not None:
            config["generate_audio"] = truthy(options["generate_audio"])
        source = types.GenerateVideosSource(
            prompt=kit.compose_prompt(request),
            image=types.Image(image_bytes=kit.png_bytes(request.first), mime_type="image/png"),
        )
        client = self.client
        operation = submit(lambda: client.models.generate_videos(
            model=request.model, source=source, config=types.GenerateVideosConfig(**config)),
            self.who, hosted=True, timeout=call_option(self.ctx, "http_timeout"))
        name = getattr(operation, "name", None)
        if not name:
            raise SubmitUncertain(f"{self.who} answered the submission without an operation name, so it cannot be "
                                  f"followed; it may have started a clip: {WHERE_VEO}")
        self.ctx.log(f"{self.who}: operation {name} started ({self.duration} s, {self.aspect})")
        return str(name)

    def poll(self, job_id: str) -> JobStatus:
        from google.genai import errors, types

        self.polls += 1
        client = self.client
        try:
            operation = client.operations.get(types.GenerateVideosOperation(name=job_id))
        except errors.APIError as exc:
            if getattr(exc, "code", None) == 404:
                raise JobGone(f"{self.who}: Google no longer knows operation {job_id}") from None
            raise poll_error(translate_error(exc, self.who), job_id) from None
        except ProviderError:
            raise
        except Exception as exc:
            raise poll_error(other_error(exc, self.who), job_id) from None
        return _status_of(operation, self.who)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        data = status.output
        try:
            media = _write_video(data, self.ctx.output_path, self.who, job_id)
        except ProviderError:
            # the vendor made an unreadable clip: polling again gives the same bytes
            if self.ctx.journal is not None:
                self.ctx.journal.clear()
            raise
        request = self.request
        per_second = video_price_per_second(request.model, self.resolution)
        info = {
            "model": request.model,
            "operation": job_id,
            "mode": "vertex",
            "duration_seconds": self.duration,
            "aspect_ratio": self.aspect,
            "resolution": self.resolution,
            "last_frame": request.last is not None,
            "polls": self.polls,
            "vendor_video": media,
            "price_as_of": PRICES["as_of"],
        }
        cost = round(per_second * self.duration, 6) if per_second is not None else None
        return Result(self.ctx.output_path, cost_usd=cost, info=info)

    def cancel(self, job_id: str) -> bool:
        # google-genai has no cancel for Veo operations (Operations has get only)
        return False


def _status_of(operation: Any, who: str) -> JobStatus:
    """A Veo operation as a :class:`JobStatus` (``output``: the clip's bytes when it succeeded)."""
    if not getattr(operation, "done", False):
        return JobStatus("pending", detail="running")
    error = getattr(operation, "error", None)
    if error:
        message = str(error.get("message", "") if isinstance(error, Mapping) else error)
        code = error.get("code") if isinstance(error, Mapping) else None
        refused = any(w in message.lower() for w in _POLICY_WORDS)
        # google.rpc.Code 13 INTERNAL and 14 UNAVAILABLE: Google's own transient fault; the
        # operation made nothing, so a new submission is the retry (https://cloud.google.com/apis/design/errors)
        return JobStatus("failed", error=f"the operation failed (code {code}): {message}", refused=refused,
                         retry=code in (13, 14))
    result = getattr(operation, "response", None) or getattr(operation, "result", None)
    videos = getattr(result, "generated_videos", None) or []
    if not videos:
        filtered = getattr(result, "rai_media_filtered_count", None)
        reasons = getattr(result, "rai_media_filtered_reasons", None) or []
        if filtered or reasons:
            return JobStatus("failed", error=f"the clip was filtered: {' '.join(reasons) or 'no reason given'}",
                             refused=True)
        return JobStatus("failed", error="the finished operation has no video")
    video = getattr(videos[0], "video", None)
    data = getattr(video, "video_bytes", None)
    if not data:
        uri = getattr(video, "uri", None)
        where = f" (it points at {uri}, which storyrender does not fetch)" if uri else ""
        return JobStatus("failed", error=f"the finished operation has no inline video bytes{where}")
    return JobStatus("succeeded", output=data)


def _write_video(data: bytes, path: Path, who: str, job_id: str) -> dict[str, Any]:
    """Check that *data* is a readable video (PyAV), then move it to *path*; returns its facts."""
    with kit.atomic_output(path, ".mp4") as tmp:
        tmp.write_bytes(data)
        try:
            info = probe(tmp)
        except ArtifactError as exc:
            raise ProviderError(f"{who} returned a clip that is not a readable video ({exc})",
                                job_id=job_id) from None
        if info.frames < 1:
            raise ProviderError(f"{who} returned a clip with no frames", job_id=job_id)
    return {"width": info.width, "height": info.height, "fps": info.fps, "frames": info.frames,
            "duration": info.duration, "has_audio": info.has_audio}


@functools.lru_cache(maxsize=1)
def gemini_api_refuses_veo() -> bool:
    """Whether the installed google-genai refuses ``generate_videos`` in Gemini Developer API mode.

    In google-genai 3.6.1, ``Models._generate_videos`` (``google/genai/models.py``) starts with
    ``if not self._api_client.vertexai: raise ValueError('This method is only supported in Gemini
    Enterprise Agent Platform mode, not in Gemini Developer API mode.')``: nothing is sent. Asked of
    the installed SDK itself (a client on a closed local port: a version that would send instead
    fails to connect), so an SDK upgrade that changes it is seen."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="probe", vertexai=False, http_options=types.HttpOptions(
        base_url="http://127.0.0.1:9/", timeout=2000, retry_options=types.HttpRetryOptions(attempts=1)))
    try:
        client.models.generate_videos(model="veo-probe", source=types.GenerateVideosSource(prompt="probe"))
    except ValueError as exc:
        return "only supported" in str(exc) or "not in Gemini Developer API mode" in str(exc)
    except Exception:  # it tried to send: the mode is served by this SDK
        return False
    finally:
        client.close()
    return False
