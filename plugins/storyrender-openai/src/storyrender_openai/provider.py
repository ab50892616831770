"""The ``openai`` provider: keyframes from OpenAI's GPT image models, and speech.

Jobs:

* ``text-to-image``: ``client.images.generate`` (``POST /v1/images/generations``) draws keyframe 0;
* ``next-keyframe``: ``client.images.edit`` (``POST /v1/images/edits``, multipart) gets the previous
  keyframe as its first image, then the reference images of the characters named in the beat, with
  ``input_fidelity="high"`` on the models that take it, and the instruction "the same scene, N
  seconds later: ...";
* ``write-story`` (``storyrender new``): ``client.chat.completions.create`` with a JSON-schema
  ``response_format`` (Structured Outputs) on a GPT text model; see :mod:`storyrender_openai.writer`;
* ``speech``: ``client.audio.speech.create`` (``POST /v1/audio/speech``) says a beat's ``say:``
  line in ``audio.voice.name`` (see :mod:`storyrender_openai.speech`).

GPT image models always answer with base64 (``data[0].b64_json``). The decoded image is checked
with Pillow, fitted to the board's size (cover: scale, then centre-crop) and written as a PNG to
``ctx.output_path`` through a temporary file, so a bad answer never leaves a file behind.

What the request reads (``Provider.reads``)
    ``camera`` and ``negative_prompt`` for both jobs, ``references`` for next keyframes only. Both
    are composed into the prompt text with ``kit.compose_prompt`` (``" Camera: X."``, then
    ``" Avoid: Y."``: GPT image models have no negative-prompt parameter). GPT image models take no
    seed, so ``seed`` is not read: a new take is still a new request (``request.take`` is part of
    the node's key) but the vendor receives the same parameters, and the new image differs only
    because the model is not deterministic. ``fps`` and ``hints`` are not read.

Options (``{use: openai/MODEL, options: {...}}``)

==================  ========  ===========================================================
option              kind      meaning
==================  ========  ===========================================================
``quality``         identity  ``low``, ``medium`` (default), ``high`` or ``auto`` (priced as high)
``size``            identity  the vendor size to ask for (e.g. ``1536x1024``); default: from the
                              board's size
``input_fidelity``  identity  ``high`` or ``low`` for next keyframes; default high where the
                              model takes it
``moderation``      identity  ``low`` or ``auto``, text-to-image only (the vendor's default unset)
``timeout``         call      seconds to wait for the answer to one request (default: the SDK's,
                              600 s); a slower answer is *not* retried, see below
==================  ========  ===========================================================

Identity options are part of each node's key; call options never re-render anything. There is no
``base_url`` option: a storyboard never chooses where the key goes. The SDK reads its host from
``OPENAI_BASE_URL`` (openai 3.60 ``lib/_client_auth.py``, checked 2026-12-04), else OpenAI's.

Submissions: there is no hosted job
    Image generation and edits are synchronous: the image comes back in the answer to the POST,
    and there is no job id to record, poll or resume. Each POST may make (and bill) an image, so:

    * ``TransientError`` (the runner retries) only when OpenAI certainly made nothing: the
      connection could not be made (``httpx`` ``ConnectError``/``ConnectTimeout``/``PoolTimeout``
      under ``openai.APIConnectionError``/``APITimeoutError``, raised by
      ``openai._base_client.SyncAPIClient.request`` before any byte of the request was sent), HTTP
      429 (except ``insufficient_quota``), HTTP 500 and 503, which OpenAI documents as "retry your
      request after a brief wait" (https://platform.openai.com/docs/guides/error-codes), and 408
      (request timeout) / 409 (lock timeout), which the SDK itself treats as safe to repeat
      (``openai/_base_client.py``, ``BaseClient._should_retry``);
    * ``storyrender.providers.hosted.SubmitUncertain`` (not retried) when the request was sent and
      the answer was lost: a read timeout (the ``timeout`` option), the connection dropped before
      the answer, or a gateway's 502/504/52x in front of the API. The image may have been made and
      billed; the error says to check the usage page (https://platform.openai.com/usage) before
      building again, and a rerun asks for a new image.

    Idempotency: the installed SDK (openai 3.57, ``openai/_base_client.py``) makes an idempotency
    key for every non-GET request (``SyncAPIClient.request``: ``_idempotency_key()``, "ensure the
    idempotency key is reused between requests") but sends it only when the client's
    ``_idempotency_header`` is set, and ``OpenAI`` leaves it ``None`` (``BaseClient.__init__``);
    the images endpoints take no ``Idempotency-Key`` parameter either. So no idempotency key
    reaches ``/v1/images/*`` and a repeated POST is a second, billed image: hence the rule above.

    SDK retries are off: the client is built with ``max_retries=0`` (the SDK would otherwise
    retry timeouts, dropped connections, 408/409/429 and 5xx twice, ``_should_retry``), and that
    is not an option: storyrender's runner is the only retry layer.

The SDK is imported in :meth:`OpenAIProvider.load` (once, before workers start) and inside the
methods that use it, never when this module is imported.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

from storyrender.provider_api import (
    ImageRequest,
    Job,
    KeyframeRequest,
    Lifecycle,
    Limits,
    ModelInfo,
    Option,
    Price,
    Provider,
    ProviderError,
    RefusedError,
    Result,
    RunContext,
    SpeechRequest,
    SubmitUncertain,
    TransientError,
)
from storyrender.providers.kit import compose_prompt, png_bytes, retry_after_seconds, save_png_fitted

from .writer import write_story, writer_models
from .speech import SPEECH_MODELS, SPEECH_OPTIONS, speech_problems

__all__ = ["OpenAIProvider", "PRICES", "OPTIONS", "vendor_size", "price_per_image", "keyframe_instruction",
           "translate_error"]

#: List prices in USD per image at 1024x1024, per quality. Other sizes are priced by pixel area
#: (1536x1024 costs 1.5 times as much), which is how OpenAI's published size tiers scale.
#: ``None``: no published price known here; the result's cost is then reported as unknown.
PRICES: dict[str, Any] = {
    "as_of": "2026-11-24",
    "unit": "USD per 1024x1024 image; other sizes scale with pixel area",
    "models": {
        "gpt-image-1": {"low": 0.011, "medium": 0.042, "high": 0.167},
        "gpt-image-1.5": {"low": 0.009, "medium": 0.034, "high": 0.133},
        "gpt-image-1-mini": {"low": 0.005, "medium": 0.011, "high": 0.036},
        "gpt-image-2": None,
    },
}

QUALITIES = ("low", "medium", "high", "auto")
DEFAULT_QUALITY = "medium"

#: where to look when an image, a story or speech may have been made but its answer was lost
USAGE_URL = "https://platform.openai.com/usage"

#: Board options this provider reads (``{use: openai/MODEL, options: {...}}``).
OPTIONS: tuple[Option, ...] = (
    Option("quality", str, DEFAULT_QUALITY, "low | medium | high | auto (default medium); auto is priced as high",
           choices=QUALITIES),
    Option("size", str, None, "the vendor size to ask for (e.g. 1536x1024); default: derived from the board's size"),
    Option("input_fidelity", str, None, "high | low for next keyframes; default high where the model takes it",
           choices=("high", "low")),
    Option("moderation", str, None, "low | auto, for text-to-image (the vendor's default when unset)",
           choices=("low", "auto")),
    Option("timeout", float, None, "seconds to wait for the answer to one request (the SDK's default, 600 s, "
           "when unset); a request whose answer times out is not repeated", identity=False),
) + SPEECH_OPTIONS

_TWO_STEP_SIZES = {"landscape": "1536x1024", "portrait": "1024x1536", "square": "1024x1024"}
#: models that take input_fidelity="high" (gpt-image-1-mini takes only low; gpt-image-2 none)
_HIGH_FIDELITY = ("gpt-image-1", "gpt-image-1.5")
_MAX_2 = (3840, 2160)


def _is_flexible(model: str) -> bool:
    """gpt-image-2 and later (2.5, 2.6) take any WxH in multiples of 16."""
    return model.startswith("gpt-image-2")


def vendor_size(model: str, width: int, height: int, options: Mapping[str, Any] | None = None) -> str:
    """The ``size`` to ask *model* for, for a board of *width* x *height*.

    gpt-image-1, -1.5 and -1-mini take three sizes: landscape boards get 1536x1024, portrait ones
    1024x1536, square ones 1024x1024. gpt-image-2 takes the board's size rounded to multiples of
    16, scaled down to fit 3840x2160 (2160x3840 for portrait). The ``size`` option wins.
    """
    if options and options.get("size"):
        return str(options["size"])
    if not _is_flexible(model):
        if width > height:
            return _TWO_STEP_SIZES["landscape"]
        if height > width:
            return _TWO_STEP_SIZES["portrait"]
        return _TWO_STEP_SIZES["square"]
    long_max, short_max = _MAX_2
    long_side, short_side = max(width, height), min(width, height)
    scale = min(1.0, long_max / long_side, short_max / short_side)
    w, h = width * scale, height * scale

    def r16(v: float, cap: int) -> int:
        return int(min(cap - cap % 16, max(16, int(v / 16 + 0.5) * 16)))  # half up

    if width >= height:
        return f"{r16(w, long_max)}x{r16(h, short_max)}"
    return f"{r16(w, short_max)}x{r16(h, long_max)}"


def _parse_size(size: str) -> tuple[int, int] | None:
    try:
        w, h = size.lower().split("x")
        return int(w), int(h)
    except ValueError:
        return None


def price_per_image(model: str, quality: str, size: str) -> float | None:
    """USD for one image of *size* at *quality*, from :data:`PRICES`; None when unknown."""
    table = PRICES["models"].get(model)
    if not table:
        return None
    per_square = table.get("high" if quality == "auto" else quality)
    if per_square is None:
        return None
    dims = _parse_size(size)
    area = (dims[0] * dims[1]) / (1024 * 1024) if dims else 1.0
    return round(per_square * area, 6)


#: where the lifecycle facts were read: the openai SDK's model list and its "Deprecated values" note
#: (openai 3.60.0, ``openai/types/image_model.py`` and ``image_generate_params.py``), checked 2026-12-04
_SDK_SOURCE = "openai SDK 3.60.0 openai/types/image_model.py"
_CHECKED = "2026-12-04"


def _life(status: str, *, shut_down_on: str = "", replacement: str = "") -> Lifecycle:
    return Lifecycle(status=status, shut_down_on=shut_down_on, replacement=replacement, source=_SDK_SOURCE,
                     checked=_CHECKED)


def _model(name: str, description: str, lifecycle: Lifecycle = Lifecycle(),
           jobs: frozenset[Job] = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME})) -> ModelInfo:
    # Estimated at the default quality and the default board size (1280x720 -> 1536x1024).
    estimate = price_per_image(name, DEFAULT_QUALITY, "1536x1024")
    return ModelInfo(
        name=name,
        jobs=jobs,
        limits=Limits(max_size=_MAX_2 if _is_flexible(name) else None),
        price=Price(per_image=estimate, as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


class OpenAIProvider(Provider):
    """OpenAI GPT image models: keyframe 0 (generate) and each next keyframe (edit)."""

    name = "openai"
    version = "1"
    description = "OpenAI GPT image models (gpt-image-*): first keyframe and next keyframes; speech (tts)"
    key_env = ("OPENAI_API_KEY",)
    concurrency = 4
    #: no seed (GPT image models take none), no fps, no hints; references for next keyframes only
    reads = frozenset({"camera", "negative_prompt", "references"})
    options_schema = OPTIONS
    models = (
        _model("gpt-image-1.5", "GPT Image 1.5", _life("ga")),
        _model("gpt-image-1-mini", "GPT Image 1 mini: cheapest; next keyframes at low input fidelity", _life("ga")),
        _model("gpt-image-2", "GPT Image 2: any size in multiples of 16 up to 3840x2160 (price unknown)",
               _life("ga")),
        _model("gpt-image-2.5-sunburst", "GPT Image 2.5 Sunburst (sized like gpt-image-2; price unknown)",
               _life("ga")),
        _model("gpt-image-2.5-flare", "GPT Image 2.5 Flare (sized like gpt-image-2; price unknown)",
               _life("ga")),
        _model("gpt-image-1", "GPT Image 1",
               _life("shut_down", shut_down_on="2026-10-23", replacement="gpt-image-2.5-sunburst")),
        _model("dall-e-3", "DALL-E 3", _life("shut_down", shut_down_on="2026-05-12", replacement="gpt-image-1.5"),
               jobs=frozenset({Job.TEXT_TO_IMAGE})),
        _model("dall-e-2", "DALL-E 2", _life("shut_down", shut_down_on="2026-05-12", replacement="gpt-image-1.5"),
               jobs=frozenset({Job.TEXT_TO_IMAGE})),
        *writer_models(),  # write-story (storyrender new): see writer.py
    ) + SPEECH_MODELS

    # -- description -------------------------------------------------------------------------
    def load(self) -> None:
        import openai  # noqa: F401
        import openai.resources.chat  # noqa: F401
        import openai.resources.images  # noqa: F401
        from openai import OpenAI  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # keyframe 0 is drawn from text alone: character reference images go to next keyframes
        if job is Job.SPEECH:
            return frozenset()  # text, voice and options only
        return self.reads - {"references"} if job is Job.TEXT_TO_IMAGE else self.reads

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """``GET /v1/models`` (``client.models.list()``): the ids the key may use, each with its
        ``shutdown_date`` when one is announced (openai SDK ``types/model.py``)."""
        import openai

        client = openai.OpenAI(api_key=self.api_key(), max_retries=0)
        listed = {m.id: getattr(m, "shutdown_date", None) for m in client.models.list()}
        return {name: {"served": name in listed, "shut_down_on": str(listed.get(name) or "")[:10]}
                for name in models}

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """By ``quality`` (and ``size`` when the board sets one; else the 1536x1024 of a landscape board)."""
        options = options or {}
        quality = str(options.get("quality", DEFAULT_QUALITY))
        size = str(options.get("size") or "1536x1024")
        return Price(per_image=price_per_image(model.name, quality, size), as_of=PRICES["as_of"])

    def resolve_model(self, model: str) -> ModelInfo:
        """Known models, plus any other ``gpt-image-*`` name (newer snapshots), priced as unknown."""
        info = self.model_info(model)
        if info is not None:
            return info
        if model.startswith("gpt-image-"):
            return _model(model, "GPT image model (not in this plugin's table: no price known)")
        raise KeyError(model)

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        if job is Job.SPEECH:
            return speech_problems(model, options)
        problems = super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        quality = options.get("quality", DEFAULT_QUALITY)
        if quality not in QUALITIES:
            problems.append(
                f"openai/{model.name}: quality must be one of {', '.join(QUALITIES)}, not {quality!r}"
            )
        size = vendor_size(model.name, width, height, options)
        dims = _parse_size(size)
        if dims is None:
            problems.append(f"openai/{model.name}: size must be WIDTHxHEIGHT (e.g. 1536x1024), not {size!r}")
        elif _is_flexible(model.name):
            w, h = dims
            if w % 16 or h % 16:
                problems.append(f"openai/{model.name}: size {size} must be in multiples of 16")
            if max(w, h) > 3 * min(w, h):
                problems.append(
                    f"openai/{model.name} takes aspect ratios between 1:3 and 3:1, not {width}x{height}: "
                    f"use a less extreme output.size"
                )
        fidelity = options.get("input_fidelity")
        if fidelity is not None and fidelity not in ("high", "low"):
            problems.append(f"openai/{model.name}: input_fidelity must be high or low, not {fidelity!r}")
        return problems

    # -- jobs --------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        options = dict(request.options)
        size = vendor_size(request.model, request.width, request.height, options)
        quality = str(options.get("quality", DEFAULT_QUALITY))
        kwargs: dict[str, Any] = {
            "model": request.model,
            "prompt": compose_prompt(request, negative_inline=True),
            "size": size,
            "quality": quality,
            "output_format": "png",
            "n": 1,
        }
        if options.get("moderation"):
            kwargs["moderation"] = str(options["moderation"])
        who = f"openai/{request.model}"
        with self._client(ctx) as client:
            ctx.log(f"{who}: generate {size} ({quality})")
            response = self._call(client.images.generate, kwargs, who=who, ctx=ctx)
        return self._finish(response, request.model, quality, size, request.width, request.height, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        options = dict(request.options)
        size = vendor_size(request.model, request.width, request.height, options)
        quality = str(options.get("quality", DEFAULT_QUALITY))
        images = [("keyframe.png", png_bytes(request.previous), "image/png")]
        for i, ref in enumerate(request.references, start=1):
            images.append((f"reference-{i}.png", png_bytes(ref), "image/png"))
        instruction = keyframe_instruction(request.prompt, request.seconds, references=len(request.references))
        kwargs: dict[str, Any] = {
            "model": request.model,
            "image": images if len(images) > 1 else images[0],
            "prompt": compose_prompt(request, negative_inline=True, prompt=instruction),
            "size": size,
            "quality": quality,
            "output_format": "png",
            "n": 1,
        }
        fidelity = options.get("input_fidelity")
        if fidelity is None and request.model in _HIGH_FIDELITY:
            fidelity = "high"
        if fidelity is not None:
            kwargs["input_fidelity"] = str(fidelity)
        who = f"openai/{request.model}"
        with self._client(ctx) as client:
            ctx.log(f"{who}: edit {size} ({quality}, {len(images)} image(s))")
            response = self._call(client.images.edit, kwargs, who=who, ctx=ctx)
        return self._finish(response, request.model, quality, size, request.width, request.height, ctx)

    def write_story(self, request, ctx: RunContext) -> Result:
        return write_story(self, request, ctx)

    def voice_problem(self, model: ModelInfo, name: str) -> str | None:
        from .speech import VOICES

        if not name or name in VOICES or name.startswith("voice_"):
            return None
        return (f"openai/{model.name} has no voice {name!r}: use one of {', '.join(VOICES)}, "
                "or a custom voice id (voice_...)")

    def speech(self, request: SpeechRequest, ctx: RunContext) -> Result:
        from .speech import speak

        return speak(self, request, ctx)

    # -- helpers -----------------------------------------------------------------------------
    def _client(self, ctx: RunContext):
        """An ``openai.OpenAI`` client with the SDK's retries off; its host is the SDK's own
        (``OPENAI_BASE_URL``, else OpenAI's). Raises MissingKeyError before any request."""
        key = self.api_key()
        import openai

        call = ctx.call
        kwargs: dict[str, Any] = {"api_key": key, "max_retries": 0}
        if call.get("timeout") is not None:
            kwargs["timeout"] = float(call["timeout"])
        return openai.OpenAI(**kwargs)

    def _call(self, method, kwargs: dict[str, Any], *, who: str, ctx: RunContext, made: str = "image"):
        """*method*(**kwargs), its errors translated; *made* names what the call makes (for the messages)."""
        import openai

        try:
            return method(**kwargs)
        except openai.OpenAIError as exc:
            raise translate_error(exc, who=who, timeout=ctx.call.get("timeout"), made=made) from None

    def _finish(self, response: Any, model: str, quality: str, size: str, width: int, height: int,
                ctx: RunContext) -> Result:
        who = f"openai/{model}"
        request_id = getattr(response, "_request_id", None)
        data = getattr(response, "data", None)
        b64 = getattr(data[0], "b64_json", None) if data else None
        if not isinstance(b64, str) or not b64:
            raise ProviderError(f"{who} answered without an image (no data[0].b64_json)")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(f"{who} answered with an image that is not valid base64") from None
        native = save_png_fitted(raw, ctx.output_path, width, height, who=who)["native_size"]
        usage = getattr(response, "usage", None)
        info: dict[str, Any] = {
            "model": model,
            "size": size,
            "quality": quality,
            "vendor_image_size": native,
            "usage": usage.model_dump(exclude_none=True) if hasattr(usage, "model_dump") else None,
            "price_as_of": PRICES["as_of"],
        }
        if isinstance(request_id, str) and request_id:
            info["request_id"] = request_id
        return Result(ctx.output_path, cost_usd=price_per_image(model, quality, size), info=info)


# ---------------------------------------------------------------------------------------------
# prompts and errors
# ---------------------------------------------------------------------------------------------


def keyframe_instruction(prompt: str, seconds: float, *, references: int = 0) -> str:
    """The edit prompt for "the same scene, N seconds later" (before ``kit.compose_prompt`` adds
    the camera hint and the negative prompt)."""
    text = (
        f"The same scene, {seconds:g} seconds later: {prompt.strip().rstrip('.')}. "
        "Keep the characters, style, lighting and camera consistent with the first image."
    )
    if references:
        text += " The other images show the characters: keep them looking exactly like that."
    return text


def _vendor_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and isinstance(body.get("message"), str) and body["message"]:
        return body["message"]
    return str(getattr(exc, "message", "") or exc)


#: transport failures that happen before any byte of the request is sent (httpx / httpx2 names)
_NOT_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout", "UnsupportedProtocol", "ProxyError"})
#: HTTP statuses OpenAI documents as "retry after a brief wait" (the request made nothing)
_RETRY_STATUSES = frozenset({408, 409, 500, 503})


def _uncertain(who: str, what: str, *, request_id: str | None = None, made: str = "image") -> SubmitUncertain:
    rid = f" (request {request_id})" if request_id else ""
    return SubmitUncertain(
        f"{who}: {what}{rid}; OpenAI may have made and billed the {made} anyway. It is not requested "
        f"again automatically: check the {made} usage at {USAGE_URL} before building again (a rerun "
        f"asks for a new {made}), and raise the provider's timeout option if answers are slow"
    )


def translate_error(exc: Exception, *, who: str = "openai", timeout: float | None = None,
                    made: str = "image") -> ProviderError:
    """Map an ``openai`` exception to a storyrender error (never with the key in it), following
    the submission rule in the module docstring; *made* names what the request makes ("image",
    "story", "speech")."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
        if cause in _NOT_SENT:
            return TransientError(f"{who}: could not reach the OpenAI API ({cause}): nothing was sent")
        if isinstance(exc, openai.APITimeoutError):
            after = f" after {float(timeout):g} s" if timeout is not None else ""
            return _uncertain(who, f"the request was sent but OpenAI did not answer in time{after}", made=made)
        return _uncertain(who, f"the request was sent but the connection was lost before the answer "
                               f"({cause or getattr(exc, 'message', exc)})", made=made)
    if isinstance(exc, openai.APIStatusError):
        message = _vendor_message(exc)
        code = getattr(exc, "code", None)
        status = exc.status_code
        request_id = getattr(exc, "request_id", None)
        suffix = f" [request {request_id}]" if request_id else ""
        if isinstance(exc, openai.RateLimitError):
            if code == "insufficient_quota":
                return ProviderError(f"{who}: OpenAI quota exhausted: {message}: check the account's billing{suffix}")
            return TransientError(f"{who}: OpenAI rate limit (HTTP 429): {message}{suffix}",
                                  retry_after=retry_after_seconds(exc.response.headers))
        if status in _RETRY_STATUSES:
            return TransientError(f"{who}: OpenAI server error (HTTP {status}): {message}{suffix}",
                                  retry_after=retry_after_seconds(exc.response.headers))
        if status >= 500:  # a gateway in front of the API gave up: the answer was lost on the way
            return _uncertain(who, f"a gateway answered HTTP {status} ({message[:120]})", request_id=request_id,
                              made=made)
        if isinstance(exc, openai.BadRequestError) and code in ("moderation_blocked", "content_policy_violation"):
            return RefusedError(f"{who}: OpenAI refused the prompt or image ({code}): {message}{suffix}")
        if isinstance(exc, openai.AuthenticationError):
            return ProviderError(f"{who}: OpenAI refused the API key (HTTP 401): check OPENAI_API_KEY{suffix}")
        if isinstance(exc, openai.PermissionDeniedError):
            return ProviderError(f"{who}: OpenAI denied access (HTTP 403): {message}{suffix}")
        if isinstance(exc, openai.NotFoundError):
            return ProviderError(f"{who}: OpenAI does not know this model or path (HTTP 404): {message}{suffix}")
        what = f"{status}, {code}" if code else f"{status}"
        return ProviderError(f"{who}: OpenAI rejected the request (HTTP {what}): {message}{suffix}")
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(f"{who}: OpenAI answered with something that is not a valid {made} response")
    return ProviderError(f"{who}: OpenAI SDK error: {exc}")
