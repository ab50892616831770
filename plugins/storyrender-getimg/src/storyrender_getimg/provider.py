"""The ``getimg`` provider: getimg.ai's v2 API through the official ``getimg`` SDK.

The v2 API is the same for every model: images are ``POST /v2/images/generations`` (answered
at once), videos ``POST /v2/videos/generations`` then ``GET /v2/videos/generations/{id}`` until
``completed`` or ``failed``; input images go in ``images: [{role?, url}]`` as data URIs. So any
model id works (``getimg/MODEL``); the built-in table only gives defaults and list prices.

Options (all optional): ``aspect_ratio`` (default: nearest common ratio to the board size),
``resolution``, ``sound`` (default false), ``params`` (extra body fields sent as they are),
``durations`` (clip lengths to validate against), ``timeout`` (default 1800 s for
video, 300 s for images), ``poll_interval`` (default 5 s), ``poll_retries`` (default 5),
``max_retries`` (the SDK's retries of 408/409/429/5xx, default 2), ``base_url`` (default: the
SDK's own, ``GETIMG_AI_BASE_URL`` or https://api.getimg.ai), ``keyframe_prompt``.
"""

from __future__ import annotations

import re
import time
from typing import Any, Mapping

from storyrender.errors import ProviderError, RefusedError, TransientError
from storyrender.providers.base import (
    ImageRequest,
    Job,
    KeyframeRequest,
    ModelInfo,
    Price,
    Provider,
    Result,
    RunContext,
    VideoRequest,
)
from storyrender.providers.kit import (
    NEXT_KEYFRAME_PROMPT,
    data_uri,
    download,
    nearest_aspect,
    retry_after_seconds,
    save_png_fitted,
    save_video,
)

__all__ = ["GetimgProvider", "PRICES_AS_OF"]

#: the date the list prices below were recorded; the API reports each call's actual cost
PRICES_AS_OF = "2026-11-24"

_VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")
_REFUSAL = re.compile(r"content[\s_-]*polic|nsfw|safety|moderat|flagged|inappropriate|prohibited|violat",
                      re.IGNORECASE)

_MODELS = (
    ModelInfo(
        name="seedream-5-lite", jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}),
        price=Price(per_image=0.035, as_of=PRICES_AS_OF),
        description="Seedream 5 Lite: text-to-image, and edits of the previous keyframe (reference image)",
    ),
    ModelInfo(
        name="seedance-v1-pro", jobs=frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
        price=Price(per_second=0.06, as_of=PRICES_AS_OF),
        description="Seedance 1 Pro: first frame, and last frame where the model accepts one",
    ),
)


