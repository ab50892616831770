"""The ``replicate`` provider: any Replicate model, with input mappings for well-known ones.

A board names a model as ``replicate/OWNER/NAME`` or ``replicate/OWNER/NAME:VERSION``. Built-in
models (:data:`BUILTIN`) know their parameter names, clip lengths and list prices. Any other
model works once the board says which input parameter takes what::

    providers:
      video:
        use: replicate/acme/interp-model
        options:
          inputs: {first_frame: start, last_frame: end, prompt: text, duration: seconds}

Options (all optional, per provider reference):

``inputs``         parameter names, keys ``prompt``, ``first_frame``, ``last_frame``, ``image``,
                   ``duration``, ``seed``, ``aspect_ratio``, ``negative_prompt`` (merged over a
                   built-in model's own names)
``params``         extra input values sent as they are (e.g. ``{mode: pro, resolution: 768p}``)
``durations``      clip lengths a custom model accepts (validated like a built-in's)
``timeout``        seconds to wait for a prediction before cancelling it (default 900 images,
                   1800 video)
``poll_interval``  seconds between status polls (default 1 images, 3 video)
``wait``           hold the create request open up to N s (``Prefer: wait``); default 60 for
                   images, off for video
``file_encoding``  ``url`` (upload frames with the Files API, default) or ``base64`` (data URIs)
``base_url``       API base URL; default: the SDK's own (``REPLICATE_BASE_URL`` or
                   https://api.replicate.com)
``keyframe_prompt`` template for next-keyframe prompts, default
                   ``"The same scene, {seconds:g} seconds later: {prompt}"``
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tempfile
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
    check_video,
    input_key_problems,
    save_png_fitted,
    save_video,
)

__all__ = ["ReplicateProvider", "InputMap", "BUILTIN", "PRICES_AS_OF"]

#: the date the list prices below were recorded (a storyboard's ``prices:`` table overrides them)
PRICES_AS_OF = "2026-11-24"

_VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_TERMINAL = ("succeeded", "failed", "canceled")
_FLUX_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
_LUMA_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "9:21", "21:9")
_REFUSAL = re.compile(
    r"nsfw|safety|content[\s_-]*polic|moderat|flagged|sensitive|\bE005\b|inappropriate|"
    r"prohibited|violat",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Builtin:
    info: ModelInfo
    inputs: InputMap


def _video(name: str, durations: tuple[float, ...], per_second: float, inputs: InputMap, description: str,
           first_last: bool = True) -> _Builtin:
    jobs = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}) if first_last else frozenset(
        {Job.FIRST_FRAME_VIDEO})
    return _Builtin(
        ModelInfo(name=name, jobs=jobs, limits=Limits(durations=durations),
                  price=Price(per_second=per_second, as_of=PRICES_AS_OF), description=description),
        inputs,
    )


#: built-in models, first of each job = that job's default
BUILTIN: dict[str, _Builtin] = {
    b.info.name: b
    for b in (
        _Builtin(
            ModelInfo(
                name="black-forest-labs/flux-schnell", jobs=frozenset({Job.TEXT_TO_IMAGE}),
                price=Price(per_image=0.003, as_of=PRICES_AS_OF),
                description="FLUX.1 [schnell]: fast text-to-image",
            ),
            InputMap(seed="seed", aspect_ratio="aspect_ratio", aspect_ratios=_FLUX_RATIOS,
                     defaults={"output_format": "png", "num_outputs": 1}),
        ),
        _Builtin(
            ModelInfo(
                name="black-forest-labs/flux-dev", jobs=frozenset({Job.TEXT_TO_IMAGE}),
                price=Price(per_image=0.025, as_of=PRICES_AS_OF),
                description="FLUX.1 [dev]: text-to-image",
            ),
            InputMap(seed="seed", aspect_ratio="aspect_ratio", aspect_ratios=_FLUX_RATIOS,
                     defaults={"output_format": "png", "num_outputs": 1}),
        ),
        _Builtin(
            ModelInfo(
                name="black-forest-labs/flux-kontext-pro", jobs=frozenset({Job.NEXT_KEYFRAME}),
                price=Price(per_image=0.04, as_of=PRICES_AS_OF),
                description="FLUX.1 Kontext [pro]: edits the previous keyframe into the next one",
            ),
            InputMap(image="input_image", seed="seed", aspect_ratio="aspect_ratio",
                     aspect_ratios="match_input_image", defaults={"output_format": "png"}),
        ),
        _video(
            "kwaivgi/kling-v2.1", (5, 10), 0.09,
            InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                     negative_prompt="negative_prompt"),
            "Kling 2.1: start and end image (end image in mode pro, the default for first+last)",
        ),
        _video(
            "minimax/hailuo-02", (6, 10), 0.045,
            InputMap(first_frame="first_frame_image", last_frame="last_frame_image", duration="duration"),
            "Hailuo 02: first and last frame; 6 or 10 s (price at 768p)",
        ),
        _video(
            "luma/ray-flash-2-720p", (5, 9), 0.022,
            InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                     aspect_ratio="aspect_ratio", aspect_ratios=_LUMA_RATIOS),
            "Luma Ray Flash 2 (720p): start and end image",
        ),
        _video(
            "luma/ray-2-540p", (5, 9), 0.04,
            InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                     aspect_ratio="aspect_ratio", aspect_ratios=_LUMA_RATIOS),
            "Luma Ray 2 (540p): start and end image",
        ),
        _video(
            "pixverse/pixverse-v4", (5, 8), 0.06,
            InputMap(first_frame="image", last_frame="last_frame_image", duration="duration", seed="seed",
                     negative_prompt="negative_prompt"),
            "PixVerse v4: first and last frame; 5 or 8 s (price at 540p)",
        ),
    )
}

# The default model of each job must come first among the models that do it.
_ORDER = (
    "black-forest-labs/flux-schnell",
    "black-forest-labs/flux-kontext-pro",
    "kwaivgi/kling-v2.1",
)


def _split(model: str) -> tuple[str, str | None]:
    """``owner/name[:version]`` -> (``owner/name``, version or None); ValueError when malformed."""
    m = re.fullmatch(r"([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+)(?::([A-Za-z0-9]+))?", model or "")
    if not m:
        raise ValueError(model)
    return f"{m.group(1)}/{m.group(2)}", m.group(3)


class ReplicateProvider(Provider):
    """Runs models hosted on Replicate through the official ``replicate`` 1.x client."""

    name = "replicate"
    version = "1"
    description = "any Replicate model (replicate/OWNER/NAME[:VERSION]); key REPLICATE_API_TOKEN"
    key_env = ("REPLICATE_API_TOKEN",)
    concurrency = 4
    models = tuple(BUILTIN[n].info for n in _ORDER) + tuple(
        b.info for n, b in BUILTIN.items() if n not in _ORDER
    )

    # -- description ------------------------------------------------------------------------
    def resolve_model(self, model: str) -> ModelInfo:
        """Any well-formed ``OWNER/NAME[:VERSION]``: a built-in's info, or an open-ended one whose
        inputs the board must map (checked by :meth:`check`)."""
        try:
            base, version = _split(model)
        except ValueError:
            raise KeyError(
                f"{model!r} is not a Replicate model name: write replicate/OWNER/NAME or "
                f"replicate/OWNER/NAME:VERSION (built-in models: {', '.join(BUILTIN)})"
            ) from None
        builtin = BUILTIN.get(base)
        if builtin is not None:
            return builtin.info if version is None else dataclasses.replace(builtin.info, name=model)
        return ModelInfo(
            name=model, jobs=_ALL_JOBS,
            description="a Replicate model without a built-in mapping: options.inputs names its parameters",
        )

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        base, _ = _split(model.name)
        inputs_opt = options.get("inputs")
        problems = input_key_problems(f"replicate/{model.name}", inputs_opt,
                                      "{first_frame: start_image, last_frame: end_image, prompt: prompt}")
        if inputs_opt is not None and not isinstance(inputs_opt, Mapping):
            return problems
        if base not in BUILTIN and not inputs_opt:
            problems.append(
                f"replicate/{model.name} has no built-in input mapping: give options.inputs "
                "(e.g. {first_frame: start_image, last_frame: end_image, prompt: prompt, duration: duration}) "
                f"or use a built-in model: {', '.join(BUILTIN)}"
            )
            return problems
        inputs = self._inputs(model.name, options)
        if job not in inputs.jobs():
            doing = ", ".join(sorted(j.value for j in inputs.jobs()))
            hint = {
                Job.FIRST_LAST_VIDEO: "map first_frame and last_frame in options.inputs",
                Job.FIRST_FRAME_VIDEO: "map first_frame in options.inputs",
                Job.NEXT_KEYFRAME: "map image (the previous keyframe) in options.inputs",
                Job.TEXT_TO_IMAGE: "map only prompt in options.inputs",
            }.get(job, "")
            problems.append(f"replicate/{model.name} does {doing}, not {job.value}"
                            + (f": {hint}" if base not in BUILTIN and hint else ""))
        durations = options.get("durations")
        if durations is not None and base not in BUILTIN:
            try:
                model = dataclasses.replace(model, limits=dataclasses.replace(
                    model.limits, durations=tuple(float(d) for d in durations)))
            except (TypeError, ValueError):
                problems.append(f"replicate/{model.name}: options.durations must be a list of seconds")
        problems += super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        params = options.get("params") or {}
        if base == "kwaivgi/kling-v2.1" and job is Job.FIRST_LAST_VIDEO and params.get("mode", "pro") != "pro":
            problems.append(
                f"replicate/{model.name} takes an end image only in mode pro, not {params.get('mode')!r}: "
                "remove options.params.mode or set it to pro"
            )
        return problems


    def _inputs(self, model: str, options: Mapping[str, Any]) -> InputMap:
        base, _ = _split(model)
        builtin = BUILTIN.get(base)
        names = options.get("inputs") or {}
        if builtin is not None:
            return builtin.inputs.merged(names)
        if not names:
            raise ProviderError(
                f"replicate/{model} has no built-in input mapping: give options.inputs "
                f"(built-in models: {', '.join(BUILTIN)})"
            )
        return InputMap(prompt=None).merged(names)

    # -- jobs -------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        inp = m.fill({}, request.prompt, request, opts.get("params"))
        return self._run(Job.TEXT_TO_IMAGE, request.model, inp, (), key, opts, ctx,
                         request.width, request.height, None)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.image:
            raise ProviderError(f"replicate/{request.model} has no input mapped for the previous keyframe "
                                "(options.inputs.image)")
        template = str(opts.get("keyframe_prompt", NEXT_KEYFRAME_PROMPT))
        prompt = template.format(seconds=request.seconds, prompt=request.prompt)
        inp = m.fill({}, prompt, request, opts.get("params"))
        return self._run(Job.NEXT_KEYFRAME, request.model, inp, ((m.image, request.previous),), key, opts,
                         ctx, request.width, request.height, None)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.first_frame:
            raise ProviderError(f"replicate/{request.model} has no input mapped for the first frame "
                                "(options.inputs.first_frame)")
        files = [(m.first_frame, request.first)]
        if request.last is not None:
            if not m.last_frame:
                raise ProviderError(f"replicate/{request.model} takes no last frame "
                                    "(map options.inputs.last_frame, or use extend mode)")
            files.append((m.last_frame, request.last))
        inp: dict[str, Any] = {}
        base, _ = _split(request.model)
        if base == "kwaivgi/kling-v2.1" and request.last is not None:
            inp["mode"] = "pro"  # Kling takes end_image only in mode pro
        m.fill(inp, request.prompt, request, opts.get("params"))
        if m.duration:
            inp[m.duration] = m.duration_value(request.seconds)
        job = Job.FIRST_LAST_VIDEO if request.last is not None else Job.FIRST_FRAME_VIDEO
        return self._run(job, request.model, inp, tuple(files), key, opts, ctx,
                         request.width, request.height, request.seconds)

    # -- the prediction ---------------------------------------------------------------------
    def _client(self, key: str, opts: Mapping[str, Any]):
        import httpx
        import replicate

        # base_url None lets the SDK read REPLICATE_BASE_URL itself.
        return replicate.Client(
            api_token=key,
            base_url=opts.get("base_url") or None,
            timeout=httpx.Timeout(30.0, read=float(opts.get("read_timeout", 120.0)), connect=10.0),
        )

    def _run(self, job: Job, model: str, inp: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             opts: Mapping[str, Any], ctx: RunContext, width: int, height: int, seconds: float | None) -> Result:
        video = job in _VIDEO_JOBS
        timeout = float(opts.get("timeout", 1800.0 if video else 900.0))
        interval = float(opts.get("poll_interval", 3.0 if video else 1.0))
        wait = opts.get("wait", False if video else 60)
        encoding = opts.get("file_encoding", "url")
        if encoding not in ("url", "base64"):
            raise ProviderError(f"options.file_encoding must be url or base64, not {encoding!r}")
        base, version = _split(model)
        client = self._client(key, opts)
        deadline = time.monotonic() + timeout
        params: dict[str, Any] = {"file_encoding_strategy": encoding}
        if wait:
            params["wait"] = int(wait) if not isinstance(wait, bool) else True

        with contextlib.ExitStack() as stack:
            for param, path in files:
                inp[param] = stack.enter_context(open(path, "rb"))
            ctx.log(f"replicate/{model}: starting a prediction")
            if version:
                prediction = self._call(lambda: client.predictions.create(version=version, input=inp, **params),
                                        model)
            else:
                prediction = self._call(lambda: client.models.predictions.create(model=base, input=inp, **params),
                                        model)
        job_id = getattr(prediction, "id", None)
        ctx.log(f"replicate/{model}: prediction {job_id} is {prediction.status}")
        self._wait(client, prediction, model, ctx, deadline, timeout, interval,
                   int(opts.get("poll_retries", 5)))

        if prediction.status == "failed":
            reason = str(prediction.error or "the model failed without a reason")
            cls = RefusedError if _REFUSAL.search(reason) else ProviderError
            raise cls(f"replicate/{model} failed: {reason}", job_id=job_id)
        if prediction.status == "canceled":
            raise ProviderError(f"replicate/{model}: the prediction was canceled", job_id=job_id)

        url = _first_url(prediction.output)
        if url is None:
            raise ProviderError(f"replicate/{model} succeeded but returned no file (output: "
                                f"{_short(prediction.output)})", job_id=job_id)
        data = self._download(client, url, model, job_id)
        info: dict[str, Any] = {"job_id": job_id, "model": model}
        if getattr(prediction, "version", None):
            info["model_version"] = prediction.version
        if prediction.metrics:
            info["metrics"] = dict(prediction.metrics)
        if video:
            try:
                kind = check_video(data)
            except ValueError as exc:
                raise ProviderError(f"replicate/{model}: {exc}", job_id=job_id) from None
            if kind == "mp4":
                save_video(data, ctx.output_path, who=f"replicate/{model}", job_id=job_id)
            else:
                _transcode(data, kind, ctx.output_path)
            info["container"] = kind
        else:
            info.update(save_png_fitted(data, ctx.output_path, width, height, who=f"replicate/{model}",
                                        job_id=job_id))
        price = self.resolve_model(model).price
        info["list_price_usd"] = round(price.estimate(seconds if video else None), 6)
        info["price_as_of"] = price.as_of
        # Replicate reports no cost per prediction: cost_usd stays None and the list price is in info.
        return Result(ctx.output_path, cost_usd=None, info=info)

    def _wait(self, client, prediction, model: str, ctx: RunContext, deadline: float, timeout: float,
              interval: float, retries: int) -> None:
        failures = 0
        status = prediction.status
        while prediction.status not in _TERMINAL:
            if ctx.cancelled():
                self._cancel(client, prediction.id)
                raise ProviderError(f"replicate/{model}: stopped by the build; the prediction was cancelled",
                                    job_id=prediction.id)
            now = time.monotonic()
            if now >= deadline:
                self._cancel(client, prediction.id)
                raise ProviderError(
                    f"replicate/{model} did not finish within {timeout:g} s (last status {prediction.status}); "
                    "the prediction was cancelled: raise options.timeout for slow models",
                    job_id=prediction.id,
                )
            time.sleep(max(0.0, min(interval, deadline - now)))
            try:
                self._call(prediction.reload, model, job_id=prediction.id)
                failures = 0
            except TransientError as exc:
                failures += 1
                if failures > retries:
                    raise
                ctx.log(f"replicate/{model}: polling {prediction.id} failed ({exc.message}); trying again")
                continue
            if prediction.status != status:
                status = prediction.status
                ctx.log(f"replicate/{model}: prediction {prediction.id} is {status}")

    @staticmethod
    def _cancel(client, prediction_id: str) -> None:
        try:
            client.predictions.cancel(prediction_id)
        except Exception:  # best effort: the error that follows says what happened
            pass

    def _download(self, client, url: str, model: str, job_id: str | None) -> bytes:
        from replicate.helpers import FileOutput

        last: ProviderError | None = None
        for attempt in range(3):
            try:
                return self._call(FileOutput(url, client).read, model, job_id=job_id, what="downloading the output")
            except TransientError as exc:
                last = exc
                time.sleep(0.2 * (attempt + 1))
        assert last is not None
        raise TransientError(f"{last.message} (the prediction succeeded; its output may still be fetched "
                             "from the Replicate dashboard)", job_id=job_id)

    @staticmethod
    def _call(fn, model: str, *, job_id: str | None = None, what: str = ""):
        """Call into the SDK, turning its exceptions into storyrender's."""
        import httpx
        from replicate.exceptions import ReplicateError

        prefix = f"replicate/{model}" + (f": {what}" if what else "")
        try:
            return fn()
        except ReplicateError as exc:
            reason = exc.detail or exc.title or "no reason given"
            status = exc.status or 0
            text = f"{prefix}: HTTP {status}: {reason}"
            if status == 429:
                raise TransientError(text, job_id=job_id, retry_after=_retry_after(reason)) from None
            if status >= 500 or status == 408:
                raise TransientError(text, job_id=job_id) from None
            if status in (401, 403):
                raise ProviderError(f"{prefix}: the API token was refused (HTTP {status}): {reason}; "
                                    "check REPLICATE_API_TOKEN", job_id=job_id) from None
            if status == 404:
                raise ProviderError(f"{prefix}: not found (HTTP 404): {reason}; check the model name",
                                    job_id=job_id) from None
            cls = RefusedError if _REFUSAL.search(reason) else ProviderError
            raise cls(text, job_id=job_id) from None
        except httpx.HTTPStatusError as exc:  # downloads raise these
            status = exc.response.status_code
            cls = TransientError if status >= 500 or status in (408, 429) else ProviderError
            raise cls(f"{prefix}: HTTP {status}", job_id=job_id) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"{prefix}: unexpected response from the API ({type(exc).__name__}: "
                                f"{_short(str(exc))})", job_id=job_id) from None


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
    from storyrender.media.ffmpeg import run_ffmpeg

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{kind}"
        src.write_bytes(data)
        run_ffmpeg(["-i", src, "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", out],
                   what=f"converting the {kind} clip to MP4")

