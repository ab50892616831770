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

Queue requests are hosted jobs (:func:`storyrender.providers.hosted.run_hosted`): the request id
that ``POST https://queue.fal.run/{app}`` answers is the job id, recorded before waiting, so a
retry, a Ctrl-C or a killed build resumes it: ``SyncClient.get_handle(app, request_id)`` builds the
handle again (``GET .../requests/{id}/status``, ``GET .../requests/{id}``), and a timeout cancels it
(``PUT .../requests/{id}/cancel``).

When a submission is repeated (fal's queue takes no idempotency key; sources: the Queue API,
https://fal.ai/docs/documentation/model-apis/inference/queue, and ``SyncClient.submit`` in
``fal_client/client.py``):

- ``TransientError`` (the runner retries): the request never reached fal (httpx ``ConnectError``,
  ``ConnectTimeout`` or ``PoolTimeout``, after the SDK's ``BackupDomainTransport`` also tried the
  backup domain), HTTP 429 (a rate-limit refusal, answered instead of a request id; its
  ``Retry-After`` is honoured), HTTP 408 (the server did not receive the whole request,
  RFC 9110 section 15.5.9), and any failure while uploading frames with ``upload: cdn``
  (storage uploads create no request).
- ``SubmitUncertain`` (not retried; the message points to https://fal.ai/dashboard/requests): a
  read timeout or dropped connection after the submission was sent, HTTP 5xx (502/503/504
  included: fal documents 503 and 504 as errors its queue retries while *processing* a request,
  https://fal.ai/docs/documentation/serverless/reliability/retries, not as "not queued" when
  submitting; the SDK's guess that an nginx-looking 5xx without ``x-fal-request-id`` came from the
  ingress, ``_is_ingress_error``, is a heuristic, not a guarantee), or a 2xx answer without a
  readable request id.
- ``ProviderError`` (not retried): other 4xx answers (invalid input 422, key 401/403, unknown app
  404, 409; ``RefusedError`` for a content-policy refusal), which queue nothing.

SDK retries: fal-client sends ``submit`` (and status, result and cancel) through
``_maybe_retry_request``, which repeats a request up to ``MAX_ATTEMPTS`` = 10 times on timeouts,
transport errors, HTTP 408/409/429 and ingress 502/503/504 (``_should_retry``). For the
submission that could queue (and bill) the same request several times, so this plugin wraps the
SDK's HTTP transport (``SyncClient._client``) and, while a submission is being sent, lets each
attempt out once: its transport errors and 4xx/5xx answers are raised past the SDK's retry loop
(:class:`_Unretried`), and the rule above decides. Status polls, result fetches and cancels keep
the SDK's bounded retries (pure reads, or a cancel). fal reports no cost per request: the list
price is recorded in the manifest (``info.list_price_usd``).
"""

from __future__ import annotations

import dataclasses
import re
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
    compose_prompt,
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
                # 3 to 15 s (shared providers.md corrections 2026-12-01, checked 2026-12-04)
                limits=Limits(durations=tuple(float(d) for d in range(3, 16))),
                price=Price(per_second=0.112, as_of=PRICES_AS_OF),
                description="Kling 3 Pro image-to-video with an optional end image; 3 to 15 s; silent unless "
                            "params.generate_audio is true",
                # version 2: generate_audio is pinned to false (the app's default is true)
                version="2",
            ),
            InputMap(first_frame="start_image_url", last_frame="end_image_url", duration="duration",
                     duration_format="{:g}", negative_prompt="negative_prompt", defaults={"generate_audio": False}),
        ),
    )
}


#: per-second list prices with ``params.generate_audio: true``, for the apps whose default this plugin
#: pins to silent. Kling 3 Pro with audio bills about 1.5x the silent price (shared providers.md
#: corrections 2026-12-01, checked 2026-12-04); Veo 3.1 Fast with audio: no price known here.
AUDIO_PRICES: dict[str, float | None] = {
    "fal-ai/kling-video/v3/pro/image-to-video": round(0.112 * 1.5, 6),
    "fal-ai/veo3.1/fast/first-last-frame-to-video": None,
}


def _check_app(app: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+", app or ""):
        raise ValueError(app)
    return app


#: where a user finds a request the plugin could not confirm
_DASHBOARD = "https://fal.ai/dashboard/requests"


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
        Option("keyframe_prompt", str, NEXT_KEYFRAME_PROMPT, "template of next-keyframe prompts ({seconds}, {prompt})"),
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
        args = _fill(m, self._prompt(request, m), request, opts)
        return self._run(Job.TEXT_TO_IMAGE, request, args, (), key, ctx, None)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        key = self.api_key()
        opts = request.options or {}
        m = self._inputs(request.model, opts)
        if not m.image:
            raise ProviderError(f"fal/{request.model} has no argument mapped for the previous keyframe "
                                "(options.inputs.image)")
        template = str(opts.get("keyframe_prompt") or NEXT_KEYFRAME_PROMPT)
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
    def _prompt(request: Any, m: InputMap, prompt: str | None = None) -> str:
        # An app without a negative-prompt argument gets "Avoid: ..." in its prompt instead.
        return compose_prompt(request, negative_inline=not m.negative_prompt, prompt=prompt)

    # -- the queue ----------------------------------------------------------------------------
    def _run(self, job: Job, request: Any, args: dict[str, Any], files: tuple[tuple[str, Path], ...], key: str,
             ctx: RunContext, seconds: float | None) -> Result:
        video = job in _VIDEO_JOBS
        call = ctx.call
        timeout = float(call.get("timeout") or (1800.0 if video else 600.0))
        interval = float(call.get("poll_interval") or (2.0 if video else 0.5))
        upload = call.get("upload") or "data_uri"
        if upload not in ("data_uri", "cdn"):
            raise ProviderError(f"options.upload must be data_uri or cdn, not {upload!r}")
        client, guard = _client(key, float(call.get("read_timeout") or 120.0))
        try:
            hosted = _QueueRequest(self, client, guard, request, args, files, ctx, video=video, upload=upload,
                                   seconds=seconds)
            return run_hosted(hosted, ctx, provider=self.name, timeout=timeout, interval=interval)
        finally:
            client._client.close()


def _fill(m: InputMap, prompt: str, request: Any, opts: Mapping[str, Any]) -> dict[str, Any]:
    if m.seed and request.seed is None:  # the beat's seed is not read for this app (see check)
        m = dataclasses.replace(m, seed=None)
    return m.fill({}, prompt, request, opts.get("params"))


# -- the submission, sent once ------------------------------------------------------------------


class _Unretried(Exception):
    """A submission attempt that failed (an httpx error, or an HTTP error answer), raised past the
    SDK's retry loop (``_maybe_retry_request`` only repeats httpx and ``FalClientHTTPError`` errors)."""

    def __init__(self, error: Exception | None = None, response: Any = None) -> None:
        super().__init__(str(error) if error is not None else f"HTTP {getattr(response, 'status_code', '?')}")
        self.error = error
        self.response = response


class _SubmitOnce:
    """Wraps the SDK's httpx transport. While :attr:`armed` (only around ``SyncClient.submit``),
    each POST goes out once: a transport error or an HTTP error answer becomes :class:`_Unretried`,
    so the SDK cannot send the submission again. Everything else passes through unchanged."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed = False
        self.sent = 0

    def handle_request(self, request: Any) -> Any:
        import httpx

        if not (self.armed and request.method == "POST"):
            return self.inner.handle_request(request)
        self.sent += 1
        try:
            response = self.inner.handle_request(request)
            response.read()  # a body that times out is read here, not in the SDK's retry loop
        except httpx.HTTPError as exc:
            raise _Unretried(exc) from exc
        if response.status_code >= 400:
            raise _Unretried(response=response)
        return response

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> "_SubmitOnce":
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)


def _client(key: str, read_timeout: float) -> tuple[Any, _SubmitOnce]:
    """A ``fal_client.SyncClient`` whose submissions go out once (see the module docstring)."""
    import fal_client

    client = fal_client.SyncClient(key=key, default_timeout=read_timeout)
    # The SDK's httpx client (a cached property): submit, status, result and cancel all use it.
    http = client._client
    inner = getattr(http, "_transport", None)
    if inner is None or not callable(getattr(inner, "handle_request", None)) or getattr(http, "_mounts", None):
        raise ProviderError("fal: this fal-client version builds its HTTP client differently, so its retries of "
                            "submissions cannot be turned off; install the fal-client version this plugin supports")
    guard = _SubmitOnce(inner)
    http._transport = guard
    return client, guard


class _QueueRequest:
    """One fal queue request as a :class:`~storyrender.providers.hosted.HostedJob`.

    The request id is the job id: ``submit`` is ``SyncClient.submit`` (sent once), ``poll`` is the
    handle's ``status()``, ``fetch`` its ``get()`` and the download of the output file, ``cancel``
    its ``cancel()``. A handle for a recorded request id comes from ``SyncClient.get_handle``.
    """

    def __init__(self, provider: FalProvider, client: Any, guard: _SubmitOnce, request: Any, args: dict[str, Any],
                 files: tuple[tuple[str, Path], ...], ctx: RunContext, *, video: bool, upload: str,
                 seconds: float | None) -> None:
        self.provider, self.client, self.guard, self.request = provider, client, guard, request
        self.args, self.files, self.ctx = args, files, ctx
        self.video, self.upload, self.seconds = video, upload, seconds
        self.app = request.model
        self.who = f"fal/{request.model}"
        self._handle: Any = None

    # -- HostedJob ----------------------------------------------------------------------------
    def submit(self) -> str:
        import fal_client
        import httpx

        args = dict(self.args)
        for param, path in self.files:
            if self.upload == "cdn":
                # Storage uploads create no queue request: any failure leaves nothing to pay for.
                args[param] = _call(lambda p=path: self.client.upload_file(p), self.who, what="uploading a frame")
            else:
                args[param] = fal_client.encode_file(path)
        self.guard.armed = True
        try:
            handle = self.client.submit(self.app, arguments=args)
        except _Unretried as failed:
            raise self._submit_error(failed) from None
        except fal_client.FalClientHTTPError as exc:  # not expected: error answers are raised as _Unretried
            raise self._http_submit_error(exc.response, exc.error_type) from None
        except httpx.HTTPError as exc:
            raise self._uncertain(f"{type(exc).__name__} after the request was sent") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise self._uncertain(f"unexpected answer from the queue ({type(exc).__name__}: "
                                  f"{_short(str(exc))})") from None
        finally:
            self.guard.armed = False
        if not getattr(handle, "request_id", None):
            raise self._uncertain("unexpected answer from the queue (no request id)")
        self._handle = handle
        return str(handle.request_id)

    def poll(self, job_id: str) -> JobStatus:
        import fal_client

        prefix = f"{self.who}: polling request {job_id}"
        handle = self._handle_for(job_id)
        status = _call(handle.status, prefix, job_id=job_id, gone=True)
        if isinstance(status, fal_client.Queued):
            return JobStatus("pending", detail=f"in the queue (position {status.position})")
        if isinstance(status, fal_client.InProgress):
            return JobStatus("pending", detail="in progress")
        if isinstance(status, fal_client.Completed):
            if status.error:
                reason = str(status.error) + (f" ({status.error_type})" if status.error_type else "")
                refused = status.error_type == "content_policy_violation" or bool(_REFUSAL.search(str(status.error)))
                return JobStatus("failed", error=reason, refused=refused)
            return JobStatus("succeeded", output=status, detail="completed")
        raise ProviderError(f"{prefix}: unknown status {type(status).__name__}", job_id=job_id)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        try:
            return self._fetch(job_id, status)
        except TransientError:
            raise  # the retry resumes this request: polls it, then fetches again
        except ProviderError:
            self._forget()  # this request's output is useless: a new attempt must submit again
            raise

    def cancel(self, job_id: str) -> None:
        self._handle_for(job_id).cancel()

    # -- helpers ------------------------------------------------------------------------------
    def _handle_for(self, job_id: str) -> Any:
        if self._handle is not None and self._handle.request_id == job_id:
            return self._handle  # the URLs the submission answered
        self._handle = self.client.get_handle(self.app, job_id)
        return self._handle

    def _fetch(self, job_id: str, status: JobStatus) -> Result:
        handle = self._handle_for(job_id)
        try:
            result = _call(lambda: handle.get(interval=0.0), f"{self.who}: fetching the result of request {job_id}",
                           job_id=job_id, gone=True)
        except JobGone:
            self._forget()
            raise TransientError(f"{self.who}: the result of request {job_id} is gone at fal; it will be "
                                 "submitted again", job_id=job_id) from None
        url = _media_url(result)
        if url is None:
            keys = ", ".join(sorted(map(str, result))) if isinstance(result, Mapping) else type(result).__name__
            raise ProviderError(f"{self.who} completed but returned no file (result: {keys})", job_id=job_id)
        data = download(url, who=self.who, job_id=job_id)
        ctx, request = self.ctx, self.request
        info: dict[str, Any] = {"job_id": job_id, "model": self.app}
        done = status.output
        if getattr(done, "metrics", None):
            info["metrics"] = dict(done.metrics)
        if isinstance(result, Mapping) and result.get("seed") is not None:
            info["seed"] = result["seed"]
        if self.video:
            save_video(data, ctx.output_path, who=self.who, job_id=job_id)
        else:
            info.update(save_png_fitted(data, ctx.output_path, request.width, request.height, who=self.who,
                                        job_id=job_id))
        price = self.provider.price_for(self.provider.resolve_model(self.app), request.options or {})
        known = price.known  # an unpriced choice (e.g. 1080p) records no figure rather than $0
        info["list_price_usd"] = round(price.estimate(self.seconds if self.video else None), 6) if known else None
        info["price_as_of"] = price.as_of
        # fal reports no cost per request: cost_usd stays None and the list price is in info.
        return Result(ctx.output_path, cost_usd=None, info=info)

    def _submit_error(self, failed: _Unretried) -> ProviderError:
        import httpx

        if failed.response is not None:
            return self._http_submit_error(failed.response, None)
        exc = failed.error
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            # the request never reached fal
            return TransientError(f"{self.who}: submitting: {type(exc).__name__}: {exc}")
        return self._uncertain(f"{type(exc).__name__} after the request was sent")

    def _http_submit_error(self, response: Any, error_type: str | None) -> ProviderError:
        status = response.status_code
        reason, kinds = _reason(response, error_type)
        if status >= 500:  # not documented as "not queued": it may have been
            return self._uncertain(f"HTTP {status}: {reason}")
        return _http_error(f"{self.who}: submitting", status, reason, kinds, dict(response.headers), None)

    def _uncertain(self, why: str) -> SubmitUncertain:
        return SubmitUncertain(
            f"{self.who}: the request may have been queued ({why}), so it is not submitted again: look for it "
            f"at {_DASHBOARD} before building again; the next build submits a new request")

    def _forget(self) -> None:
        if self.ctx.journal is not None:
            self.ctx.journal.clear()


def _http_error(prefix: str, status: int, reason: str, kinds: set[str], headers: Mapping[str, str],
                job_id: str | None) -> ProviderError:
    """The storyrender error for an HTTP error answer to anything but a submission."""
    headers = {str(k).lower(): v for k, v in (headers or {}).items()}
    text = f"{prefix}: HTTP {status}: {reason}"
    if "content_policy_violation" in kinds or (status in (400, 422) and _REFUSAL.search(reason)):
        return RefusedError(text, job_id=job_id)
    if status == 429:
        return TransientError(text, job_id=job_id, retry_after=retry_after_seconds(headers))
    if status >= 500 or status == 408:
        return TransientError(text, job_id=job_id)
    if status in (401, 403):
        return ProviderError(f"{prefix}: the key was refused (HTTP {status}): {reason}; check FAL_KEY", job_id=job_id)
    return ProviderError(text, job_id=job_id)


def _call(fn, prefix: str, *, job_id: str | None = None, what: str = "", gone: bool = False):
    """Call into fal_client (status, result, upload), turning its exceptions into storyrender's;
    with *gone*, HTTP 404 raises :class:`JobGone` (fal no longer knows the request)."""
    import fal_client
    import httpx

    if what:
        prefix = f"{prefix}: {what}"
    try:
        return fn()
    except fal_client.FalClientHTTPError as exc:
        if gone and exc.status_code == 404:
            raise JobGone(f"{prefix}: fal no longer knows request {job_id} (HTTP 404)", job_id=job_id) from None
        reason, kinds = _reason(exc.response, exc.error_type)
        raise _http_error(prefix, exc.status_code, reason, kinds, exc.response_headers, job_id) from None
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise TransientError(f"{prefix}: {type(exc).__name__}: {exc}", job_id=job_id) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ProviderError(f"{prefix}: unexpected response from the queue ({type(exc).__name__}: "
                            f"{_short(str(exc))})", job_id=job_id) from None


def _reason(response: Any, error_type: str | None = None) -> tuple[str, set[str]]:
    """The vendor's words and error types from a fal error answer (model errors carry a ``detail``
    list, request errors a ``detail`` string and ``error_type``; https://docs.fal.ai/errors)."""
    kinds: set[str] = set()
    if error_type:
        kinds.add(str(error_type))
    headers = {str(k).lower(): v for k, v in dict(getattr(response, "headers", {}) or {}).items()}
    if headers.get("x-fal-error-type"):
        kinds.add(str(headers["x-fal-error-type"]))
    try:
        body = response.json()
    except Exception:
        body = None
    if isinstance(body, Mapping) and body.get("error_type"):
        kinds.add(str(body["error_type"]))
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
    try:
        text = response.text
    except Exception:
        text = ""
    return (_short(text, 300) or "no reason given"), kinds


def _short(value: Any, n: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= n else text[:n] + "..."


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
