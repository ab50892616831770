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

Submissions (the rule for both endpoints)
    * ``TransientError`` (the runner retries) only when getimg certainly created nothing: the
      connection could not be made (``httpx.ConnectError``, ``ConnectTimeout``, ``PoolTimeout``,
      ``UnsupportedProtocol``, ``ProxyError``; the SDK raises them as ``getimg.APIConnectionError``
      / ``APITimeoutError`` with the httpx error as ``__cause__``, in
      ``getimg/_base_client.py`` ``SyncAPIClient.request``, before the request was sent), or an
      HTTP 408, 409 or 429 answer (the API answered with a client error: no generation was
      created; 429 carries ``retry-after`` / ``retry-after-ms``).
    * ``storyrender.providers.hosted.SubmitUncertain`` (not retried) when the request was sent
      and the answer was lost or was an HTTP 5xx: a read timeout (``read_timeout`` for videos,
      ``timeout`` for images), the connection dropped before the answer, or 5xx (getimg documents
      no 5xx as "not created"). The generation may exist and be billed; the error says to check
      the day's costs (``GET /v2/billing/costs``, the SDK's ``client.billing.list_costs``, or the
      developer dashboard at https://getimg.ai/app/developer) before building again.

    No idempotency key protects a repeated POST: the SDK makes one for every non-GET request
    (``SyncAPIClient.request``, ``_idempotency_key()``) but sends it only when the client's
    ``_idempotency_header`` is set, and ``getimg.GetimgAI`` leaves it ``None``
    (``BaseClient.__init__``); the API documents no such header. Hence the rule above.

    SDK retries are off (``max_retries=0``). The SDK would otherwise repeat timeouts, dropped
    connections, 408/409/429 and 5xx, POSTs included, 5 times (``getimg/_constants.py``
    ``DEFAULT_MAX_RETRIES = 5``; its README says 2), ``_base_client.BaseClient._should_retry``.
    storyrender's runner is the only retry layer, so ``max_retries`` and ``poll_retries`` are
    no longer options.

Videos are hosted jobs (``storyrender.providers.hosted.run_hosted``)
    The generation id is recorded as soon as getimg answers the create, so a failed poll or
    download, a Ctrl-C or a ``kill -9`` resumes it on the next attempt or build instead of paying
    for a new one. A status poll answered 404 means the generation is gone (``JobGone``); other
    failed polls and downloads raise ``TransientError``. The v2 API has no cancel: a job that
    outlives ``timeout`` is abandoned (it may still finish and be billed).

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

import re
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    ImageRequest,
    Job,
    JobGone,
    JobStatus,
    KeyframeRequest,
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
    compose_prompt,
    data_uri,
    download,
    nearest_aspect,
    retry_after_seconds,
    save_png_fitted,
    save_video,
)

__all__ = ["GetimgProvider", "PRICES_AS_OF", "OPTIONS", "COSTS_HINT"]

#: the date the list prices below were recorded; the API reports each call's actual cost
PRICES_AS_OF = "2026-11-24"

#: where to look when a generation may have been made but its answer was lost
COSTS_HINT = "GET /v2/billing/costs, or the developer dashboard at https://getimg.ai/app/developer"

_VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")
_REFUSAL = re.compile(r"content[\s_-]*polic|nsfw|safety|moderat|flagged|inappropriate|prohibited|violat",
                      re.IGNORECASE)

DEFAULT_VIDEO_TIMEOUT = 1800.0
DEFAULT_IMAGE_TIMEOUT = 300.0
DEFAULT_READ_TIMEOUT = 120.0
DEFAULT_POLL_INTERVAL = 5.0

#: Board options this provider reads.
OPTIONS: tuple[Option, ...] = (
    Option("aspect_ratio", str, None, "sent as given; default: the common ratio nearest the board's size"),
    Option("resolution", str, None, "e.g. 720p (default: the model's)"),
    Option("sound", bool, False, "ask video models for sound"),
    Option("params", dict, None, "extra body fields, sent as they are"),
    Option("keyframe_prompt", str, NEXT_KEYFRAME_PROMPT, "the next-keyframe prompt ({seconds}, {prompt})"),
    Option("durations", list, None, "clip lengths (s) to validate against, e.g. [5, 10]", identity=False),
    Option("timeout", float, None, "videos: seconds to wait for the job (default 1800; the API has no cancel); "
           "images: seconds to wait for the answer (default 300)", identity=False),
    Option("read_timeout", float, None, "seconds to wait for the answer to one video API request (default 120); "
           "for images it overrides timeout. A submission whose answer times out is not repeated",
           identity=False),
    Option("poll_interval", float, None, "seconds between video status polls (default 5)", identity=False),
)

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

