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

The built-in models and their list prices are in :mod:`storyrender_replicate.catalogue`; a
prediction's life (create, poll, download, cancel) and what is retried when a submission fails, in
:mod:`storyrender_replicate.prediction`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    CALL_OPTIONS,
    ImageRequest,
    Job,
    KeyframeRequest,
    ModelInfo,
    Option,
    Price,
    Provider,
    ProviderError,
    Result,
    RunContext,
    VideoRequest,
    kit,
    run_hosted,
)

from .catalogue import (
    ALL_JOBS,
    BUILTIN,
    HAILUO_DEFAULT,
    HAILUO_RESOLUTIONS,
    KLING_MODES,
    MODELS,
    PRICES_AS_OF,
    VIDEO_JOBS,
    split_name,
)
from .prediction import Prediction, make_client

__all__ = ["ReplicateProvider"]


class ReplicateProvider(Provider):
    """Runs models hosted on Replicate through the official ``replicate`` 1.x client."""

    name = "replicate"
    version = "1"
    description = "any Replicate model (replicate/OWNER/NAME[:VERSION]); key REPLICATE_API_TOKEN"
    key_env = ("REPLICATE_API_TOKEN",)
    concurrency = 4
    models = MODELS
    #: what predictions are made of (see the module docstring); ``fps`` is the model's own
    reads = frozenset({"camera", "negative_prompt", "seed"})
    options_schema = CALL_OPTIONS + (
        Option("inputs", dict, None, "which model parameter takes what (prompt, first_frame, last_frame, image, "
               "duration, seed, aspect_ratio, negative_prompt)"),
        Option("params", dict, None, "extra input values sent to the model as they are"),
        Option("durations", list, None, "clip lengths (seconds) a custom model accepts"),
        Option("keyframe_prompt", str, kit.NEXT_KEYFRAME_PROMPT,
               "template of next-keyframe prompts ({seconds}, {prompt})"),
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
        builtin = BUILTIN.get(split_name(model.name)[0]) if model is not None else None
        if builtin is not None and not builtin.inputs.seed:
            reads -= {"seed"}  # the model takes no seed (Kling, Hailuo, Luma): a seed edit renders nothing
        return reads

    # -- description ------------------------------------------------------------------------
    def resolve_model(self, model: str) -> ModelInfo:
        """Any well-formed ``OWNER/NAME[:VERSION]``: a built-in's info, or an open-ended one whose
        inputs the board must map (checked by :meth:`check`)."""
        try:
            base, version = split_name(model)
        except ValueError:
            raise KeyError(
                f"{model!r} is not a Replicate model name: write replicate/OWNER/NAME or "
                f"replicate/OWNER/NAME:VERSION (built-in models: {', '.join(BUILTIN)})"
            ) from None
        builtin = BUILTIN.get(base)
        if builtin is not None:
            return builtin.info if version is None else dataclasses.replace(builtin.info, name=model)
        return ModelInfo(
            name=model, jobs=ALL_JOBS,
            description="a Replicate model without a built-in mapping: options.inputs names its parameters",
        )

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        base, _ = split_name(model.name)
        inputs_opt = options.get("inputs")
        problems = kit.input_key_problems(f"replicate/{model.name}", inputs_opt,
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

        client = make_client(self.api_key(), {})
        out: dict[str, dict[str, Any]] = {}
        for name in models:
            base, _ = split_name(name)
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
        if split_name(model.name)[0] == "minimax/hailuo-02":
            per_second = HAILUO_RESOLUTIONS.get(str(params.get("resolution", HAILUO_DEFAULT)))
            return Price(per_second=per_second, as_of=PRICES_AS_OF if per_second is not None else "")
        return model.price

    def _inputs(self, model: str, options: Mapping[str, Any]) -> kit.InputMap:
        base, _ = split_name(model)
        builtin = BUILTIN.get(base)
        names = options.get("inputs") or {}
        if builtin is not None:
            return builtin.inputs.merged(names)
        if not names:
            raise ProviderError(
                f"replicate/{model} has no built-in input mapping: give options.inputs "
                f"(built-in models: {', '.join(BUILTIN)})"
            )
        return kit.InputMap(prompt=None).merged(names)

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
        template = str(opts.get("keyframe_prompt") or kit.NEXT_KEYFRAME_PROMPT)
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
        base, _ = split_name(request.model)
        if base == "kwaivgi/kling-v2.1":
            # always sent: end_image needs pro; without one the board's params.mode wins over standard
            inp["mode"] = "pro" if request.last is not None else "standard"
        m.fill(inp, self._prompt(request, m), request, opts.get("params"))
        if m.duration:
            inp[m.duration] = m.duration_value(request.seconds)
        job = Job.FIRST_LAST_VIDEO if request.last is not None else Job.FIRST_FRAME_VIDEO
        return self._run(job, request, inp, tuple(files), key, ctx, request.seconds)

    @staticmethod
    def _prompt(request: Any, m: kit.InputMap, prompt: str | None = None) -> str:
        # A model without a negative-prompt parameter gets "Avoid: ..." in its prompt instead.
        return kit.compose_prompt(request, negative_inline=not m.negative_prompt, prompt=prompt)

    # -- the prediction ---------------------------------------------------------------------
    def _run(self, job: Job, request: Any, inp: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             ctx: RunContext, seconds: float | None) -> Result:
        video = job in VIDEO_JOBS
        call = ctx.call
        timeout = float(call.get("timeout") or (1800.0 if video else 900.0))
        interval = float(call.get("poll_interval") or (3.0 if video else 1.0))
        wait = call.get("wait")
        wait = (0 if video else 60) if wait is None else int(wait)
        encoding = call.get("file_encoding") or "url"
        if encoding not in ("url", "base64"):
            raise ProviderError(f"options.file_encoding must be url or base64, not {encoding!r}")
        hosted = Prediction(self, make_client(key, call), request, inp, files, ctx,
                            video=video, wait=wait, encoding=encoding, seconds=seconds)
        return run_hosted(hosted, ctx, provider=self.name, timeout=timeout, interval=interval)
