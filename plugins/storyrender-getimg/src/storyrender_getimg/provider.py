"""The ``getimg`` provider: getimg.ai's v2 API through the official ``getimg`` SDK (0.4.x).

The v2 API is the same for every model: images are ``POST /v2/images/generations``, answered
at once with the finished image (synchronous: there is no job to poll); videos are
``POST /v2/videos/generations`` (answered ``pending`` with an id), then
``GET /v2/videos/generations/{id}`` until ``completed`` or ``failed``. Input images go in
``images: [{role?, url}]`` as data URIs. So any model id works (``getimg/MODEL``); the built-in
table only gives defaults and list prices.

What a request is made of (``Provider.reads``)
    ``negative_prompt`` for every job, composed into the prompt (``" Avoid: X."``): the v2 API
    has no negative-prompt field (``getimg/types/image_generate_params.py``,
    ``getimg/types/videos/generation_create_params.py``). ``camera`` for next keyframes and
    videos, appended as ``" Camera: X."`` (``kit.compose_prompt``); keyframe 0 is drawn, not
    moved, so a ``camera:`` edit on beat 1 leaves it alone. No ``seed``: the v2 API takes none,
    so a new take is a new request (``request.take`` is in the node's key) that getimg receives
    with the same fields. No ``references``, ``fps`` or ``hints``.

Options (``{use: getimg/MODEL, options: {...}}``)

===================  ========  ==========================================================
option               kind      meaning
===================  ========  ==========================================================
``aspect_ratio``     identity  sent as given; default: the ratio nearest the board's size
                               among 1:1, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3, 21:9
``resolution``       identity  e.g. ``720p`` (default: the model's)
``sound``            identity  ask video models for sound (default false)
``params``           identity  extra body fields, sent as they are (``extra_body``)
``keyframe_prompt``  identity  the next-keyframe template (``{seconds}``, ``{prompt}``)
``durations``        call      clip lengths to validate against, e.g. ``[5, 10]``
``timeout``          call      videos: seconds to wait for the job (default 1800; the API has
                               no cancel, see below); images: seconds to wait for the answer
                               (default 300)
``read_timeout``     call      seconds to wait for the answer to one video API request (create
                               or status; default 120); for images it overrides ``timeout``
``poll_interval``    call      seconds between video status polls (default 5)
===================  ========  ==========================================================

There is no ``base_url`` option: a storyboard never chooses where the key goes. The SDK reads its
host from ``GETIMG_AI_BASE_URL``, else https://api.getimg.ai (getimg 0.4.0 ``_client.py``, checked
2026-12-04).

Identity options are part of each node's key; call options never re-render anything.

Submissions follow the shared rule for Stainless SDKs, with SDK retries off: see
:mod:`storyrender_getimg.calls`. Videos are hosted jobs, resumed from their recorded generation
id: see :mod:`storyrender_getimg.video`. Models, list prices and options:
:mod:`storyrender_getimg.catalogue`.

Images are synchronous
    The answer holds the finished image's URL. The plugin records that URL with the generation
    id in the node's job record (``ctx.journal``) before downloading, so a download that fails is
    retried from the same URL rather than by generating (and paying for) another image. A recorded
    URL that has expired (``deletes_at``; the download answers 4xx) is dropped and a new image is
    generated.

The SDK is imported in :meth:`GetimgProvider.load` (once, before workers start) and inside the
methods that use it, never when this module is imported.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    ImageRequest,
    Job,
    KeyframeRequest,
    ModelInfo,
    Price,
    Provider,
    ProviderError,
    Result,
    RunContext,
    TransientError,
    VideoRequest,
    kit,
    run_hosted,
)

from .calls import completed, make_client, plain, split_body, submit, usd
from .catalogue import (
    ALL_JOBS,
    DEFAULT_IMAGE_TIMEOUT,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_VIDEO_TIMEOUT,
    MODELS,
    OPTIONS,
    RATIOS,
    VIDEO_JOBS,
)
from .video import VideoJob

__all__ = ["GetimgProvider"]


class GetimgProvider(Provider):
    """Runs getimg.ai models through the ``getimg`` SDK (v2 API)."""

    name = "getimg"
    version = "1"
    description = "getimg.ai v2 API (getimg/MODEL, any model id); key GETIMG_API_KEY"
    key_env = ("GETIMG_API_KEY",)
    concurrency = 4
    models = MODELS
    #: no seed (the v2 API takes none), no references, fps or hints
    reads = frozenset({"camera", "negative_prompt"})
    options_schema = OPTIONS

    # -- description ------------------------------------------------------------------------
    def load(self) -> None:
        import getimg  # noqa: F401
        import getimg.resources.images  # noqa: F401
        import getimg.resources.videos  # noqa: F401
        import httpx  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # keyframe 0 is drawn, not moved: the camera hint shapes next keyframes and segments
        return self.reads - {"camera"} if job is Job.TEXT_TO_IMAGE else frozenset(self.reads)

    def resolve_model(self, model: str) -> ModelInfo:
        info = self.model_info(model)
        if info is not None:
            return info
        if not re.fullmatch(r"[A-Za-z0-9._-]+", model or ""):
            raise KeyError(f"{model!r} is not a getimg model id (e.g. {', '.join(m.name for m in MODELS)}; "
                           "GET /v2/models lists them)")
        return ModelInfo(name=model, jobs=ALL_JOBS,
                         description="a getimg model id without a built-in entry (no list price)")

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        options = options or {}
        problems: list[str] = []
        if job not in model.jobs:
            problems.append(f"getimg/{model.name} does {', '.join(sorted(j.value for j in model.jobs))}, "
                            f"not {job.value}")
        if job in VIDEO_JOBS and seconds is not None and not float(seconds).is_integer():
            problems.append(f"getimg/{model.name} takes whole seconds, not {seconds:g} s")
        durations = options.get("durations")
        if durations is not None:
            try:
                model = dataclasses.replace(model, limits=dataclasses.replace(
                    model.limits, durations=tuple(float(d) for d in durations)))
            except (TypeError, ValueError):
                problems.append(f"getimg/{model.name}: options.durations must be a list of seconds")
        params = options.get("params")
        if params is not None and not isinstance(params, Mapping):
            problems.append(f"getimg/{model.name}: options.params must be a mapping of body fields to values")
        problems += super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        return problems

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """``GET /v2/models`` (``client.models.list()``): the models served, with their catalog rates
        (``pricing.rates[].unit_price`` per ``billable_unit``; the lowest silent rate is compared)."""
        client = self._client(RunContext(Path("check")), DEFAULT_READ_TIMEOUT)
        listed = {m.id: m for m in client.models.list()}
        out: dict[str, dict[str, Any]] = {}
        for name in models:
            item = listed.get(name)
            answer: dict[str, Any] = {"served": item is not None}
            rates = [r for r in (item.pricing.rates if item is not None else []) if r.sound != "sound_on"]
            if rates:
                rate = rates[0]
                field = "per_second" if "second" in rate.billable_unit else "per_image"
                answer["price"] = Price(**{field: float(rate.unit_price)}, as_of="vendor")
            out[name] = answer
        return out

    # -- jobs -------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        body = self._body(kit.compose_prompt(request, negative_inline=True), request)
        body["output_format"] = "png"
        return self._image(request, body, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        template = str(request.options.get("keyframe_prompt", kit.NEXT_KEYFRAME_PROMPT))
        prompt = template.format(seconds=request.seconds, prompt=request.prompt)
        body = self._body(kit.compose_prompt(request, negative_inline=True, prompt=prompt), request)
        body["output_format"] = "png"
        body["images"] = [{"url": kit.data_uri(request.previous)}]
        return self._image(request, body, ctx)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        opts = request.options or {}
        body = self._body(kit.compose_prompt(request, negative_inline=True), request)
        images = [{"role": "first_frame", "url": kit.data_uri(request.first)}]
        if request.last is not None:
            images.append({"role": "last_frame", "url": kit.data_uri(request.last)})
        body["images"] = images
        body["duration"] = int(round(float(request.seconds)))
        body.setdefault("sound", bool(opts.get("sound", False)))
        call = ctx.call
        read_timeout = float(call.get("read_timeout") or DEFAULT_READ_TIMEOUT)
        client = self._client(ctx, read_timeout)
        kwargs, extra = split_body(body, ("prompt", "aspect_ratio", "duration", "images", "resolution", "sound"))
        job = VideoJob(client, request.model, kwargs, extra, ctx, read_timeout)
        timeout = call.get("timeout")
        interval = call.get("poll_interval")
        return run_hosted(job, ctx, provider=self.name,
                          timeout=float(DEFAULT_VIDEO_TIMEOUT if timeout is None else timeout),
                          interval=float(DEFAULT_POLL_INTERVAL if interval is None else interval))

    @staticmethod
    def _body(prompt: str, request: Any) -> dict[str, Any]:
        opts = request.options or {}
        body: dict[str, Any] = {"prompt": prompt}
        body["aspect_ratio"] = str(opts.get("aspect_ratio")
                                   or kit.nearest_aspect(request.width, request.height, RATIOS))
        if opts.get("resolution"):
            body["resolution"] = str(opts["resolution"])
        params = opts.get("params") or {}
        if not isinstance(params, Mapping):
            raise ProviderError("options.params must be a mapping of body fields to values")
        body.update({str(k): plain(v) for k, v in params.items()})
        return body

    # -- calls ------------------------------------------------------------------------------
    def _client(self, ctx: RunContext, read_timeout: float):
        """A client with the SDK's retries off; raises MissingKeyError first."""
        return make_client(self.api_key(), read_timeout)

    def _image(self, request: Any, body: dict[str, Any], ctx: RunContext) -> Result:
        model = request.model
        who = f"getimg/{model}"
        journal = ctx.journal
        recorded = journal.get() if journal is not None else None
        if recorded and recorded.get("provider") == self.name and recorded.get("url"):
            job_id = str(recorded.get("job_id") or "")
            ctx.log(f"{who}: image {job_id} was generated already; downloading it again")
            try:
                data = kit.download(str(recorded["url"]), who=who, job_id=job_id)
            except TransientError:
                raise  # the record stays: the runner's retry downloads it again
            except ProviderError:
                ctx.log(f"{who}: image {job_id} is no longer available; generating a new one")
                journal.clear()
                ctx.charge()  # a new submission: reserve its cost against the budget
            else:
                return self._save_image(data, request, ctx, job_id, recorded.get("cost"))
        call = ctx.call
        read_timeout = call.get("read_timeout")
        if read_timeout is None:
            read_timeout = call.get("timeout")
        read_timeout = float(DEFAULT_IMAGE_TIMEOUT if read_timeout is None else read_timeout)
        client = self._client(ctx, read_timeout)
        kwargs, extra = split_body(body, ("prompt", "aspect_ratio", "images", "output_format", "resolution"))
        ctx.log(f"{who}: generating an image")
        response = submit(lambda: client.images.generate(model=model, extra_body=extra or None, **kwargs),
                           who, read_timeout, option="timeout")
        job_id, url, cost = completed(response, who)
        if journal is not None:
            journal.record(job_id, provider=self.name, url=url, cost=cost)
        data = kit.download(url, who=who, job_id=job_id)
        return self._save_image(data, request, ctx, job_id, cost)

    @staticmethod
    def _save_image(data: bytes, request: Any, ctx: RunContext, job_id: str, cost: Any) -> Result:
        who = f"getimg/{request.model}"
        try:
            facts = kit.save_png_fitted(data, ctx.output_path, request.width, request.height, who=who, job_id=job_id)
        except ProviderError:
            if ctx.journal is not None:
                ctx.journal.clear()  # a file that is not an image: a new attempt must generate again
            raise
        info: dict[str, Any] = {"job_id": job_id, "model": request.model, **facts}
        return Result(ctx.output_path, cost_usd=usd(cost), info=info)