#: httpx errors raised before any byte of the request was sent
_NOT_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout", "UnsupportedProtocol", "ProxyError"})
#: HTTP answers that say no generation was created and a later try may work
_RETRY_STATUSES = frozenset({408, 409, 429})


class GetimgProvider(Provider):
    """Runs getimg.ai models through the ``getimg`` SDK (v2 API)."""

    name = "getimg"
    version = "1"
    description = "getimg.ai v2 API (getimg/MODEL, any model id); key GETIMG_API_KEY"
    key_env = ("GETIMG_API_KEY",)
    concurrency = 4
    models = _MODELS
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
        body = self._body(compose_prompt(request, negative_inline=True), request)
        body["output_format"] = "png"
        return self._image(request, body, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        template = str(request.options.get("keyframe_prompt", NEXT_KEYFRAME_PROMPT))
        prompt = template.format(seconds=request.seconds, prompt=request.prompt)
        body = self._body(compose_prompt(request, negative_inline=True, prompt=prompt), request)
        body["output_format"] = "png"
        body["images"] = [{"url": data_uri(request.previous)}]
        return self._image(request, body, ctx)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        opts = request.options or {}
        body = self._body(compose_prompt(request, negative_inline=True), request)
        images = [{"role": "first_frame", "url": data_uri(request.first)}]
        if request.last is not None:
            images.append({"role": "last_frame", "url": data_uri(request.last)})
        body["images"] = images
        body["duration"] = int(round(float(request.seconds)))
        body.setdefault("sound", bool(opts.get("sound", False)))
        call = ctx.call
        read_timeout = float(call.get("read_timeout") or DEFAULT_READ_TIMEOUT)
        client = self._client(ctx, read_timeout)
        kwargs, extra = _split(body, ("prompt", "aspect_ratio", "duration", "images", "resolution", "sound"))
        job = _VideoJob(client, request.model, kwargs, extra, ctx, read_timeout)
        timeout = call.get("timeout")
        interval = call.get("poll_interval")
        return run_hosted(job, ctx, provider=self.name,
                          timeout=float(DEFAULT_VIDEO_TIMEOUT if timeout is None else timeout),
                          interval=float(DEFAULT_POLL_INTERVAL if interval is None else interval))

    @staticmethod
    def _body(prompt: str, request: Any) -> dict[str, Any]:
        opts = request.options or {}
        body: dict[str, Any] = {"prompt": prompt}
        body["aspect_ratio"] = str(opts.get("aspect_ratio") or nearest_aspect(request.width, request.height, _RATIOS))
        if opts.get("resolution"):
            body["resolution"] = str(opts["resolution"])
        params = opts.get("params") or {}
        if not isinstance(params, Mapping):
            raise ProviderError("options.params must be a mapping of body fields to values")
        body.update({str(k): _plain(v) for k, v in params.items()})
        return body

    # -- calls ------------------------------------------------------------------------------
    def _client(self, ctx: RunContext, read_timeout: float):
        """A ``getimg.GetimgAI`` client with the SDK's retries off; raises MissingKeyError first."""
        key = self.api_key()
        import getimg
        import httpx

        # No base_url: the SDK reads GETIMG_AI_BASE_URL itself (a board never chooses the host).
        return getimg.GetimgAI(api_key=key,
                               timeout=httpx.Timeout(read_timeout, connect=min(read_timeout, 10.0)),
                               max_retries=0)

    def _image(self, request: Any, body: dict[str, Any], ctx: RunContext) -> Result:
        model = request.model
        who = f"getimg/{model}"
        journal = ctx.journal
        recorded = journal.get() if journal is not None else None
        if recorded and recorded.get("provider") == self.name and recorded.get("url"):
            job_id = str(recorded.get("job_id") or "")
            ctx.log(f"{who}: image {job_id} was generated already; downloading it again")
            try:
                data = download(str(recorded["url"]), who=who, job_id=job_id)
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
        kwargs, extra = _split(body, ("prompt", "aspect_ratio", "images", "output_format", "resolution"))
        ctx.log(f"{who}: generating an image")
        response = _submit(lambda: client.images.generate(model=model, extra_body=extra or None, **kwargs),
                           who, read_timeout, option="timeout")
        job_id, url, cost = _completed(response, who)
        if journal is not None:
            journal.record(job_id, provider=self.name, url=url, cost=cost)
        data = download(url, who=who, job_id=job_id)
        return self._save_image(data, request, ctx, job_id, cost)

    @staticmethod
    def _save_image(data: bytes, request: Any, ctx: RunContext, job_id: str, cost: Any) -> Result:
        who = f"getimg/{request.model}"
        try:
            facts = save_png_fitted(data, ctx.output_path, request.width, request.height, who=who, job_id=job_id)
        except ProviderError:
            if ctx.journal is not None:
                ctx.journal.clear()  # a file that is not an image: a new attempt must generate again
            raise
        info: dict[str, Any] = {"job_id": job_id, "model": request.model, **facts}
        return Result(ctx.output_path, cost_usd=_cost(cost), info=info)


class _VideoJob:
    """One getimg video generation, as :func:`run_hosted` drives it."""

    def __init__(self, client: Any, model: str, kwargs: dict[str, Any], extra: dict[str, Any], ctx: RunContext,
                 read_timeout: float) -> None:
        self.client, self.model, self.kwargs, self.extra, self.ctx = client, model, kwargs, extra, ctx
        self.read_timeout = read_timeout
        self.who = f"getimg/{model}"

    def submit(self) -> str:
        created = _submit(lambda: self.client.videos.generations.create(
            model=self.model, extra_body=self.extra or None, **self.kwargs), self.who, self.read_timeout,
            option="read_timeout")
        return _field(created, "id", self.who)

    def poll(self, job_id: str) -> JobStatus:
        import getimg

        try:
            current = self.client.videos.generations.retrieve(job_id)
        except getimg.NotFoundError:
            raise JobGone(f"{self.who}: getimg no longer knows generation {job_id}", job_id=job_id) from None
        except getimg.GetimgAIError as exc:
            raise _read_error(exc, self.who, job_id) from None
        status = getattr(current, "status", None)
        if not isinstance(status, str) or not status:
            raise ProviderError(f"{self.who}: unexpected response from the API (no status)", job_id=job_id)
        if status == "completed":
            return JobStatus("succeeded", output=current)
        if status == "failed":
            err = getattr(current, "error", None)
            code = str(getattr(err, "code", "") or "")
            message = str(getattr(err, "message", "") or "the generation failed without a reason")
            return JobStatus("failed", error=message + (f" ({code})" if code else ""),
                             refused=bool(_REFUSAL.search(f"{code} {message}")))
        if status in ("canceled", "cancelled"):
            return JobStatus("canceled")
        return JobStatus("pending", detail=status)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        current = status.output
        _, url, cost = _completed(current, self.who, job_id)
        data = download(url, who=self.who, job_id=job_id)  # TransientError: the retry resumes this job
        ctx = self.ctx
        try:
            save_video(data, ctx.output_path, who=self.who, job_id=job_id)
        except ProviderError:
            if ctx.journal is not None:
                ctx.journal.clear()  # not a video: a new attempt must submit again
            raise
        info: dict[str, Any] = {"job_id": job_id, "model": self.model}
        item = current.data[0]
        for k in ("duration", "fps", "width", "height"):
            if getattr(item, k, None) is not None:
                info[k] = getattr(item, k)
        return Result(ctx.output_path, cost_usd=cost, info=info)

    def cancel(self, job_id: str) -> bool:
        """The v2 API has no cancel endpoint (the SDK's ``videos.generations`` has create and retrieve
        only): the generation may still finish and be billed."""
        self.ctx.log(f"{self.who}: the API cannot cancel generation {job_id}; it may still finish and be billed")
        return False


# -- helpers ----------------------------------------------------------------------------------


def _split(body: dict[str, Any], known: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """SDK keyword arguments and the rest (sent with ``extra_body``)."""
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    return kwargs, extra


def _plain(value: Any) -> Any:
    """Plain dicts and lists (identity options arrive read-only)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _cost(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _completed(response: Any, who: str, job_id: str | None = None) -> tuple[str, str, float | None]:
    """(id, first media URL, usage.total_cost) of a completed generation."""
    job_id = _field(response, "id", who, job_id)
    try:
        url = response.data[0].url
        if not isinstance(url, str) or not url:
            raise TypeError("data[0].url")
    except (AttributeError, IndexError, TypeError, KeyError):
        raise ProviderError(f"{who} completed but returned no file", job_id=job_id) from None
    usage = getattr(response, "usage", None)
    return job_id, url, _cost(getattr(usage, "total_cost", None) if usage is not None else None)


def _field(obj: Any, name: str, who: str, job_id: str | None = None) -> Any:
    value = getattr(obj, name, None)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"{who}: unexpected response from the API (no {name})", job_id=job_id)
    return value


def _uncertain(who: str, what: str, option: str) -> SubmitUncertain:
    return SubmitUncertain(
        f"{who}: {what}; getimg may have accepted (and will bill) the generation. It is not submitted "
        f"again automatically: check the day's costs ({COSTS_HINT}) before building again (a rerun "
        f"submits a new generation), and raise the provider's {option} option if answers are slow"
    )


def _submit(fn, who: str, read_timeout: float, *, option: str):
    """Call a creating SDK method, following the submission rule in the module docstring."""
    import getimg

    try:
        return fn()
    except getimg.APIConnectionError as exc:  # APITimeoutError included
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
        if cause in _NOT_SENT:
            raise TransientError(f"{who}: could not reach the getimg API ({cause}): nothing was sent") from None
        if isinstance(exc, getimg.APITimeoutError):
            raise _uncertain(who, f"the request was sent but getimg did not answer within {read_timeout:g} s "
                                  f"({cause or 'timeout'})", option) from None
        raise _uncertain(who, f"the request was sent but the connection was lost before the answer "
                              f"({cause or exc})", option) from None
    except getimg.APIStatusError as exc:
        if exc.status_code >= 500:
            _, reason = _error_parts(exc.body)
            raise _uncertain(who, f"getimg answered HTTP {exc.status_code} ({reason[:120]})", option) from None
        raise _status_error(exc, who, None) from None
    except getimg.APIResponseValidationError as exc:
        raise ProviderError(f"{who}: unexpected response from the API ({exc})") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProviderError(f"{who}: unexpected response from the API ({type(exc).__name__}: "
                            f"{str(exc)[:200]})") from None


def _read_error(exc: Exception, who: str, job_id: str) -> ProviderError:
    """A failed status poll (repeating it is harmless)."""
    import getimg

    if isinstance(exc, getimg.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else type(exc).__name__
        return TransientError(f"{who}: polling generation {job_id} failed ({cause})", job_id=job_id)
    if isinstance(exc, getimg.APIStatusError):
        if exc.status_code >= 500:
            _, reason = _error_parts(exc.body)
            return TransientError(f"{who}: polling generation {job_id}: HTTP {exc.status_code}: {reason}",
                                  job_id=job_id)
        return _status_error(exc, who, job_id)
    return ProviderError(f"{who}: unexpected response from the API ({exc})", job_id=job_id)


def _status_error(exc: Any, who: str, job_id: str | None) -> ProviderError:
    """An HTTP 4xx answer from the API (no generation was created by it)."""
    status = exc.status_code
    code, reason = _error_parts(exc.body)
    text = f"{who}: HTTP {status}: {reason}" + (f" ({code})" if code else "")
    if status in (400, 403, 422) and _REFUSAL.search(f"{code} {reason}"):
        return RefusedError(text, job_id=job_id)
    if status in _RETRY_STATUSES:
        wait = retry_after_seconds(getattr(exc.response, "headers", None)) if status == 429 else None
        return TransientError(text, job_id=job_id, retry_after=wait)
    if status in (401, 403):
        return ProviderError(f"{who}: the API key was refused (HTTP {status}): {reason}; check GETIMG_API_KEY",
                             job_id=job_id)
    return ProviderError(text, job_id=job_id)


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