class GetimgProvider(Provider):
    """Runs getimg.ai models through the ``getimg`` SDK (v2 API)."""

    name = "getimg"
    version = "1"
    description = "getimg.ai v2 API (getimg/MODEL, any model id); key GETIMG_API_KEY"
    key_env = ("GETIMG_API_KEY",)
    concurrency = 4
    models = _MODELS

    # -- description ------------------------------------------------------------------------
    def resolve_model(self, model: str) -> ModelInfo:
        info = self.model_info(model)
        if info is not None:
            return info
        if not re.fullmatch(r"[A-Za-z0-9._-]+", model or ""):
            raise KeyError(f"{model!r} is not a getimg model id (e.g. {', '.join(m.name for m in _MODELS)}; "
                           "GET /v2/models lists them)")
        return ModelInfo(name=model, jobs=_ALL_JOBS,
                         description="a getimg model id without a built-in entry (no list price)")

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        problems: list[str] = []
        if job not in model.jobs:
            problems.append(f"getimg/{model.name} does {', '.join(sorted(j.value for j in model.jobs))}, "
                            f"not {job.value}")
        if job in _VIDEO_JOBS and seconds is not None and not float(seconds).is_integer():
            problems.append(f"getimg/{model.name} takes whole seconds, not {seconds:g} s")
        durations = options.get("durations")
        if durations is not None:
            import dataclasses

            try:
                model = dataclasses.replace(model, limits=dataclasses.replace(
                    model.limits, durations=tuple(float(d) for d in durations)))
            except (TypeError, ValueError):
                problems.append(f"getimg/{model.name}: options.durations must be a list of seconds")
        problems += super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        return problems


    # -- jobs -------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        body = self._body(request.prompt, request, opts)
        body["output_format"] = "png"
        return self._image(request.model, body, key, opts, ctx, request.width, request.height)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        prompt = str(opts.get("keyframe_prompt", NEXT_KEYFRAME_PROMPT)).format(
            seconds=request.seconds, prompt=request.prompt)
        body = self._body(prompt, request, opts)
        body["output_format"] = "png"
        body["images"] = [{"url": data_uri(request.previous)}]
        return self._image(request.model, body, key, opts, ctx, request.width, request.height)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        body = self._body(request.prompt, request, opts)
        images = [{"role": "first_frame", "url": data_uri(request.first)}]
        if request.last is not None:
            images.append({"role": "last_frame", "url": data_uri(request.last)})
        body["images"] = images
        body["duration"] = int(round(float(request.seconds)))
        body.setdefault("sound", bool(opts.get("sound", False)))
        return self._video(request.model, body, key, opts, ctx, request.seconds)

    @staticmethod
    def _body(prompt: str, request: Any, opts: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": prompt}
        body["aspect_ratio"] = str(opts.get("aspect_ratio") or nearest_aspect(request.width, request.height, _RATIOS))
        if opts.get("resolution"):
            body["resolution"] = str(opts["resolution"])
        params = opts.get("params") or {}
        if not isinstance(params, Mapping):
            raise ProviderError("options.params must be a mapping of body fields to values")
        body.update(params)
        return body

    # -- calls ------------------------------------------------------------------------------
    def _client(self, key: str, opts: Mapping[str, Any], timeout: float):
        import getimg

        # base_url None lets the SDK read GETIMG_AI_BASE_URL itself.
        return getimg.GetimgAI(api_key=key, base_url=opts.get("base_url") or None, timeout=timeout,
                               max_retries=int(opts.get("max_retries", 2)))

    @staticmethod
    def _split(body: dict[str, Any], known: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """SDK keyword arguments and the rest (sent with ``extra_body``)."""
        kwargs = {k: v for k, v in body.items() if k in known}
        extra = {k: v for k, v in body.items() if k not in known}
        return kwargs, extra

    def _image(self, model: str, body: dict[str, Any], key: str, opts: Mapping[str, Any], ctx: RunContext,
               width: int, height: int) -> Result:
        client = self._client(key, opts, float(opts.get("timeout", 300.0)))
        kwargs, extra = self._split(body, ("prompt", "aspect_ratio", "images", "output_format", "resolution"))
        ctx.log(f"getimg/{model}: generating an image")
        response = self._call(lambda: client.images.generate(model=model, extra_body=extra or None, **kwargs),
                              model)
        job_id, url, cost = self._completed(response, model)
        data = download(url, who=f"getimg/{model}", job_id=job_id)
        info: dict[str, Any] = {"job_id": job_id, "model": model}
        info.update(save_png_fitted(data, ctx.output_path, width, height, who=f"getimg/{model}", job_id=job_id))
        return Result(ctx.output_path, cost_usd=cost, info=info)

    def _video(self, model: str, body: dict[str, Any], key: str, opts: Mapping[str, Any], ctx: RunContext,
               seconds: float) -> Result:
        timeout = float(opts.get("timeout", 1800.0))
        interval = float(opts.get("poll_interval", 5.0))
        retries = int(opts.get("poll_retries", 5))
        client = self._client(key, opts, float(opts.get("request_timeout", 120.0)))
        kwargs, extra = self._split(body, ("prompt", "aspect_ratio", "duration", "images", "resolution", "sound"))
        deadline = time.monotonic() + timeout
        created = self._call(lambda: client.videos.generations.create(model=model, extra_body=extra or None,
                                                                       **kwargs), model)
        job_id = _field(created, "id", model)
        ctx.log(f"getimg/{model}: video {job_id} is {getattr(created, 'status', '?')}")
        shown = getattr(created, "status", None)
        failures = 0
        while True:
            if ctx.cancelled():
                raise ProviderError(f"getimg/{model}: stopped by the build (the API has no cancel; the "
                                    "generation may still finish and be billed)", job_id=job_id)
            now = time.monotonic()
            if now >= deadline:
                raise ProviderError(
                    f"getimg/{model} did not finish within {timeout:g} s (last status {shown}; the API "
                    "has no cancel): raise options.timeout for slow models", job_id=job_id)
            time.sleep(max(0.0, min(interval, deadline - now)))
            try:
                current = self._call(lambda: client.videos.generations.retrieve(job_id), model, job_id=job_id)
                failures = 0
            except TransientError as exc:
                failures += 1
                if failures > retries:
                    raise
                ctx.log(f"getimg/{model}: polling {job_id} failed ({exc.message}); trying again")
                continue
            status = _field(current, "status", model, job_id)
            if status != shown:
                shown = status
                ctx.log(f"getimg/{model}: video {job_id} is {status}")
            if status == "failed":
                err = getattr(current, "error", None)
                code = str(getattr(err, "code", "") or "")
                message = str(getattr(err, "message", "") or "the generation failed without a reason")
                cls = RefusedError if _REFUSAL.search(f"{code} {message}") else ProviderError
                raise cls(f"getimg/{model} failed: {message}" + (f" ({code})" if code else ""), job_id=job_id)
            if status == "completed":
                break
        _, url, cost = self._completed(current, model)
        data = download(url, who=f"getimg/{model}", job_id=job_id)
        save_video(data, ctx.output_path, who=f"getimg/{model}", job_id=job_id)
        info: dict[str, Any] = {"job_id": job_id, "model": model}
        item = current.data[0]
        for k in ("duration", "fps", "width", "height"):
            if getattr(item, k, None) is not None:
                info[k] = getattr(item, k)
        return Result(ctx.output_path, cost_usd=cost, info=info)

    @staticmethod
    def _completed(response: Any, model: str) -> tuple[str, str, float | None]:
        """(id, first media URL, usage.total_cost) of a completed generation."""
        job_id = _field(response, "id", model)
        try:
            url = response.data[0].url
            if not isinstance(url, str) or not url:
                raise TypeError("data[0].url")
        except (AttributeError, IndexError, TypeError, KeyError):
            raise ProviderError(f"getimg/{model} completed but returned no file", job_id=job_id) from None
        usage = getattr(response, "usage", None)
        cost = getattr(usage, "total_cost", None) if usage is not None else None
        try:
            cost = None if cost is None else float(cost)
        except (TypeError, ValueError):
            cost = None
        return job_id, url, cost

    @staticmethod
    def _call(fn, model: str, *, job_id: str | None = None):
        """Call the SDK, turning its exceptions into storyrender's."""
        import getimg

        prefix = f"getimg/{model}"
        try:
            return fn()
        except getimg.APIStatusError as exc:
            status = exc.status_code
            code, reason = _error_parts(exc.body)
            text = f"{prefix}: HTTP {status}: {reason}" + (f" ({code})" if code else "")
            if status in (400, 403, 422) and _REFUSAL.search(f"{code} {reason}"):
                raise RefusedError(text, job_id=job_id) from None
            if status == 429:
                wait = retry_after_seconds(getattr(exc.response, "headers", None))
                raise TransientError(text, job_id=job_id, retry_after=wait) from None
            if status >= 500 or status in (408, 409):
                raise TransientError(text, job_id=job_id) from None
            if status in (401, 403):
                raise ProviderError(f"{prefix}: the API key was refused (HTTP {status}): {reason}; "
                                    "check GETIMG_API_KEY", job_id=job_id) from None
            raise ProviderError(text, job_id=job_id) from None
        except getimg.APIConnectionError as exc:  # includes timeouts
            raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
        except getimg.APIResponseValidationError as exc:
            raise ProviderError(f"{prefix}: unexpected response from the API ({exc})", job_id=job_id) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ProviderError(f"{prefix}: unexpected response from the API ({type(exc).__name__}: "
                                f"{str(exc)[:200]})", job_id=job_id) from None


def _field(obj: Any, name: str, model: str, job_id: str | None = None) -> Any:
    value = getattr(obj, name, None)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"getimg/{model}: unexpected response from the API (no {name})", job_id=job_id)
    return value


def _error_parts(body: Any) -> tuple[str, str]:
    """(code, message) from a getimg error body such as ``{"error": {"code", "message"}}``."""
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            code = str(err.get("code") or err.get("type") or "")
            message = str(err.get("message") or err.get("detail") or "")
            return code, message or "no reason given"
        if isinstance(err, str):
            return "", err
    if isinstance(body, str) and body:
        return "", body[:300]
    return "", "no reason given"
