"""The ``fal`` provider: fal.ai apps through the fal queue, with the official ``fal-client``.

A board names an app as ``fal/OWNER/APP[/PATH]`` (e.g. ``fal/fal-ai/wan-flf2v``). Built-in apps
(:data:`BUILTIN`) know their parameter names, clip lengths and list prices; any other app works
once the board maps its inputs (``options.inputs``), as for the replicate provider.

Options: ``inputs``, ``params`` (extra arguments sent as they are), ``durations``,
``timeout`` (default 1800 s), ``poll_interval`` (default 2 s), ``poll_retries`` (default 5),
``upload`` (``data_uri``, the default, or ``cdn``: fal's storage upload), ``keyframe_prompt``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from storyrender.errors import ProviderError, RefusedError, TransientError
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
    NEXT_KEYFRAME_PROMPT,
    InputMap,
    download,
    input_key_problems,
    retry_after_seconds,
    save_png_fitted,
    save_video,
)

__all__ = ["FalProvider", "InputMap", "BUILTIN", "PRICES_AS_OF"]

#: the date the list prices below were recorded (a storyboard's ``prices:`` table overrides them)
PRICES_AS_OF = "2026-11-24"

_VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_REFUSAL = re.compile(r"content[\s_-]*polic|nsfw|safety|moderat|flagged|inappropriate|prohibited|violat",
                      re.IGNORECASE)


@dataclass(frozen=True)
class _Builtin:
    info: ModelInfo
    inputs: InputMap


_VIDEO = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})

#: built-in apps; the first is the default video app
BUILTIN: dict[str, _Builtin] = {
    b.info.name: b
    for b in (
        _Builtin(
            ModelInfo(
                name="fal-ai/veo3.1/fast/first-last-frame-to-video", jobs=frozenset({Job.FIRST_LAST_VIDEO}),
                limits=Limits(durations=(4, 6, 8), aspect_ratios=("16:9", "9:16")),
                price=Price(per_second=0.10, as_of=PRICES_AS_OF),
                description="Veo 3.1 Fast, first and last frame; 4, 6 or 8 s; sent without generated audio",
            ),
            InputMap(first_frame="first_frame_url", last_frame="last_frame_url", duration="duration",
                     duration_format="{:g}s", aspect_ratio="aspect_ratio", aspect_ratios=("16:9", "9:16"),
                     negative_prompt="negative_prompt", defaults={"generate_audio": False}),
        ),
        _Builtin(
            ModelInfo(
                name="fal-ai/wan-flf2v", jobs=frozenset({Job.FIRST_LAST_VIDEO}),
                limits=Limits(durations=(5,)),
                price=Price(per_call=0.40, as_of=PRICES_AS_OF),
                description="Wan 2.1 first-last-frame-to-video: 81 frames at 16 fps (about 5 s); price at 720p",
            ),
            InputMap(first_frame="start_image_url", last_frame="end_image_url", seed="seed",
                     negative_prompt="negative_prompt"),
        ),
        _Builtin(
            ModelInfo(
                name="fal-ai/kling-video/v3/pro/image-to-video", jobs=_VIDEO,
                limits=Limits(durations=(5, 10)),
                price=Price(per_second=0.112, as_of=PRICES_AS_OF),
                description="Kling 3 Pro image-to-video with an optional end image; 5 or 10 s",
            ),
            InputMap(first_frame="start_image_url", last_frame="end_image_url", duration="duration",
                     duration_format="{:g}", negative_prompt="negative_prompt"),
        ),
    )
}


def _check_app(app: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+", app or ""):
        raise ValueError(app)
    return app


class FalProvider(Provider):
    """Runs fal.ai apps through the fal queue (submit, poll status, fetch the result)."""

    name = "fal"
    version = "1"
    description = "fal.ai apps (fal/OWNER/APP[/PATH]) through the queue API; key FAL_KEY"
    key_env = ("FAL_KEY",)
    concurrency = 4
    models = tuple(b.info for b in BUILTIN.values())

    def api_key(self) -> str:
        """``FAL_KEY``, or the pair ``FAL_KEY_ID`` + ``FAL_KEY_SECRET`` (as fal-client reads them)."""
        import os

        if os.environ.get("FAL_KEY"):
            return os.environ["FAL_KEY"]
        key_id, secret = os.environ.get("FAL_KEY_ID"), os.environ.get("FAL_KEY_SECRET")
        if key_id and secret:
            return f"{key_id}:{secret}"
        return super().api_key()  # raises MissingKeyError naming FAL_KEY

    def has_key(self) -> bool:
        import os

        return bool(os.environ.get("FAL_KEY") or (os.environ.get("FAL_KEY_ID") and os.environ.get("FAL_KEY_SECRET")))

    # -- description ------------------------------------------------------------------------
    def resolve_model(self, model: str) -> ModelInfo:
        try:
            _check_app(model)
        except ValueError:
            raise KeyError(f"{model!r} is not a fal app id: write fal/OWNER/APP[/PATH] "
                           f"(built-in apps: {', '.join(BUILTIN)})") from None
        if model in BUILTIN:
            return BUILTIN[model].info
        return ModelInfo(name=model, jobs=_ALL_JOBS,
                         description="a fal app without a built-in mapping: options.inputs names its arguments")

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        names = options.get("inputs")
        problems = input_key_problems(f"fal/{model.name}", names,
                                      "{first_frame: start_image_url, last_frame: end_image_url}")
        if names is not None and not isinstance(names, Mapping):
            return problems
        if model.name not in BUILTIN and not names:
            problems.append(
                f"fal/{model.name} has no built-in input mapping: give options.inputs (e.g. "
                "{first_frame: start_image_url, last_frame: end_image_url, prompt: prompt, duration: duration}) "
                f"or use a built-in app: {', '.join(BUILTIN)}"
            )
            return problems
        inputs = self._inputs(model.name, options)
        if model.name in BUILTIN:
            jobs = model.jobs
        else:
            jobs = inputs.jobs()
        if job not in jobs:
            problems.append(f"fal/{model.name} does {', '.join(sorted(j.value for j in jobs))}, not {job.value}")
        durations = options.get("durations")
        if durations is not None and model.name not in BUILTIN:
            try:
                model = dataclasses.replace(model, limits=dataclasses.replace(
                    model.limits, durations=tuple(float(d) for d in durations)))
            except (TypeError, ValueError):
                problems.append(f"fal/{model.name}: options.durations must be a list of seconds")
        problems += super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        return problems


    def _inputs(self, model: str, options: Mapping[str, Any]) -> InputMap:
        names = options.get("inputs") or {}
        if model in BUILTIN:
            return BUILTIN[model].inputs.merged(names)
        if not names:
            raise ProviderError(f"fal/{model} has no built-in input mapping: give options.inputs "
                                f"(built-in apps: {', '.join(BUILTIN)})")
        return InputMap(prompt=None).merged(names)

    # -- jobs -------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        args = m.fill({}, request.prompt, request, opts.get("params"))
        return self._run(Job.TEXT_TO_IMAGE, request.model, args, (), key, opts, ctx, request.width,
                         request.height, None)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.image:
            raise ProviderError(f"fal/{request.model} has no argument mapped for the previous keyframe "
                                "(options.inputs.image)")
        prompt = str(opts.get("keyframe_prompt", NEXT_KEYFRAME_PROMPT)).format(
            seconds=request.seconds, prompt=request.prompt)
        args = m.fill({}, prompt, request, opts.get("params"))
        return self._run(Job.NEXT_KEYFRAME, request.model, args, ((m.image, request.previous),), key, opts, ctx,
                         request.width, request.height, None)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.first_frame:
            raise ProviderError(f"fal/{request.model} has no argument mapped for the first frame "
                                "(options.inputs.first_frame)")
        files = [(m.first_frame, request.first)]
        if request.last is not None:
            if not m.last_frame:
                raise ProviderError(f"fal/{request.model} takes no last frame")
            files.append((m.last_frame, request.last))
        args = m.fill({}, request.prompt, request, opts.get("params"))
        if m.duration:
            args[m.duration] = m.duration_value(request.seconds)
        job = Job.FIRST_LAST_VIDEO if request.last is not None else Job.FIRST_FRAME_VIDEO
        return self._run(job, request.model, args, tuple(files), key, opts, ctx, request.width, request.height,
                         request.seconds)

    # -- the queue ----------------------------------------------------------------------------
    def _run(self, job: Job, app: str, args: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             opts: Mapping[str, Any], ctx: RunContext, width: int, height: int, seconds: float | None) -> Result:
        import fal_client

        video = job in _VIDEO_JOBS
        timeout = float(opts.get("timeout", 1800.0 if video else 600.0))
        interval = float(opts.get("poll_interval", 2.0 if video else 0.5))
        retries = int(opts.get("poll_retries", 5))
        upload = opts.get("upload", "data_uri")
        if upload not in ("data_uri", "cdn"):
            raise ProviderError(f"options.upload must be data_uri or cdn, not {upload!r}")
        client = fal_client.SyncClient(key=key, default_timeout=float(opts.get("request_timeout", 120.0)))
        for param, path in files:
            if upload == "cdn":
                args[param] = self._call(lambda p=path: client.upload_file(p), app, what="uploading a frame")
            else:
                args[param] = fal_client.encode_file(path)

        deadline = time.monotonic() + timeout
        handle = self._call(lambda: client.submit(app, arguments=args), app, what="submitting")
        job_id = handle.request_id
        ctx.log(f"fal/{app}: request {job_id} queued")
        failures = 0
        shown = None
        while True:
            if ctx.cancelled():
                self._cancel(handle)
                raise ProviderError(f"fal/{app}: stopped by the build; the request was cancelled", job_id=job_id)
            try:
                status = self._call(handle.status, app, job_id=job_id)
                failures = 0
            except TransientError as exc:
                failures += 1
                if failures > retries:
                    raise
                ctx.log(f"fal/{app}: polling {job_id} failed ({exc.message}); trying again")
                status = None
            if status is not None:
                label = type(status).__name__
                if label != shown:
                    shown = label
                    ctx.log(f"fal/{app}: request {job_id} is {label}")
                if isinstance(status, fal_client.Completed):
                    break
            now = time.monotonic()
            if now >= deadline:
                self._cancel(handle)
                raise ProviderError(
                    f"fal/{app} did not finish within {timeout:g} s (last status {shown}); "
                    "the request was cancelled: raise options.timeout for slow apps",
                    job_id=job_id,
                )
            time.sleep(max(0.0, min(interval, deadline - now)))

        if status.error:
            reason = str(status.error)
            kind = status.error_type or ""
            cls = RefusedError if (kind == "content_policy_violation" or _REFUSAL.search(reason)) else ProviderError
            raise cls(f"fal/{app} failed: {reason}" + (f" ({kind})" if kind else ""), job_id=job_id)

        result = self._fetch_result(handle, app, job_id, retries)
        url = _media_url(result)
        if url is None:
            keys = ", ".join(sorted(map(str, result))) if isinstance(result, Mapping) else type(result).__name__
            raise ProviderError(f"fal/{app} completed but returned no file (result: {keys})", job_id=job_id)
        data = download(url, who=f"fal/{app}", job_id=job_id)
        info: dict[str, Any] = {"job_id": job_id, "model": app}
        if status.metrics:
            info["metrics"] = dict(status.metrics)
        if isinstance(result, Mapping) and result.get("seed") is not None:
            info["seed"] = result["seed"]
        if video:
            save_video(data, ctx.output_path, who=f"fal/{app}", job_id=job_id)
        else:
            info.update(save_png_fitted(data, ctx.output_path, width, height, who=f"fal/{app}", job_id=job_id))
        price = self.resolve_model(app).price
        info["list_price_usd"] = round(price.estimate(seconds if video else None), 6)
        info["price_as_of"] = price.as_of
        # fal reports no cost per request: cost_usd stays None and the list price is in info.
        return Result(ctx.output_path, cost_usd=None, info=info)

    def _fetch_result(self, handle, app: str, job_id: str, retries: int) -> Any:
        """GET the stored result (the SDK retries 429 and ingress errors; this adds 5xx)."""
        attempt = 0
        while True:
            try:
                return self._call(lambda: handle.get(interval=0.0), app, job_id=job_id, what="fetching the result")
            except TransientError:
                attempt += 1
                if attempt > retries:
                    raise
                time.sleep(0.2 * attempt)

    @staticmethod
    def _cancel(handle) -> None:
        try:
            handle.cancel()
        except Exception:  # best effort: the error that follows says what happened
            pass

    @staticmethod
    def _call(fn, app: str, *, job_id: str | None = None, what: str = ""):
        """Call into fal_client, turning its exceptions into storyrender's."""
        import fal_client
        import httpx

        prefix = f"fal/{app}" + (f": {what}" if what else "")
        try:
            return fn()
        except fal_client.FalClientHTTPError as exc:
            status = exc.status_code
            reason, kinds = _reason(exc)
            headers = {k.lower(): v for k, v in (exc.response_headers or {}).items()}
            text = f"{prefix}: HTTP {status}: {reason}"
            if "content_policy_violation" in kinds or (status in (400, 422) and _REFUSAL.search(reason)):
                raise RefusedError(text, job_id=job_id) from None
            if status == 429:
                raise TransientError(text, job_id=job_id, retry_after=retry_after_seconds(headers)) from None
            if status >= 500 or status == 408 or headers.get("x-fal-needs-retry") in ("1", "true", "True"):
                raise TransientError(text, job_id=job_id) from None
            if status in (401, 403):
                raise ProviderError(f"{prefix}: the key was refused (HTTP {status}): {reason}; check FAL_KEY",
                                    job_id=job_id) from None
            raise ProviderError(text, job_id=job_id) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"{prefix}: unexpected response from the queue ({type(exc).__name__}: "
                                f"{str(exc)[:200]})", job_id=job_id) from None


def _reason(exc) -> tuple[str, set[str]]:
    """The vendor's words and error types from a fal error response."""
    kinds: set[str] = set()
    if getattr(exc, "error_type", None):
        kinds.add(str(exc.error_type))
    try:
        body = exc.response.json()
    except Exception:
        body = None
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
    text = str(exc.message if hasattr(exc, "message") else exc)
    return (text[:300] or "no reason given"), kinds


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
