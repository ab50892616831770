"""The ``fal`` provider: fal.ai apps through the fal queue, with the official ``fal-client``.

A board names an app as ``fal/OWNER/APP[/PATH]`` (e.g. ``fal/fal-ai/wan-flf2v``). Built-in apps
(:data:`BUILTIN`) know their parameter names, clip lengths and list prices; any other app works
once the board maps its inputs (``options.inputs``), as for the replicate provider.

What the request carries (``reads``): the prompt, the beat's ``seed`` (for apps with a seed
argument: Wan and custom apps, not Veo or Kling), its ``negative_prompt`` (sent as the app's
negative-prompt argument, or appended to the prompt as "Avoid: ..." for apps without one) and its
``camera`` hint (appended to the prompt as "Camera: ...", for next keyframes and segments only:
keyframe 0 is a still).

Options (``providers.ROLE.options``; identity options are part of node keys, call-only ones never
re-render anything):

=================== ======== ===================================================================
option              kind     meaning
=================== ======== ===================================================================
``inputs``          identity argument names, keys ``prompt``, ``first_frame``, ``last_frame``,
                             ``image``, ``duration``, ``seed``, ``aspect_ratio``,
                             ``negative_prompt`` (merged over a built-in app's own names)
``params``          identity extra arguments sent as they are (e.g. ``{resolution: 720p}``)
``durations``       identity clip lengths a custom app accepts (validated like a built-in's)
``keyframe_prompt`` identity template for next-keyframe prompts, default
                             ``"The same scene, {seconds:g} seconds later: {prompt}"``
``timeout``         call     seconds to wait for a request before cancelling it (default 600
                             images, 1800 video)
``poll_interval``   call     seconds between status polls (default 0.5 images, 2 video)
``read_timeout``    call     HTTP timeout of the submission, seconds (default 120, the SDK's
                             ``default_timeout``)
``upload``          call     how frames travel: ``data_uri`` (default) or ``cdn`` (fal storage,
                             ``SyncClient.upload_file``); the app receives the same image
=================== ======== ===================================================================

There is no ``base_url`` option: fal-client reads its queue host from ``FAL_QUEUE_RUN_HOST``
(default ``queue.fal.run``) once, when it is first imported (``fal_client/auth.py``).

Queue requests are hosted jobs (``run_hosted``), resumed from their recorded request id; what is
retried when a submission fails, and what is not, is in :mod:`storyrender_fal.queue`, and how the
SDK's own retries of a submission are turned off in :mod:`storyrender_fal.transport`. The built-in
apps and their list prices are in :mod:`storyrender_fal.catalogue`. fal reports no cost per
request: the list price is recorded in the manifest (``info.list_price_usd``).
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

from .catalogue import ALL_JOBS, AUDIO_PRICES, BUILTIN, PRICES_AS_OF, VIDEO_JOBS, check_app
from .queue import QueueRequest
from .transport import make_client

__all__ = ["FalProvider"]


class FalProvider(Provider):
    """Runs fal.ai apps through the fal queue (submit, poll status, fetch the result)."""

    name = "fal"
    version = "1"
    description = "fal.ai apps (fal/OWNER/APP[/PATH]) through the queue API; key FAL_KEY"
    key_env = ("FAL_KEY",)
    concurrency = 4
    models = tuple(b.info for b in BUILTIN.values())
    #: what requests are made of (see the module docstring); ``fps`` is the app's own
    reads = frozenset({"camera", "negative_prompt", "seed"})
    options_schema = CALL_OPTIONS + (
        Option("inputs", dict, None, "which app argument takes what (prompt, first_frame, last_frame, image, "
               "duration, seed, aspect_ratio, negative_prompt)"),
        Option("params", dict, None, "extra arguments sent to the app as they are"),
        Option("durations", list, None, "clip lengths (seconds) a custom app accepts"),
        Option("keyframe_prompt", str, kit.NEXT_KEYFRAME_PROMPT,
               "template of next-keyframe prompts ({seconds}, {prompt})"),
        Option("read_timeout", float, 120.0, "HTTP timeout of the submission, seconds", identity=False),
        Option("upload", str, "data_uri", "how frames travel: data_uri or cdn (fal storage)", identity=False,
               choices=("data_uri", "cdn")),
    )

    def load(self) -> None:
        import httpx  # noqa: F401
        import fal_client  # noqa: F401
        import fal_client.auth  # noqa: F401
        import fal_client.client  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        reads = set(self.reads)
        if job is Job.TEXT_TO_IMAGE:
            reads.discard("camera")  # keyframe 0 is a still
        builtin = BUILTIN.get(model.name) if model is not None else None
        if builtin is not None and not builtin.inputs.seed:
            reads.discard("seed")  # the app takes no seed (Veo, Kling): a seed edit renders nothing
        return frozenset(reads)

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
            check_app(model)
        except ValueError:
            raise KeyError(f"{model!r} is not a fal app id: write fal/OWNER/APP[/PATH] "
                           f"(built-in apps: {', '.join(BUILTIN)})") from None
        if model in BUILTIN:
            return BUILTIN[model].info
        return ModelInfo(name=model, jobs=ALL_JOBS,
                         description="a fal app without a built-in mapping: options.inputs names its arguments")

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        names = options.get("inputs")
        problems = kit.input_key_problems(f"fal/{model.name}", names,
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
        if problems:
            return problems
        if model.name in BUILTIN and not BUILTIN[model.name].inputs.seed and (names or {}).get("seed"):
            problems.append(f"fal/{model.name} takes no seed, so the beat's seed is not part of its requests: "
                            "remove options.inputs.seed")
        inputs = self._inputs(model.name, options)
        jobs = model.jobs if model.name in BUILTIN else inputs.jobs()
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

    def makes_audio(self, model: ModelInfo, options: Mapping[str, Any]) -> bool | None:
        """The apps pinned silent make sound only with ``params.generate_audio: true``."""
        if model.name not in AUDIO_PRICES:
            return None
        params = (options or {}).get("params")
        return isinstance(params, Mapping) and params.get("generate_audio") is True

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """With ``params.generate_audio: true`` an app that is pinned silent costs its with-audio price."""
        params = (options or {}).get("params")
        if model.name in AUDIO_PRICES and isinstance(params, Mapping) and params.get("generate_audio") is True:
            per_second = AUDIO_PRICES[model.name]
            return Price(per_second=per_second, as_of=PRICES_AS_OF if per_second is not None else "")
        return model.price

    def _inputs(self, model: str, options: Mapping[str, Any]) -> kit.InputMap:
        names = options.get("inputs") or {}
        if model in BUILTIN:
            return BUILTIN[model].inputs.merged(names)
        if not names:
            raise ProviderError(f"fal/{model} has no built-in input mapping: give options.inputs "
                                f"(built-in apps: {', '.join(BUILTIN)})")
        return kit.InputMap(prompt=None).merged(names)

    # -- jobs -------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        args = _fill(m, self._prompt(request, m), request, opts)
        return self._run(Job.TEXT_TO_IMAGE, request, args, (), key, ctx, None)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.image:
            raise ProviderError(f"fal/{request.model} has no argument mapped for the previous keyframe "
                                "(options.inputs.image)")
        template = str(opts.get("keyframe_prompt") or kit.NEXT_KEYFRAME_PROMPT)
        prompt = template.format(seconds=request.seconds, prompt=request.prompt)
        args = _fill(m, self._prompt(request, m, prompt), request, opts)
        return self._run(Job.NEXT_KEYFRAME, request, args, ((m.image, request.previous),), key, ctx, None)

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
        args = _fill(m, self._prompt(request, m), request, opts)
        if m.duration:
            args[m.duration] = m.duration_value(request.seconds)
        job = Job.FIRST_LAST_VIDEO if request.last is not None else Job.FIRST_FRAME_VIDEO
        return self._run(job, request, args, tuple(files), key, ctx, request.seconds)

    @staticmethod
    def _prompt(request: Any, m: kit.InputMap, prompt: str | None = None) -> str:
        # An app without a negative-prompt argument gets "Avoid: ..." in its prompt instead.
        return kit.compose_prompt(request, negative_inline=not m.negative_prompt, prompt=prompt)

    # -- the queue ----------------------------------------------------------------------------
    def _run(self, job: Job, request: Any, args: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             ctx: RunContext, seconds: float | None) -> Result:
        video = job in VIDEO_JOBS
        call = ctx.call
        timeout = float(call.get("timeout") or (1800.0 if video else 600.0))
        interval = float(call.get("poll_interval") or (2.0 if video else 0.5))
        upload = call.get("upload") or "data_uri"
        if upload not in ("data_uri", "cdn"):
            raise ProviderError(f"options.upload must be data_uri or cdn, not {upload!r}")
        client, guard = make_client(key, float(call.get("read_timeout") or 120.0))
        try:
            hosted = QueueRequest(self, client, guard, request, args, files, ctx, video=video, upload=upload,
                                  seconds=seconds)
            return run_hosted(hosted, ctx, provider=self.name, timeout=timeout, interval=interval)
        finally:
            client._client.close()


def _fill(m: kit.InputMap, prompt: str, request: Any, opts: Mapping[str, Any]) -> dict[str, Any]:
    if m.seed and request.seed is None:  # the beat's seed is not read for this app (see check)
        m = dataclasses.replace(m, seed=None)
    return m.fill({}, prompt, request, opts.get("params"))
