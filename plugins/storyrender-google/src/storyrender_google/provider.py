"""The ``google`` provider: Gemini image models for keyframes, Veo for segments (``google-genai``).

Jobs:

* ``text-to-image`` and ``next-keyframe`` (Gemini image models, "Nano Banana"):
  ``client.models.generate_content`` with ``response_modalities=["IMAGE"]`` and
  ``image_config=ImageConfig(aspect_ratio=...)``; a next keyframe sends
  [instruction, previous keyframe, reference images...]. The image comes back as an inline part; an
  answer without one is a refusal when the vendor gives a blocking reason.
* ``first-last-video`` and ``first-frame-video`` (Veo 3.1): ``client.models.generate_videos`` with the
  first keyframe as ``source.image`` and the last as ``config.last_frame``; the long-running
  operation is polled with ``client.operations.get`` and the clip arrives as inline bytes.

Modes and credentials. google-genai 3.x sends ``generate_videos`` only in Vertex AI mode (it raises
before sending anything in Gemini Developer API mode), so Veo always runs in Vertex mode: with an API
key (Vertex "express mode") or with a project + location and Application Default Credentials. Gemini
image models run in Gemini Developer API mode with an API key, or in Vertex mode when the board's
``vertexai`` option or ``GOOGLE_GENAI_USE_VERTEXAI`` says so. Clients are built with ``vertexai``
given explicitly and ``base_url`` only when the board sets it, so the SDK's own
``GOOGLE_GEMINI_BASE_URL`` / ``GOOGLE_VERTEX_BASE_URL`` keep working.

Retries: the SDK does not retry unless asked (no ``retry_options`` are set). Faults worth retrying
are raised as :class:`~storyrender.errors.TransientError` for storyrender's executor, except while
polling a Veo operation, where a failed poll is retried here: giving up would make the executor
submit (and pay for) a second clip while the first is still rendering.

Files are written through a temporary file and checked first (Pillow for images, PyAV for clips), so
a bad answer never leaves a file at ``ctx.output_path``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping

from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.providers.base import (
    ImageRequest,
    Job,
    KeyframeRequest,
    Limits,
    ModelInfo,
    Price,
    Provider,
    Result,
    RunContext,
    VideoRequest,
)
from storyrender.providers.kit import (
    atomic_output,
    png_bytes,
    retry_after_seconds,
    save_png_fitted,
    with_camera,
    with_negative,
)
from storyrender.providers.kit import nearest_aspect as _nearest_aspect

__all__ = ["GoogleProvider", "PRICES", "OPTIONS", "nearest_aspect", "keyframe_instruction"]

#: List prices in USD. Images: per image, by ``image_size``; video: per second of clip, by resolution.
PRICES: dict[str, Any] = {
    "as_of": "2026-11-24",
    "images": {
        "gemini-2.5-flash-image": {"1K": 0.039},
        "gemini-3-pro-image-preview": {"1K": 0.134, "2K": 0.134, "4K": 0.24},
        # published as a range ($0.045 to $0.151): 2K is priced at the 4K figure, an upper bound
        "gemini-3.1-flash-image-preview": {"1K": 0.045, "2K": 0.151, "4K": 0.151},
    },
    "video": {
        "veo-3.1": {"720p": 0.40, "1080p": 0.40, "4k": 0.60},
        # published as ranges (Fast $0.10 to $0.30, Lite $0.05 to $0.08 a second)
        "veo-3.1-fast": {"720p": 0.15, "1080p": 0.15, "4k": 0.30},
        "veo-3.1-lite": {"720p": 0.05, "1080p": 0.08},
    },
}

#: Board options this provider reads (``{use: google/MODEL, options: {...}}``).
OPTIONS: dict[str, str] = {
    "base_url": "API base URL; default: GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL or Google's",
    "vertexai": "true: Gemini image models in Vertex AI mode (Veo always is); default GOOGLE_GENAI_USE_VERTEXAI",
    "project": "Vertex AI project (default GOOGLE_CLOUD_PROJECT); with it, Application Default Credentials",
    "location": "Vertex AI location (default GOOGLE_CLOUD_LOCATION, else global)",
    "image_size": "Gemini image models: 1K | 2K | 4K (the model's default when unset)",
    "aspect_ratio": "Gemini image models: force an aspect ratio (default: nearest to the board's)",
    "resolution": "Veo: 720p | 1080p | 4k (1080p and 4k need 8 s beats); default the vendor's (720p)",
    "negative_prompt": "Veo: what to keep out of the clip (the beat's negative prompt wins)",
    "generate_audio": "Veo: true/false (the vendor's default when unset)",
    "poll_interval": "Veo: seconds between polls of the operation (default 10)",
    "timeout": "Veo: seconds to wait for the operation in all (default 1200)",
    "http_timeout": "seconds for one HTTP request (the SDK's default when unset)",
}

IMAGE_ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9")
VEO_ASPECTS = ("16:9", "9:16")
VEO_DURATIONS = (4.0, 6.0, 8.0)
VEO_RESOLUTIONS = ("720p", "1080p", "4k")
DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_TIMEOUT = 1200.0

#: finish reasons (and prompt block reasons) that mean "the vendor would not draw this"
REFUSAL_REASONS = frozenset({
    "SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "MODEL_ARMOR",
})
_KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


# ---------------------------------------------------------------------------------------------
# models and prices
# ---------------------------------------------------------------------------------------------


def _veo_family(model: str) -> str:
    if "lite" in model:
        return "veo-3.1-lite"
    if "fast" in model:
        return "veo-3.1-fast"
    return "veo-3.1"


def video_price_per_second(model: str, resolution: str | None) -> float | None:
    table = PRICES["video"].get(_veo_family(model), {})
    return table.get((resolution or "720p").lower())


def image_price(model: str, image_size: str | None) -> float | None:
    table = PRICES["images"].get(model)
    if not table:
        return None
    size = (image_size or "1K").upper()
    if size in table:
        return table[size]
    return max(table.values())  # an unknown size: the dearest known price, an upper bound


def _image_model(name: str, description: str) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}),
        price=Price(per_image=image_price(name, None), as_of=PRICES["as_of"]),
        description=description,
    )


def _veo_model(name: str, description: str) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
        limits=Limits(durations=VEO_DURATIONS, aspect_ratios=VEO_ASPECTS),
        price=Price(per_second=video_price_per_second(name, None), as_of=PRICES["as_of"]),
        description=description,
    )


def nearest_aspect(width: int, height: int, choices: tuple[str, ...] = IMAGE_ASPECTS) -> str:
    """The ratio in *choices* closest to width:height (compared on a log scale)."""
    return _nearest_aspect(width, height, choices)


def keyframe_instruction(prompt: str, seconds: float, *, references: int = 0, camera: str | None = None,
                         negative: str = "") -> str:
    """The instruction that makes the next keyframe: the same scene, N seconds later."""
    text = (
        f"The same scene {seconds:g} seconds later: {prompt.strip().rstrip('.')}. "
        "Keep the characters, style, lighting and camera consistent."
    )
    if camera:
        text += f" Camera: {camera}."
    if references:
        text += " The images after the first show the characters: keep them looking exactly like that."
    return with_negative(text, negative)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# the provider
# ---------------------------------------------------------------------------------------------


class GoogleProvider(Provider):
    """Gemini image models (keyframes) and Veo 3.1 (segments) through ``google-genai``."""

    name = "google"
    version = "1"
    description = "Google: Gemini image models for keyframes, Veo 3.1 for first+last-frame segments"
    key_env = _KEY_VARS
    concurrency = 4
    options_help = OPTIONS
    models = (
        _image_model("gemini-2.5-flash-image", "Gemini 2.5 Flash Image (Nano Banana); reportedly retired 2026-10"),
        _image_model("gemini-3-pro-image-preview", "Gemini 3 Pro Image (Nano Banana Pro); 1K, 2K, 4K"),
        _image_model("gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image"),
        _veo_model("veo-3.1-generate-preview", "Veo 3.1: first+last frame, 4/6/8 s, 16:9 or 9:16"),
        _veo_model("veo-3.1-fast-generate-preview", "Veo 3.1 Fast"),
        _veo_model("veo-3.1-lite-generate-preview", "Veo 3.1 Lite"),
        _veo_model("veo-3.1-generate-001", "Veo 3.1 (Vertex AI GA name)"),
        _veo_model("veo-3.1-fast-generate-001", "Veo 3.1 Fast (Vertex AI GA name)"),
        _veo_model("veo-3.1-lite-generate-001", "Veo 3.1 Lite (Vertex AI GA name)"),
    )

    # -- description -------------------------------------------------------------------------
    def resolve_model(self, model: str) -> ModelInfo:
        """Known models, plus other ``veo-*`` and ``gemini-*-image*`` names (new snapshots)."""
        info = self.model_info(model)
        if info is not None:
            return info
        if model.startswith("veo-"):
            return _veo_model(model, "Veo model (not in this plugin's table: priced as its family)")
        if model.startswith("gemini-") and "image" in model:
            return _image_model(model, "Gemini image model (not in this plugin's table: no price known)")
        raise KeyError(model)

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        problems = super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        who = f"google/{model.name}"
        if job in (Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO):
            resolution = options.get("resolution")
            if resolution is not None and str(resolution).lower() not in VEO_RESOLUTIONS:
                problems.append(f"{who}: resolution must be one of {', '.join(VEO_RESOLUTIONS)}, not {resolution!r}")
            elif resolution is not None and str(resolution).lower() != "720p" and seconds is not None \
                    and abs(seconds - 8) > 1e-6:
                problems.append(f"{who} makes {resolution} clips of 8 s only, not {seconds:g} s: "
                                f"set the beat's seconds to 8 or the resolution to 720p")
            if "vertexai" in options and not _truthy(options["vertexai"]):
                problems.append(f"{who}: Veo runs in Vertex AI mode only (google-genai 3.x): "
                                f"remove the vertexai: false option")
        else:
            size = options.get("image_size")
            if size is not None and str(size).upper() not in ("1K", "2K", "4K"):
                problems.append(f"{who}: image_size must be 1K, 2K or 4K, not {size!r}")
            ratio = options.get("aspect_ratio")
            if ratio is not None and ratio not in IMAGE_ASPECTS:
                problems.append(f"{who}: aspect_ratio must be one of {', '.join(IMAGE_ASPECTS)}, not {ratio!r}")
        return problems

    def has_key(self) -> bool:
        """A key, or a Vertex AI project (for Application Default Credentials)."""
        return any(os.environ.get(v) for v in (*_KEY_VARS, "GOOGLE_CLOUD_PROJECT"))

    # -- jobs: images --------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        contents: list[Any] = [with_negative(with_camera(request.prompt, request.hints), request.negative_prompt)]
        return self._image(request, contents, request.references, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        instruction = keyframe_instruction(request.prompt, request.seconds, references=len(request.references),
                                           camera=request.hints.get("camera"), negative=request.negative_prompt)
        return self._image(request, [instruction, Path(request.previous)], request.references, ctx)

    def _image(self, request: ImageRequest | KeyframeRequest, contents: list[Any], references: tuple[Path, ...],
               ctx: RunContext) -> Result:
        options = dict(request.options)
        vertex = _truthy(options["vertexai"]) if "vertexai" in options else _truthy(
            os.environ.get("GOOGLE_GENAI_USE_ENTERPRISE") or os.environ.get("GOOGLE_GENAI_USE_VERTEXAI") or "")
        client = self._client(options, vertex=vertex)
        from google.genai import types

        parts: list[Any] = []
        for item in [*contents, *references]:
            if isinstance(item, Path):
                parts.append(types.Part.from_bytes(data=png_bytes(item), mime_type="image/png"))
            else:
                parts.append(item)
        aspect = str(options.get("aspect_ratio") or nearest_aspect(request.width, request.height))
        image_config: dict[str, Any] = {"aspect_ratio": aspect}
        if options.get("image_size"):
            image_config["image_size"] = str(options["image_size"]).upper()
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(**image_config),
            seed=request.seed,
        )
        who = f"google/{request.model}"
        ctx.log(f"{who}: generate_content ({aspect}, {len(parts) - 1} image(s) in)")
        try:
            response = _call(lambda: client.models.generate_content(model=request.model, contents=parts,
                                                                    config=config), who)
        finally:
            client.close()
        raw, mime = _image_from(response, who)
        native = save_png_fitted(raw, ctx.output_path, request.width, request.height, who=who)["native_size"]
        usage = getattr(response, "usage_metadata", None)
        info = {
            "model": request.model,
            "mode": "vertex" if vertex else "gemini-api",
            "aspect_ratio": aspect,
            "image_size": image_config.get("image_size"),
            "vendor_image_size": native,
            "vendor_mime_type": mime,
            "usage": usage.model_dump(exclude_none=True, mode="json") if hasattr(usage, "model_dump") else None,
            "price_as_of": PRICES["as_of"],
        }
        return Result(ctx.output_path, cost_usd=image_price(request.model, image_config.get("image_size")),
                      info=info)

    # -- jobs: video ---------------------------------------------------------------------------
    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        options = dict(request.options)
        who = f"google/{request.model}"
        duration = int(round(request.seconds))
        if not any(abs(request.seconds - d) < 1e-6 for d in VEO_DURATIONS):
            raise ProviderError(f"{who} makes clips of 4, 6 or 8 s, not {request.seconds:g} s")
        poll_interval = float(options.get("poll_interval", DEFAULT_POLL_INTERVAL))
        timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        resolution = str(options["resolution"]).lower() if options.get("resolution") else None
        negative = request.negative_prompt or str(options.get("negative_prompt") or "")
        aspect = nearest_aspect(request.width, request.height, VEO_ASPECTS)

        client = self._client(options, vertex=True)
        from google.genai import types

        config: dict[str, Any] = {
            "number_of_videos": 1,
            "duration_seconds": duration,
            "aspect_ratio": aspect,
            "seed": request.seed,
        }
        if request.last is not None:
            config["last_frame"] = types.Image(image_bytes=png_bytes(request.last), mime_type="image/png")
        if resolution:
            config["resolution"] = resolution
        if negative:
            config["negative_prompt"] = negative
        if "generate_audio" in options:
            config["generate_audio"] = _truthy(options["generate_audio"])
        source = types.GenerateVideosSource(
            prompt=with_camera(request.prompt, request.hints),
            image=types.Image(image_bytes=png_bytes(request.first), mime_type="image/png"),
        )
        try:
            operation = _call(lambda: client.models.generate_videos(
                model=request.model, source=source, config=types.GenerateVideosConfig(**config)), who)
            job_id = getattr(operation, "name", None)
            if not job_id:
                raise ProviderError(f"{who} answered without an operation name")
            ctx.log(f"{who}: operation {job_id} started ({duration} s, {aspect})")
            operation, polls = self._wait(client, operation, who, job_id, poll_interval, timeout, ctx)
        finally:
            client.close()
        data = _video_from(operation, who, job_id)
        media = _write_video(data, ctx.output_path, who, job_id)
        per_second = video_price_per_second(request.model, resolution)
        info = {
            "model": request.model,
            "operation": job_id,
            "mode": "vertex",
            "duration_seconds": duration,
            "aspect_ratio": aspect,
            "resolution": resolution,
            "last_frame": request.last is not None,
            "polls": polls,
            "vendor_video": media,
            "price_as_of": PRICES["as_of"],
        }
        cost = round(per_second * duration, 6) if per_second is not None else None
        return Result(ctx.output_path, cost_usd=cost, info=info)

    def _wait(self, client: Any, operation: Any, who: str, job_id: str, interval: float, timeout: float,
              ctx: RunContext) -> tuple[Any, int]:
        """Poll until done. Failed polls are retried until the deadline (the job keeps running)."""
        deadline = time.monotonic() + timeout
        polls = 0
        while not getattr(operation, "done", False):
            if ctx.cancelled():
                raise ProviderError(f"{who}: stopped while waiting; the operation may still finish and be billed",
                                    job_id=job_id)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(f"{who} did not finish within {timeout:g} s (the timeout option); "
                                    f"the operation may still finish and be billed", job_id=job_id)
            time.sleep(min(interval, remaining))
            polls += 1
            try:
                operation = _call(lambda: client.operations.get(operation), who)
            except TransientError as exc:
                ctx.log(f"{who}: polling {job_id} failed ({exc.message}); trying again")
                continue
        return operation, polls

    # -- clients and credentials ---------------------------------------------------------------
    def credentials(self, options: Mapping[str, Any], *, vertex: bool) -> dict[str, Any]:
        """How the client authenticates: ``{"api_key": ...}`` or ``{"project": ..., "location": ...}``.

        Vertex mode uses a project (with Application Default Credentials) when the ``project`` option
        or ``GOOGLE_CLOUD_PROJECT`` is set, else an API key (express mode), as the SDK itself does.
        :raises MissingKeyError: naming what to set, before any request.
        """
        key = next((os.environ[v] for v in _KEY_VARS if os.environ.get(v)), None)
        if vertex:
            project = options.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT")
            if project:
                location = options.get("location") or os.environ.get("GOOGLE_CLOUD_LOCATION") or "global"
                return {"project": str(project), "location": str(location)}
            if key:
                return {"api_key": key}
            raise MissingKeyError(
                "provider 'google' needs Vertex AI credentials here (Veo runs in Vertex AI mode): set "
                "GOOGLE_API_KEY or GEMINI_API_KEY to a Vertex AI express-mode API key, or set "
                "GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION) and run "
                "`gcloud auth application-default login` "
                "(or build with --offline to render with the local provider)"
            )
        if key:
            return {"api_key": key}
        raise MissingKeyError(
            "provider 'google' needs an API key: set GOOGLE_API_KEY or GEMINI_API_KEY "
            "(or build with --offline to render with the local provider)"
        )

    def _client(self, options: Mapping[str, Any], *, vertex: bool):
        creds = self.credentials(options, vertex=vertex)
        from google import genai
        from google.genai import types

        http: dict[str, Any] = {}
        if options.get("base_url"):
            http["base_url"] = str(options["base_url"])
        if options.get("http_timeout") is not None:
            http["timeout"] = int(float(options["http_timeout"]) * 1000)
        try:
            return genai.Client(vertexai=vertex, http_options=types.HttpOptions(**http) if http else None, **creds)
        except ValueError as exc:  # the SDK's own check of the credentials it was given
            raise MissingKeyError(f"provider 'google': {exc}") from None


# ---------------------------------------------------------------------------------------------
# calls, answers, errors
# ---------------------------------------------------------------------------------------------


def _call(fn, who: str):
    """Run one SDK call, turning its exceptions into storyrender errors."""
    from google.genai import errors

    try:
        return fn()
    except errors.APIError as exc:
        raise translate_error(exc, who) from None
    except ProviderError:
        raise
    except Exception as exc:  # transport faults, credentials, or an answer the SDK could not parse
        raise _other_error(exc, who) from None


def _other_error(exc: Exception, who: str) -> ProviderError:
    transport: tuple[type, ...] = ()
    for name in ("httpx2", "httpx"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        transport += (module.TransportError,)
    if transport and isinstance(exc, transport):
        kind = "did not answer in time" if "Timeout" in type(exc).__name__ else "could not be reached"
        return TransientError(f"{who}: the Google API {kind} ({type(exc).__name__})")
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
    seconds = retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
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


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _image_from(response: Any, who: str) -> tuple[bytes, str]:
    """The first inline image of a generate_content answer, or the reason there is none."""
    candidates = getattr(response, "candidates", None) or []
    texts: list[str] = []
    for candidate in candidates:
        content = getattr(candidate, "content", None)
        for part in (getattr(content, "parts", None) or []):
            blob = getattr(part, "inline_data", None)
            data = getattr(blob, "data", None)
            mime = getattr(blob, "mime_type", None) or ""
            if data and mime.startswith("image/"):
                return data, mime
            if getattr(part, "text", None):
                texts.append(part.text)
    reasons: list[str] = []
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None) is not None:
        reasons.append(_enum_name(feedback.block_reason) or "")
        if getattr(feedback, "block_reason_message", None):
            texts.insert(0, feedback.block_reason_message)
    for candidate in candidates:
        reason = _enum_name(getattr(candidate, "finish_reason", None))
        if reason and reason != "STOP":
            reasons.append(reason)
        if getattr(candidate, "finish_message", None):
            texts.append(candidate.finish_message)
    said = " ".join(t.strip() for t in texts if t and t.strip())
    said = f": {said[:500]}" if said else ""
    if any(r in REFUSAL_REASONS for r in reasons):
        return _raise(RefusedError(f"{who} made no image ({', '.join(reasons)}){said}"))
    if reasons:
        return _raise(ProviderError(f"{who} made no image ({', '.join(reasons)}){said}"))
    return _raise(ProviderError(f"{who} answered without an image part{said}"))


def _raise(exc: Exception):
    raise exc


def _video_from(operation: Any, who: str, job_id: str) -> bytes:
    error = getattr(operation, "error", None)
    if error:
        message = str(error.get("message", "") if isinstance(error, Mapping) else error)
        code = error.get("code") if isinstance(error, Mapping) else None
        lowered = message.lower()
        if any(w in lowered for w in ("safety", "policy", "guideline", "responsible ai", "blocked", "prohibited")):
            raise RefusedError(f"{who} refused the clip: {message}", job_id=job_id)
        if code in (4, 8, 10, 13, 14):  # DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE
            raise TransientError(f"{who}: the operation failed (code {code}): {message}", job_id=job_id)
        raise ProviderError(f"{who}: the operation failed (code {code}): {message}", job_id=job_id)
    result = getattr(operation, "response", None) or getattr(operation, "result", None)
    videos = getattr(result, "generated_videos", None) or []
    if not videos:
        filtered = getattr(result, "rai_media_filtered_count", None)
        reasons = getattr(result, "rai_media_filtered_reasons", None) or []
        if filtered or reasons:
            raise RefusedError(f"{who} filtered the clip: {' '.join(reasons) or 'no reason given'}", job_id=job_id)
        raise ProviderError(f"{who}: the finished operation has no video", job_id=job_id)
    video = getattr(videos[0], "video", None)
    data = getattr(video, "video_bytes", None)
    if not data:
        uri = getattr(video, "uri", None)
        where = f" (it points at {uri}, which storyrender does not fetch)" if uri else ""
        raise ProviderError(f"{who}: the finished operation has no inline video bytes{where}", job_id=job_id)
    return data


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def _write_video(data: bytes, path: Path, who: str, job_id: str) -> dict[str, Any]:
    """Check that *data* is a readable video (PyAV), then move it to *path*; returns its facts."""
    from storyrender.errors import ArtifactError
    from storyrender.media.probe import probe

    with atomic_output(path, ".mp4") as tmp:
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
