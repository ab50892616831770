"""The ``replicate`` provider: any Replicate model, with input mappings for well-known ones.

A board names a model as ``replicate/OWNER/NAME`` or ``replicate/OWNER/NAME:VERSION``. Built-in
models (:data:`BUILTIN`) know their parameter names, clip lengths and list prices. Any other
model works once the board says which input parameter takes what::

    providers:
      video:
        use: replicate/acme/interp-model
        options:
          inputs: {first_frame: start, last_frame: end, prompt: text, duration: seconds}

What the request carries (``reads``): the prompt, the beat's ``seed`` (sent to models with a seed
parameter), its ``negative_prompt`` (sent as the model's negative-prompt parameter, or appended to
the prompt as "Avoid: ..." for models without one) and its ``camera`` hint (appended to the prompt
as "Camera: ...", for next keyframes and segments only: keyframe 0 is a still).

Options (``providers.ROLE.options``; identity options are part of node keys, call-only ones never
re-render anything):

=================== ======== ===================================================================
option              kind     meaning
=================== ======== ===================================================================
``inputs``          identity parameter names, keys ``prompt``, ``first_frame``, ``last_frame``,
                             ``image``, ``duration``, ``seed``, ``aspect_ratio``,
                             ``negative_prompt`` (merged over a built-in model's own names)
``params``          identity extra input values sent as they are (e.g. ``{resolution: 768p}``)
``durations``       identity clip lengths a custom model accepts (validated like a built-in's)
``keyframe_prompt`` identity template for next-keyframe prompts, default
                             ``"The same scene, {seconds:g} seconds later: {prompt}"``
``timeout``         call     seconds to wait for a prediction before cancelling it (default 900
                             images, 1800 video)
``poll_interval``   call     seconds between status polls (default 1 images, 3 video)
``read_timeout``    call     HTTP read timeout of one request, seconds (default 120), creates
                             and uploads included (the SDK sends those without any timeout;
                             with ``wait`` it gives the create ``wait`` + 0.5 s instead)
``wait``            call     hold the create request open up to N s (``Prefer: wait=N``; the
                             API's default hold is 60 s); default 60 for images, 0 (off) for
                             video. The answer may then be the finished prediction: no poll
``file_encoding``   call     how frames travel: ``url`` (uploaded with the Files API,
                             ``POST /v1/files``; default) or ``base64`` (data URIs); the model
                             receives the same image either way
=================== ======== ===================================================================

There is no ``base_url`` option: a storyboard never chooses where the token goes. The SDK reads
its host from ``REPLICATE_BASE_URL``, else https://api.replicate.com (replicate 1.0.7
``client.py``, checked 2026-12-04).

Predictions are hosted jobs (:func:`storyrender.providers.hosted.run_hosted`): the prediction id
is the job id, recorded before waiting, so a retry, a Ctrl-C or a killed build resumes it
(``GET /v1/predictions/{id}``, ``predictions.get``); a timeout cancels it
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
import dataclasses
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    CALL_OPTIONS,
    ImageRequest,
    Job,
    JobGone,
    JobStatus,
    KeyframeRequest,
    Limits,
    ModelInfo,
    Option,
    Price,
    Provider,
    ProviderError,
    RefusedError,
    Result,
    RunContext,
    SubmitUncertain,
    TransientError,
    VideoRequest,
    run_hosted,
)
from storyrender.providers.kit import (
    NEXT_KEYFRAME_PROMPT,
    InputMap,
    check_video,
    compose_prompt,
    input_key_problems,
    save_png_fitted,
    save_video,
)

__all__ = ["ReplicateProvider", "InputMap", "BUILTIN", "PRICES_AS_OF"]

#: the date the list prices below were recorded (a storyboard's ``prices:`` table overrides them)
PRICES_AS_OF = "2026-11-24"

_VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
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
           first_last: bool = True, version: str = "1") -> _Builtin:
    jobs = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}) if first_last else frozenset(
        {Job.FIRST_FRAME_VIDEO})
    return _Builtin(
        ModelInfo(name=name, jobs=jobs, limits=Limits(durations=durations),
                  price=Price(per_second=per_second, as_of=PRICES_AS_OF), description=description, version=version),
        inputs,
    )


#: Hailuo-02's ``resolution`` (the model's schema: default 1080p, "10 seconds is only available for 768p
#: resolution"; replicate.com/minimax/hailuo-02 API page, checked 2026-12-04). The plugin pins 768p, the
#: resolution its list price is for; 512p and 1080p have no price known here (``plan`` says so).
HAILUO_RESOLUTIONS = {"512p": None, "768p": 0.045, "1080p": None}
HAILUO_DEFAULT = "768p"
#: Kling 2.1's ``mode`` (standard is 720p, pro 1080p; ``end_image`` needs pro; the model's default is
#: standard). Always sent. Standard has no price known here: it is estimated at the pro figure, an
#: upper bound (checked 2026-12-04).
KLING_MODES = ("standard", "pro")


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
            "Kling 2.1: start and end image; mode sent (pro with an end image, else standard; params.mode)",
        ),
        _video(
            "minimax/hailuo-02", (6, 10), 0.045,
            InputMap(first_frame="first_frame_image", last_frame="last_frame_image", duration="duration",
                     defaults={"resolution": HAILUO_DEFAULT}),
            "Hailuo 02: first and last frame; 6 or 10 s (10 s at 768p only); resolution pinned to 768p "
            "(params.resolution: 512p, 768p, 1080p)",
            # version 2: resolution is sent (768p); the model's own default is 1080p
            version="2",
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
    """``owner/name[:version]`` -> (``owner/name``, version or None); ValueError when malformed.
    Each part starts with a letter or digit, so ``..`` can never reach the request path."""
    m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?::([A-Za-z0-9]+))?", model or "")
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
    #: what predictions are made of (see the module docstring); ``fps`` is the model's own
    reads = frozenset({"camera", "negative_prompt", "seed"})
    options_schema = CALL_OPTIONS + (
        Option("inputs", dict, None, "which model parameter takes what (prompt, first_frame, last_frame, image, "
               "duration, seed, aspect_ratio, negative_prompt)"),
        Option("params", dict, None, "extra input values sent to the model as they are"),
        Option("durations", list, None, "clip lengths (seconds) a custom model accepts"),
        Option("keyframe_prompt", str, NEXT_KEYFRAME_PROMPT, "template of next-keyframe prompts ({seconds}, {prompt})"),
        Option("read_timeout", float, 120.0, "HTTP read timeout of one request, seconds", identity=False),
        Option("wait", int, None, "hold the create request open up to N s (Prefer: wait); default 60 images, "
               "0 (off) video", identity=False),
        Option("file_encoding", str, "url", "how frames travel: url (Files API) or base64 (data URIs)",
               identity=False, choices=("url", "base64")),
    )

    def load(self) -> None:
        import httpx  # noqa: F401
        import replicate  # noqa: F401
        import replicate.client  # noqa: F401
        import replicate.exceptions  # noqa: F401
        import replicate.file  # noqa: F401
        import replicate.model  # noqa: F401
        import replicate.prediction  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # keyframe 0 is a still: a camera move shapes the next keyframes and the segments
        reads = self.reads - {"camera"} if job is Job.TEXT_TO_IMAGE else frozenset(self.reads)
        builtin = BUILTIN.get(_split(model.name)[0]) if model is not None else None
        if builtin is not None and not builtin.inputs.seed:
            reads -= {"seed"}  # the model takes no seed (Kling, Hailuo, Luma): a seed edit renders nothing
        return reads

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
        if not isinstance(params, Mapping):
            return problems
        if base == "kwaivgi/kling-v2.1":
            mode = params.get("mode")
            if mode is not None and mode not in KLING_MODES:
                problems.append(f"replicate/{model.name}: params.mode must be standard or pro, not {mode!r}")
            elif job is Job.FIRST_LAST_VIDEO and mode not in (None, "pro"):
                problems.append(
                    f"replicate/{model.name} takes an end image only in mode pro, not {mode!r}: "
                    "remove options.params.mode or set it to pro"
                )
        if base == "minimax/hailuo-02":
            resolution = params.get("resolution", HAILUO_DEFAULT)
            if resolution not in HAILUO_RESOLUTIONS:
                problems.append(f"replicate/{model.name}: params.resolution must be one of "
                                f"{', '.join(HAILUO_RESOLUTIONS)}, not {resolution!r}")
            elif seconds is not None and seconds > 6 and resolution != "768p":
                problems.append(f"replicate/{model.name} makes 10 s clips at 768p only, not at {resolution}: "
                                "set the beat's seconds to 6 or params.resolution to 768p")
        return problems

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """``GET /v1/models/{owner}/{name}`` per model (``client.models.get``): served when found
        with a latest version; a 404 means the model is unknown or gone."""
        from replicate.exceptions import ReplicateError

        client = self._client(self.api_key(), {})
        out: dict[str, dict[str, Any]] = {}
        for name in models:
            base, _ = _split(name)
            try:
                found = client.models.get(base)
            except ReplicateError as exc:
                if getattr(exc, "status", None) == 404:
                    out[name] = {"served": False}
                    continue
                raise
            out[name] = {"served": getattr(found, "latest_version", None) is not None}
        return out

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """Hailuo-02 by its resolution (768p unless ``params.resolution`` says otherwise)."""
        params = (options or {}).get("params")
        params = params if isinstance(params, Mapping) else {}
        if _split(model.name)[0] == "minimax/hailuo-02":
            per_second = HAILUO_RESOLUTIONS.get(str(params.get("resolution", HAILUO_DEFAULT)))
            return Price(per_second=per_second, as_of=PRICES_AS_OF if per_second is not None else "")
        return model.price


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
        inp = m.fill({}, self._prompt(request, m), request, opts.get("params"))
        return self._run(Job.TEXT_TO_IMAGE, request, inp, (), key, ctx, None)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.image:
            raise ProviderError(f"replicate/{request.model} has no input mapped for the previous keyframe "
                                "(options.inputs.image)")
        template = str(opts.get("keyframe_prompt") or NEXT_KEYFRAME_PROMPT)
        prompt = template.format(seconds=request.seconds, prompt=request.prompt)
        inp = m.fill({}, self._prompt(request, m, prompt), request, opts.get("params"))
        return self._run(Job.NEXT_KEYFRAME, request, inp, ((m.image, request.previous),), key, ctx, None)

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
        if base == "kwaivgi/kling-v2.1":
            # always sent: end_image needs pro; without one the board's params.mode wins over standard
            inp["mode"] = "pro" if request.last is not None else "standard"
        m.fill(inp, self._prompt(request, m), request, opts.get("params"))
        if m.duration:
            inp[m.duration] = m.duration_value(request.seconds)
        job = Job.FIRST_LAST_VIDEO if request.last is not None else Job.FIRST_FRAME_VIDEO
        return self._run(job, request, inp, tuple(files), key, ctx, request.seconds)

    @staticmethod
    def _prompt(request: Any, m: InputMap, prompt: str | None = None) -> str:
        # A model without a negative-prompt parameter gets "Avoid: ..." in its prompt instead.
        return compose_prompt(request, negative_inline=not m.negative_prompt, prompt=prompt)

    # -- the prediction ---------------------------------------------------------------------
    def _client(self, key: str, call: Mapping[str, Any]):
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

    def _run(self, job: Job, request: Any, inp: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             ctx: RunContext, seconds: float | None) -> Result:
        video = job in _VIDEO_JOBS
        call = ctx.call
        timeout = float(call.get("timeout") or (1800.0 if video else 900.0))
        interval = float(call.get("poll_interval") or (3.0 if video else 1.0))
        wait = call.get("wait")
        wait = (0 if video else 60) if wait is None else int(wait)
        encoding = call.get("file_encoding") or "url"
        if encoding not in ("url", "base64"):
            raise ProviderError(f"options.file_encoding must be url or base64, not {encoding!r}")
        hosted = _Prediction(self, self._client(key, call), request, inp, files, ctx,
                             video=video, wait=wait, encoding=encoding, seconds=seconds)
        return run_hosted(hosted, ctx, provider=self.name, timeout=timeout, interval=interval)


#: where a user finds a prediction the plugin could not confirm
_DASHBOARD = "https://replicate.com/predictions"


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


class _Prediction:
    """One Replicate prediction as a :class:`~storyrender.providers.hosted.HostedJob`.

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

        base, version = _split(self.model)
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
                kind = check_video(data)
            except ValueError as exc:
                raise ProviderError(f"{self.who}: {exc}", job_id=job_id) from None
            if kind == "mp4":
                save_video(data, ctx.output_path, who=self.who, job_id=job_id)
            else:
                _transcode(data, kind, ctx.output_path)
            info["container"] = kind
        else:
            info.update(save_png_fitted(data, ctx.output_path, request.width, request.height, who=self.who,
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
    from storyrender.media.ffmpeg import run_ffmpeg

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{kind}"
        src.write_bytes(data)
        run_ffmpeg(["-i", src, "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", out],
                   what=f"converting the {kind} clip to MP4")

