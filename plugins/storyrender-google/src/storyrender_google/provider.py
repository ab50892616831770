"""The ``google`` provider: Gemini image models for keyframes, Veo for segments (``google-genai``).

Jobs
----

* ``text-to-image`` and ``next-keyframe`` (Gemini image models, "Nano Banana"): one synchronous
  ``client.models.generate_content`` call with ``response_modalities=["IMAGE"]`` and
  ``image_config=ImageConfig(aspect_ratio=...)``; a next keyframe sends [instruction, previous keyframe,
  reference images...]. There is no vendor job to record: the image comes back in the answer (an
  inline part); an answer without one is a refusal when the vendor gives a blocking reason.
* ``write-story`` (``storyrender new``, Gemini text models): ``generate_content`` with
  ``response_json_schema``; see :mod:`storyrender_google.writer`.
* ``first-last-video`` and ``first-frame-video`` (Veo 3.1): a hosted job run through
  :func:`storyrender.providers.hosted.run_hosted`. ``client.models.generate_videos`` (Vertex AI
  ``predictLongRunning``) returns a long-running operation whose ``name`` is the job id recorded in
  the store; a poll rebuilds the operation from that name, ``types.GenerateVideosOperation(name=...)``,
  and asks ``client.operations.get`` (``fetchPredictOperation``), so a retry, a rerun or a build after a
  ``kill -9`` resumes the same operation. The clip arrives inline in the finished operation
  (``response.videos[].bytesBase64Encoded``): in Vertex AI mode that answer is the download.

What a request is made of (``Provider.reads``): the prompt, the beat's ``camera:`` (appended as
"Camera: X." by ``kit.compose_prompt`` for keyframes and segments), the seed (Gemini's
``GenerateContentConfig.seed``, Veo's ``seed``), the negative prompt (Veo's ``negative_prompt``
parameter; appended as "Avoid: X." for Gemini, which has no such parameter) and, for Gemini only,
the characters' reference images. Veo gets no reference images and no frame rate (Veo 3.1 makes
24 fps clips; storyrender conforms them).

Submissions: what is retried
----------------------------

Only storyrender's runner retries. The SDK retries nothing unless ``HttpOptions.retry_options`` is
set (``google/genai/_api_client.py``, ``retry_args``: no options means ``stop_after_attempt(1)``;
with options its default is 5 attempts on 408/429/5xx and on httpx timeouts, which would repeat a
``predictLongRunning`` whose answer timed out): clients are built with
``retry_options=HttpRetryOptions(attempts=1)`` so no SDK default can turn that on. The httpx2/httpx
transports are created with ``retries=0``.

Veo (``generate_videos``): raised as ``TransientError`` (retried) only when Google certainly made no
operation: the connection was never made (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, a
credentials refresh that failed before the request was sent) or HTTP 429 ``RESOURCE_EXHAUSTED``
(quota is checked before anything runs). Everything else after the request was sent is
:class:`~storyrender.providers.hosted.SubmitUncertain` (not retried; the error says where to look): a
read or write timeout, a dropped connection, an unreadable 200 answer, and HTTP 5xx, because Google
does not document that a 5xx means no operation was started (``google.rpc.Code``: for
``UNAVAILABLE`` "it is not always safe to retry non-idempotent operations",
https://cloud.google.com/apis/design/errors) and Veo takes no idempotency key
(``types.GenerateVideosConfig`` has none). Polls (``fetchPredictOperation``) are pure reads: 429, 5xx and
transport faults are ``TransientError``, and a 404 means the operation is gone (``JobGone``).

Gemini images (``generate_content``, synchronous, no job to resume): a read timeout or a dropped
connection after the request was sent is ``SubmitUncertain`` (the image may have been made and
billed; it is not asked for twice). HTTP 429 and 5xx answers are ``TransientError``: the call failed
and returned no image, and Google's Gemini API troubleshooting table says to retry them
(https://ai.google.dev/gemini-api/docs/troubleshooting); connection failures are ``TransientError``.

Modes and credentials
---------------------

google-genai 3.x sends ``generate_videos`` only in Vertex AI mode (``models._generate_videos`` raises
before sending anything in Gemini Developer API mode; ``files.download`` in turn works only in Gemini
Developer API mode), so Veo always runs in Vertex mode: with an API key (Vertex "express mode") or
with a project + location and Application Default Credentials. Gemini image models run in Gemini
Developer API mode with an API key, or in Vertex mode when the board's ``vertexai`` option or
``GOOGLE_GENAI_USE_VERTEXAI`` says so. Clients are built with ``vertexai`` given explicitly and no
``base_url``: a storyboard never chooses where the key goes. Hosts come from the SDK's own
``GOOGLE_GEMINI_BASE_URL`` / ``GOOGLE_VERTEX_BASE_URL`` (google-genai 3.6 ``_base_url.py``, checked
2026-12-04), else Google's. ``location`` becomes part of the Vertex host
(``https://{location}-aiplatform.googleapis.com/``, ``_api_client.py``), so it must be a region name.

Options (``{use: google/MODEL, options: {...}}``)
-------------------------------------------------

==================  =========  ================================================================
option              in keys    meaning
==================  =========  ================================================================
``image_size``      yes        Gemini: ``1K``, ``2K`` or ``4K`` (the model's default when unset)
``aspect_ratio``    yes        Gemini: force a ratio (default: the supported one nearest the board's)
``resolution``      yes        Veo: ``720p``, ``1080p`` or ``4k`` (1080p and 4k need 8 s beats)
``negative_prompt`` yes        Veo: what to keep out of the clip (the beat's negative prompt wins)
``generate_audio``  yes        Veo: true/false (the vendor's default when unset)
``vertexai``        no         true: Gemini image models in Vertex AI mode (Veo always is)
``project``         no         Vertex AI project (default ``GOOGLE_CLOUD_PROJECT``)
``location``        no         Vertex AI location (default ``GOOGLE_CLOUD_LOCATION``, else global)
``http_timeout``    no         seconds for one HTTP request (default 300)
``timeout``         no         Veo: seconds to wait for the operation before giving up (default 1200)
``poll_interval``   no         Veo: seconds between polls of the operation (default 10)
==================  =========  ================================================================

Files are written through a temporary file and checked first (Pillow for images, PyAV for clips), so
a bad answer never leaves a file at ``ctx.output_path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    CALL_OPTIONS,
    ImageRequest,
    Job,
    JobGone,
    JobStatus,
    KeyframeRequest,
    Lifecycle,
    Limits,
    MissingKeyError,
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
    atomic_output,
    compose_prompt,
    png_bytes,
    retry_after_seconds,
    save_png_fitted,
)
from storyrender.providers.kit import nearest_aspect as _nearest_aspect

from .writer import writer_models

__all__ = ["GoogleProvider", "PRICES", "OPTIONS", "OPTIONS_SCHEMA", "nearest_aspect", "keyframe_instruction"]

#: List prices in USD. Images: per image, by ``image_size``; video: per second of clip, by resolution.
PRICES: dict[str, Any] = {
    "as_of": "2026-11-24",
    "images": {
        "gemini-2.5-flash-image": {"1K": 0.039},
        "gemini-3-pro-image-preview": {"1K": 0.134, "2K": 0.134, "4K": 0.24},
        # published as a range ($0.045 to $0.151): 2K is priced at the 4K figure, an upper bound
        "gemini-3.1-flash-image-preview": {"1K": 0.045, "2K": 0.151, "4K": 0.151},
        # GA ids (2026-05-28): priced as their preview ids until a GA price is confirmed (checked 2026-12-04)
        "gemini-3-pro-image": {"1K": 0.134, "2K": 0.134, "4K": 0.24},
        "gemini-3.1-flash-image": {"1K": 0.045, "2K": 0.151, "4K": 0.151},
    },
    "video": {
        "veo-3.1": {"720p": 0.40, "1080p": 0.40, "4k": 0.60},
        # published as ranges (Fast $0.10 to $0.30, Lite $0.05 to $0.08 a second)
        "veo-3.1-fast": {"720p": 0.15, "1080p": 0.15, "4k": 0.30},
        "veo-3.1-lite": {"720p": 0.05, "1080p": 0.08},
    },
}

IMAGE_ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9")
VEO_ASPECTS = ("16:9", "9:16")
VEO_DURATIONS = (4.0, 6.0, 8.0)
VEO_RESOLUTIONS = ("720p", "1080p", "4k")
DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_TIMEOUT = 1200.0
DEFAULT_HTTP_TIMEOUT = 300.0

#: every option a board may set (identity options are part of node keys; the others only change
#: how the call is made)
OPTIONS_SCHEMA: tuple[Option, ...] = (
    Option("image_size", str, None, "Gemini image models: 1K, 2K or 4K (the model's default when unset)"),
    Option("aspect_ratio", str, None, "Gemini image models: force an aspect ratio (default: nearest to the "
                                      "board's)", choices=IMAGE_ASPECTS),
    Option("resolution", str, None, "Veo: 720p, 1080p or 4k (1080p and 4k need 8 s beats); default 720p"),
    Option("negative_prompt", str, None, "Veo: what to keep out of the clip (the beat's negative prompt wins)"),
    Option("generate_audio", bool, None, "Veo: true or false (the vendor's default when unset)"),
    Option("vertexai", bool, None, "true: Gemini image models in Vertex AI mode (Veo always is); default "
                                   "GOOGLE_GENAI_USE_VERTEXAI", identity=False),
    Option("project", str, None, "Vertex AI project (default GOOGLE_CLOUD_PROJECT); with it, Application "
                                 "Default Credentials", identity=False,
           pattern=r"([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]"),
    Option("location", str, None, "Vertex AI location (default GOOGLE_CLOUD_LOCATION, else global)",
           identity=False, pattern=r"[a-z][a-z0-9-]{0,30}"),
    Option("http_timeout", float, DEFAULT_HTTP_TIMEOUT, "seconds for one HTTP request", identity=False),
    Option("timeout", float, DEFAULT_TIMEOUT, "Veo: seconds to wait for the operation before giving up",
           identity=False),
    Option("poll_interval", float, DEFAULT_POLL_INTERVAL, "Veo: seconds between polls of the operation",
           identity=False),
)
assert {o.name for o in CALL_OPTIONS} <= {o.name for o in OPTIONS_SCHEMA}

#: option name -> description (for people reading the code; ``storyrender providers --options``)
OPTIONS: dict[str, str] = {o.name: o.description for o in OPTIONS_SCHEMA}

#: finish reasons (and prompt block reasons) that mean "the vendor would not draw this"
REFUSAL_REASONS = frozenset({
    "SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "MODEL_ARMOR",
})
_POLICY_WORDS = ("safety", "policy", "guideline", "responsible ai", "blocked", "prohibited")
_KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")

#: where to look when a submission's fate is unknown
_WHERE_VEO = ("look for it in the Google Cloud console (Vertex AI > Media Studio, and Billing > Reports for the "
              "project) before building again: a new build submits a new operation")
_WHERE_GEMINI = ("check usage at https://aistudio.google.com/usage (Gemini API) or the Google Cloud console's "
                 "Billing > Reports (Vertex AI) before building again: a new build asks again")


# ---------------------------------------------------------------------------------------------
# models and prices
# ---------------------------------------------------------------------------------------------


def _veo_family(model: str) -> str:
    if "lite" in model:
        return "veo-3.1-lite"
    if "fast" in model:
        return "veo-3.1-fast"
    return "veo-3.1"


def video_price_per_second(model: str, resolution: str | None) -> float | None:
    table = PRICES["video"].get(_veo_family(model), {})
    return table.get((resolution or "720p").lower())


def image_price(model: str, image_size: str | None) -> float | None:
    table = PRICES["images"].get(model)
    if not table:
        return None
    size = (image_size or "1K").upper()
    if size in table:
        return table[size]
    return max(table.values())  # an unknown size: the dearest known price, an upper bound


#: where the lifecycle facts below were read (each checked on the date beside it)
_DEPRECATIONS = "ai.google.dev/gemini-api/docs/deprecations"
_VEO_PREVIEW_NOTICE = ("Veo 3.1 preview ids shut down 2026-10-22 (docs.apiyi.com service notice citing "
                       f"{_DEPRECATIONS}; shared providers.md corrections 2026-12-01)")
_VERTEX_VEO = "docs.cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate (GA model ids)"
_CHECKED = "2026-12-04"


def _life(status: str, source: str, *, shut_down_on: str = "", replacement: str = "") -> Lifecycle:
    return Lifecycle(status=status, shut_down_on=shut_down_on, replacement=replacement, source=source,
                     checked=_CHECKED)


def _image_model(name: str, description: str, lifecycle: Lifecycle = Lifecycle()) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}),
        price=Price(per_image=image_price(name, None), as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


def _veo_model(name: str, description: str, lifecycle: Lifecycle = Lifecycle()) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
        limits=Limits(durations=VEO_DURATIONS, aspect_ratios=VEO_ASPECTS),
        price=Price(per_second=video_price_per_second(name, None), as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


def nearest_aspect(width: int, height: int, choices: tuple[str, ...] = IMAGE_ASPECTS) -> str:
    """The ratio in *choices* closest to width:height (compared on a log scale)."""
    return _nearest_aspect(width, height, choices)


def keyframe_instruction(prompt: str, seconds: float, *, references: int = 0) -> str:
    """The instruction that makes the next keyframe: the same scene, N seconds later (the camera
    hint and negative prompt are appended by ``kit.compose_prompt``)."""
    text = (
        f"The same scene {seconds:g} seconds later: {prompt.strip().rstrip('.')}. "
        "Keep the characters, style, lighting and camera consistent."
    )
    if references:
        text += " The images after the first show the characters: keep them looking exactly like that."
    return text


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _call_option(ctx: RunContext, name: str) -> Any:
    value = ctx.call.get(name)
    if value is None:
        opt = next(o for o in OPTIONS_SCHEMA if o.name == name)
        return opt.default
    return value


# ---------------------------------------------------------------------------------------------
# the provider
# ---------------------------------------------------------------------------------------------


class GoogleProvider(Provider):
    """Gemini image models (keyframes) and Veo 3.1 (segments) through ``google-genai``."""

    name = "google"
    version = "1"
    description = "Google: Gemini image models for keyframes, Veo 3.1 for first+last-frame segments"
    key_env = _KEY_VARS
    concurrency = 4
    reads = frozenset({"camera", "negative_prompt", "seed", "references"})
    options_schema = OPTIONS_SCHEMA
    models = (
        _image_model("gemini-3.1-flash-image", "Gemini 3.1 Flash Image (Nano Banana 2); 1K, 2K, 4K",
                     _life("ga", _DEPRECATIONS)),
        _image_model("gemini-3-pro-image", "Gemini 3 Pro Image (Nano Banana Pro); 1K, 2K, 4K",
                     _life("ga", _DEPRECATIONS)),
        _image_model("gemini-3.1-flash-lite-image", "Gemini 3.1 Flash Lite Image: 1K (price not known here)",
                     _life("ga", "shared providers.md corrections 2026-12-01")),
        _image_model("gemini-2.5-flash-image", "Gemini 2.5 Flash Image (Nano Banana)",
                     _life("shut_down", _DEPRECATIONS, shut_down_on="2026-10-02",
                           replacement="gemini-3.1-flash-image")),
        _image_model("gemini-3-pro-image-preview", "Gemini 3 Pro Image preview",
                     _life("shut_down", _DEPRECATIONS, shut_down_on="2026-06-25", replacement="gemini-3-pro-image")),
        _image_model("gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image preview",
                     _life("shut_down", _DEPRECATIONS, shut_down_on="2026-06-25",
                           replacement="gemini-3.1-flash-image")),
        _veo_model("veo-3.1-generate-001", "Veo 3.1: first+last frame, 4/6/8 s, 16:9 or 9:16 (Vertex AI)",
                   _life("ga", _VERTEX_VEO)),
        _veo_model("veo-3.1-fast-generate-001", "Veo 3.1 Fast (Vertex AI)", _life("ga", _VERTEX_VEO)),
        _veo_model("veo-3.1-lite-generate-001", "Veo 3.1 Lite (Vertex AI)",
                   _life("ga", "shared providers.md corrections 2026-12-01")),
        _veo_model("veo-3.1-generate-preview", "Veo 3.1 preview",
                   _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                         replacement="veo-3.1-generate-001")),
        _veo_model("veo-3.1-fast-generate-preview", "Veo 3.1 Fast preview",
                   _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                         replacement="veo-3.1-fast-generate-001")),
        _veo_model("veo-3.1-lite-generate-preview", "Veo 3.1 Lite preview",
                   _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                         replacement="veo-3.1-lite-generate-001")),
        *writer_models(),  # write-story (storyrender new): see writer.py
    )

    # -- description -------------------------------------------------------------------------
    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        if job in (Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO):
            return self.reads - {"references"}  # the segment is made from its keyframes only
        return frozenset(self.reads)

    def load(self) -> None:
        """Import google-genai and everything it imports lazily (from the main thread, once)."""
        import google.auth.exceptions  # noqa: F401
        import pydantic  # noqa: F401
        from google import genai
        from google.genai import errors, types  # noqa: F401
        from PIL import Image, ImageOps  # noqa: F401

        import storyrender.media.probe  # noqa: F401

        Image.init()  # Pillow imports its format plugins on first open
        for name in ("av", "httpx", "httpx2", "google.auth.transport.requests", "google.auth.aio.credentials"):
            try:
                __import__(name)
            except ImportError:
                pass
        # Building a client runs the SDK's own lazy imports (transport, TLS, auth); no request is sent.
        for vertex in (False, True):
            client = genai.Client(api_key="load", vertexai=vertex,
                                  http_options=types.HttpOptions(base_url="http://127.0.0.1:9/",
                                                                 retry_options=types.HttpRetryOptions(attempts=1)))
            client.close()

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """The Gemini API's model list (``client.models.list()``, ``GET v1beta/models``) for the Gemini
        image models; Veo models are served in Vertex AI mode, whose publisher models are not listed
        there, so they are left unasked."""
        client = self._client(RunContext(Path("check")), vertex=False)
        listed = {str(m.name).removeprefix("models/") for m in client.models.list()}
        return {name: {"served": name in listed} for name in models if not name.startswith("veo-")}

    def price_for(self, model: ModelInfo, options: Mapping[str, Any]) -> Price:
        """Veo by ``resolution`` (4k costs more), Gemini images by ``image_size``."""
        options = options or {}
        if Job.FIRST_LAST_VIDEO in model.jobs:
            return Price(per_second=video_price_per_second(model.name, options.get("resolution")),
                         as_of=PRICES["as_of"])
        return Price(per_image=image_price(model.name, options.get("image_size")), as_of=PRICES["as_of"])

    def resolve_model(self, model: str) -> ModelInfo:
        """Known models, plus other ``veo-*`` and ``gemini-*-image*`` names (new snapshots)."""
        info = self.model_info(model)
        if info is not None:
            return info
        if model.startswith("veo-"):
            return _veo_model(model, "Veo model (not in this plugin's table: priced as its family)")
        if model.startswith("gemini-") and "image" in model:
            return _image_model(model, "Gemini image model (not in this plugin's table: no price known)")
        raise KeyError(model)

    def makes_audio(self, model: ModelInfo, options: Mapping[str, Any]) -> bool | None:
        """Veo makes sound unless ``generate_audio: false``; image models make no clips."""
        if options.get("generate_audio") is not None and not _truthy(options["generate_audio"]):
            return False
        return None

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        problems = super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        who = f"google/{model.name}"
        if job in (Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO):
            resolution = options.get("resolution")
            if resolution is not None and str(resolution).lower() not in VEO_RESOLUTIONS:
                problems.append(f"{who}: resolution must be one of {', '.join(VEO_RESOLUTIONS)}, not {resolution!r}")
            elif resolution is not None and str(resolution).lower() != "720p" and seconds is not None \
                    and abs(seconds - 8) > 1e-6:
                problems.append(f"{who} makes {resolution} clips of 8 s only, not {seconds:g} s: "
                                f"set the beat's seconds to 8 or the resolution to 720p")
            if "vertexai" in options and not _truthy(options["vertexai"]):
                problems.append(f"{who}: Veo runs in Vertex AI mode only (google-genai 3.x): "
                                f"remove the vertexai: false option")
        else:
            size = options.get("image_size")
            if size is not None and str(size).upper() not in ("1K", "2K", "4K"):
                problems.append(f"{who}: image_size must be 1K, 2K or 4K, not {size!r}")
            # aspect_ratio: its choices are in the option schema (validate checks them)
        return problems

    def has_key(self) -> bool:
        """A key, or a Vertex AI project (for Application Default Credentials)."""
        return any(os.environ.get(v) for v in (*_KEY_VARS, "GOOGLE_CLOUD_PROJECT"))

    # -- jobs: images --------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        text = compose_prompt(request, negative_inline=True)
        return self._image(request, [text], request.references, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        instruction = compose_prompt(request, negative_inline=True, prompt=keyframe_instruction(
            request.prompt, request.seconds, references=len(request.references)))
        return self._image(request, [instruction, Path(request.previous)], request.references, ctx)

    def _image(self, request: ImageRequest | KeyframeRequest, contents: list[Any], references: tuple[Path, ...],
               ctx: RunContext) -> Result:
        options = dict(request.options)
        call = ctx.call
        vertex = _truthy(call["vertexai"]) if call.get("vertexai") is not None else _truthy(
            os.environ.get("GOOGLE_GENAI_USE_ENTERPRISE") or os.environ.get("GOOGLE_GENAI_USE_VERTEXAI") or "")
        client = self._client(ctx, vertex=vertex)
        from google.genai import types

        parts: list[Any] = []
        for item in [*contents, *references]:
            if isinstance(item, Path):
                parts.append(types.Part.from_bytes(data=png_bytes(item), mime_type="image/png"))
            else:
                parts.append(item)
        aspect = str(options.get("aspect_ratio") or nearest_aspect(request.width, request.height))
        image_config: dict[str, Any] = {"aspect_ratio": aspect}
        if options.get("image_size"):
            image_config["image_size"] = str(options["image_size"]).upper()
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(**image_config),
            seed=request.seed,
        )
        who = f"google/{request.model}"
        ctx.log(f"{who}: generate_content ({aspect}, {len(parts) - 1} image(s) in)")
        try:
            response = _submit(lambda: client.models.generate_content(model=request.model, contents=parts,
                                                                      config=config),
                               who, hosted=False, timeout=_call_option(ctx, "http_timeout"))
        finally:
            client.close()
        raw, mime = _image_from(response, who)
        native = save_png_fitted(raw, ctx.output_path, request.width, request.height, who=who)["native_size"]
        usage = getattr(response, "usage_metadata", None)
        info = {
            "model": request.model,
            "mode": "vertex" if vertex else "gemini-api",
            "aspect_ratio": aspect,
            "image_size": image_config.get("image_size"),
            "vendor_image_size": native,
            "vendor_mime_type": mime,
            "usage": usage.model_dump(exclude_none=True, mode="json") if hasattr(usage, "model_dump") else None,
            "price_as_of": PRICES["as_of"],
        }
        return Result(ctx.output_path, cost_usd=image_price(request.model, image_config.get("image_size")),
                      info=info)

    # -- jobs: writing -------------------------------------------------------------------------
    def write_story(self, request, ctx: RunContext) -> Result:
        from .writer import write_story

        call = ctx.call
        vertex = _truthy(call["vertexai"]) if call.get("vertexai") is not None else _truthy(
            os.environ.get("GOOGLE_GENAI_USE_ENTERPRISE") or os.environ.get("GOOGLE_GENAI_USE_VERTEXAI") or "")
        who = f"google/{request.model}"
        return write_story(self, request, ctx, vertex=vertex, submit=lambda fn: _submit(
            fn, who, hosted=False, timeout=_call_option(ctx, "http_timeout")))

    # -- jobs: video ---------------------------------------------------------------------------
    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        who = f"google/{request.model}"
        if not any(abs(request.seconds - d) < 1e-6 for d in VEO_DURATIONS):
            raise ProviderError(f"{who} makes clips of 4, 6 or 8 s, not {request.seconds:g} s")
        job = _VeoJob(self, request, ctx)
        try:
            return run_hosted(job, ctx, provider=self.name, timeout=float(_call_option(ctx, "timeout")),
                              interval=float(_call_option(ctx, "poll_interval")))
        finally:
            job.close()

    # -- clients and credentials ---------------------------------------------------------------
    def credentials(self, options: Mapping[str, Any], *, vertex: bool) -> dict[str, Any]:
        """How the client authenticates: ``{"api_key": ...}`` or ``{"project": ..., "location": ...}``.

        Vertex mode uses a project (with Application Default Credentials) when the ``project`` option
        or ``GOOGLE_CLOUD_PROJECT`` is set, else an API key (express mode), as the SDK itself does.
        :raises MissingKeyError: naming what to set, before any request.
        """
        key = next((os.environ[v] for v in _KEY_VARS if os.environ.get(v)), None)
        if vertex:
            project = options.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT")
            if project:
                location = options.get("location") or os.environ.get("GOOGLE_CLOUD_LOCATION") or "global"
                return {"project": str(project), "location": str(location)}
            if key:
                return {"api_key": key}
            raise MissingKeyError(
                "provider 'google' needs Vertex AI credentials here (Veo runs in Vertex AI mode): set "
                "GOOGLE_API_KEY or GEMINI_API_KEY to a Vertex AI express-mode API key, or set "
                "GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION) and run "
                "`gcloud auth application-default login` "
                "(or build with --offline to render with the local provider)"
            )
        if key:
            return {"api_key": key}
        raise MissingKeyError(
            "provider 'google' needs an API key: set GOOGLE_API_KEY or GEMINI_API_KEY "
            "(or build with --offline to render with the local provider)"
        )

    def _client(self, ctx: RunContext, *, vertex: bool):
        """A client for one job: no SDK retries (the runner is the one retry layer)."""
        call = ctx.call
        creds = self.credentials(call, vertex=vertex)
        from google import genai
        from google.genai import types

        http: dict[str, Any] = {"retry_options": types.HttpRetryOptions(attempts=1),
                                "timeout": int(float(_call_option(ctx, "http_timeout")) * 1000)}
        try:
            return genai.Client(vertexai=vertex, http_options=types.HttpOptions(**http), **creds)
        except ValueError as exc:  # the SDK's own check of the credentials it was given
            raise MissingKeyError(f"provider 'google': {exc}") from None


class _VeoJob:
    """One Veo operation, as :func:`run_hosted` drives it (see the module docstring)."""

    def __init__(self, provider: GoogleProvider, request: VideoRequest, ctx: RunContext) -> None:
        self.provider = provider
        self.request = request
        self.ctx = ctx
        self.who = f"google/{request.model}"
        self.polls = 0
        self._client: Any = None
        options = dict(request.options)
        self.resolution = str(options["resolution"]).lower() if options.get("resolution") else None
        self.duration = int(round(request.seconds))
        self.aspect = nearest_aspect(request.width, request.height, VEO_ASPECTS)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.provider._client(self.ctx, vertex=True)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def submit(self) -> str:
        from google.genai import types

        request, options = self.request, dict(self.request.options)
        config: dict[str, Any] = {
            "number_of_videos": 1,
            "duration_seconds": self.duration,
            "aspect_ratio": self.aspect,
            "seed": request.seed,
        }
        if request.last is not None:
            config["last_frame"] = types.Image(image_bytes=png_bytes(request.last), mime_type="image/png")
        if self.resolution:
            config["resolution"] = self.resolution
        negative = request.negative_prompt or str(options.get("negative_prompt") or "")
        if negative:
            config["negative_prompt"] = negative
        if options.get("generate_audio") is not None:
            config["generate_audio"] = _truthy(options["generate_audio"])
        source = types.GenerateVideosSource(
            prompt=compose_prompt(request),
            image=types.Image(image_bytes=png_bytes(request.first), mime_type="image/png"),
        )
        client = self.client
        operation = _submit(lambda: client.models.generate_videos(
            model=request.model, source=source, config=types.GenerateVideosConfig(**config)),
            self.who, hosted=True, timeout=_call_option(self.ctx, "http_timeout"))
        name = getattr(operation, "name", None)
        if not name:
            raise SubmitUncertain(f"{self.who} answered the submission without an operation name, so it cannot be "
                                  f"followed; it may have started a clip: {_WHERE_VEO}")
        self.ctx.log(f"{self.who}: operation {name} started ({self.duration} s, {self.aspect})")
        return str(name)

    def poll(self, job_id: str) -> JobStatus:
        from google.genai import errors, types

        self.polls += 1
        client = self.client
        try:
            operation = client.operations.get(types.GenerateVideosOperation(name=job_id))
        except errors.APIError as exc:
            if getattr(exc, "code", None) == 404:
                raise JobGone(f"{self.who}: Google no longer knows operation {job_id}") from None
            raise _poll_error(translate_error(exc, self.who), job_id) from None
        except ProviderError:
            raise
        except Exception as exc:
            raise _poll_error(_other_error(exc, self.who), job_id) from None
        return _status_of(operation, self.who)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        data = status.output
        try:
            media = _write_video(data, self.ctx.output_path, self.who, job_id)
        except ProviderError:
            # the vendor made an unreadable clip: polling again gives the same bytes
            if self.ctx.journal is not None:
                self.ctx.journal.clear()
            raise
        request = self.request
        per_second = video_price_per_second(request.model, self.resolution)
        info = {
            "model": request.model,
            "operation": job_id,
            "mode": "vertex",
            "duration_seconds": self.duration,
            "aspect_ratio": self.aspect,
            "resolution": self.resolution,
            "last_frame": request.last is not None,
            "polls": self.polls,
            "vendor_video": media,
            "price_as_of": PRICES["as_of"],
        }
        cost = round(per_second * self.duration, 6) if per_second is not None else None
        return Result(self.ctx.output_path, cost_usd=cost, info=info)

    def cancel(self, job_id: str) -> bool:
        # google-genai has no cancel for Veo operations (Operations has get only)
        return False


# ---------------------------------------------------------------------------------------------
# calls, answers, errors
# ---------------------------------------------------------------------------------------------


def _transport_failure(exc: BaseException) -> str | None:
    """``"connect"`` when the request certainly never reached Google, ``"sent"`` when it may have,
    None when *exc* is not a transport fault."""
    for name in ("httpx2", "httpx"):
        module = sys.modules.get(name)
        if module is None:
            continue
        if isinstance(exc, (module.ConnectError, module.ConnectTimeout, module.PoolTimeout)):
            return "connect"
        if isinstance(exc, module.TransportError):
            return "sent"
    auth = sys.modules.get("google.auth.exceptions")
    if auth is not None and isinstance(exc, auth.TransportError):
        return "connect"  # the credentials refresh runs before the request is sent
    requests = sys.modules.get("requests")  # the SDK's mTLS transport (google.auth AuthorizedSession)
    if requests is not None:
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return "connect"
        if isinstance(exc, requests.exceptions.RequestException):
            return "sent"
    return None


def _submit(fn, who: str, *, hosted: bool, timeout: Any):
    """Run one call that makes something (a Veo operation, a Gemini image) under the rule of the
    module docstring: ``TransientError`` only when nothing was made, ``SubmitUncertain`` when
    something may have been."""
    from google.genai import errors

    where = _WHERE_VEO if hosted else _WHERE_GEMINI
    made = "started an operation" if hosted else "made (and billed) the image"
    try:
        return fn()
    except errors.APIError as exc:
        error = translate_error(exc, who)
        code = getattr(exc, "code", None)
        if hosted and isinstance(error, TransientError) and code != 429 \
                and getattr(exc, "status", None) != "RESOURCE_EXHAUSTED":
            raise SubmitUncertain(f"{error.message}. Google may have {made} anyway; it is not submitted again "
                                  f"automatically: {where}") from None
        raise error from None
    except ProviderError:
        raise
    except Exception as exc:
        if hosted and _unreadable_answer(exc):
            raise SubmitUncertain(f"{who} answered the submission with something the SDK could not read "
                                  f"({type(exc).__name__}): it may have {made}; it is not submitted again "
                                  f"automatically: {where}") from None
        kind = _transport_failure(exc)
        if kind == "sent":
            if "Timeout" in type(exc).__name__:
                what = f"did not answer within {float(timeout):g} s (the http_timeout option)"
            else:
                what = f"dropped the connection ({type(exc).__name__})"
            raise SubmitUncertain(f"{who}: Google {what} after the request was sent: it may have {made}; it is "
                                  f"not asked again automatically: {where}") from None
        raise _other_error(exc, who) from None


def _unreadable_answer(exc: BaseException) -> bool:
    """True when *exc* is the SDK failing to read an answer (so the request was sent and answered)."""
    import json

    import pydantic
    from google.genai import errors

    return isinstance(exc, (json.JSONDecodeError, errors.UnknownApiResponseError, pydantic.ValidationError))


def _poll_error(error: ProviderError, job_id: str) -> ProviderError:
    return type(error)(f"{error.message} (polling operation {job_id})", job_id=job_id,
                       retry_after=error.retry_after)


def _other_error(exc: Exception, who: str) -> ProviderError:
    kind = _transport_failure(exc)
    if kind is not None:
        what = "did not answer in time" if "Timeout" in type(exc).__name__ else "could not be reached"
        return TransientError(f"{who}: the Google API {what} ({type(exc).__name__})")
    try:
        from google.auth.exceptions import DefaultCredentialsError

        if isinstance(exc, DefaultCredentialsError):
            return MissingKeyError(
                f"{who}: no Application Default Credentials for GOOGLE_CLOUD_PROJECT: run "
                f"`gcloud auth application-default login`, or unset GOOGLE_CLOUD_PROJECT and set "
                f"GOOGLE_API_KEY to a Vertex AI express-mode key")
    except ImportError:  # pragma: no cover - google-auth comes with google-genai
        pass
    try:
        import pydantic

        if isinstance(exc, pydantic.ValidationError):
            return ProviderError(f"{who} answered with data the SDK could not read: "
                                 f"{exc.error_count()} validation error(s)")
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return ProviderError(f"{who}: unexpected answer or request ({type(exc).__name__}: {exc})")
    raise exc


def _retry_after(exc: Any) -> float | None:
    seconds = retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
    if seconds is not None:
        return seconds
    # google.rpc.RetryInfo in the error details: {"@type": ".../google.rpc.RetryInfo", "retryDelay": "30s"}
    details = getattr(exc, "details", None)
    error = details.get("error", details) if isinstance(details, Mapping) else None
    for item in (error or {}).get("details", []) if isinstance(error, Mapping) else []:
        if isinstance(item, Mapping) and str(item.get("@type", "")).endswith("RetryInfo"):
            delay = str(item.get("retryDelay", "")).rstrip("s")
            try:
                return max(0.0, float(delay))
            except ValueError:
                return None
    return None


def translate_error(exc: Any, who: str) -> ProviderError:
    """Map a ``google.genai.errors.APIError`` to a storyrender error (never with a key in it)."""
    from google.genai import errors

    code = getattr(exc, "code", None)
    status = getattr(exc, "status", None) or ""
    message = getattr(exc, "message", None) or ""
    text = f"{who}: HTTP {code} {status}: {message}".rstrip(": ")
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return TransientError(text, retry_after=_retry_after(exc))
    if isinstance(exc, errors.ServerError) or (isinstance(code, int) and code >= 500) or code == 408:
        return TransientError(text, retry_after=_retry_after(exc))
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "API key not valid" in message:
        return ProviderError(
            f"{who}: Google refused the credentials (HTTP {code} {status}): check GOOGLE_API_KEY / "
            f"GEMINI_API_KEY (Veo needs a Vertex AI express-mode key, or GOOGLE_CLOUD_PROJECT with "
            f"Application Default Credentials)")
    return ProviderError(text)


def _status_of(operation: Any, who: str) -> JobStatus:
    """A Veo operation as a :class:`JobStatus` (``output``: the clip's bytes when it succeeded)."""
    if not getattr(operation, "done", False):
        return JobStatus("pending", detail="running")
    error = getattr(operation, "error", None)
    if error:
        message = str(error.get("message", "") if isinstance(error, Mapping) else error)
        code = error.get("code") if isinstance(error, Mapping) else None
        refused = any(w in message.lower() for w in _POLICY_WORDS)
        # google.rpc.Code 13 INTERNAL and 14 UNAVAILABLE: Google's own transient fault; the
        # operation made nothing, so a new submission is the retry (https://cloud.google.com/apis/design/errors)
        return JobStatus("failed", error=f"the operation failed (code {code}): {message}", refused=refused,
                         retry=code in (13, 14))
    result = getattr(operation, "response", None) or getattr(operation, "result", None)
    videos = getattr(result, "generated_videos", None) or []
    if not videos:
        filtered = getattr(result, "rai_media_filtered_count", None)
        reasons = getattr(result, "rai_media_filtered_reasons", None) or []
        if filtered or reasons:
            return JobStatus("failed", error=f"the clip was filtered: {' '.join(reasons) or 'no reason given'}",
                             refused=True)
        return JobStatus("failed", error="the finished operation has no video")
    video = getattr(videos[0], "video", None)
    data = getattr(video, "video_bytes", None)
    if not data:
        uri = getattr(video, "uri", None)
        where = f" (it points at {uri}, which storyrender does not fetch)" if uri else ""
        return JobStatus("failed", error=f"the finished operation has no inline video bytes{where}")
    return JobStatus("succeeded", output=data)


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _image_from(response: Any, who: str) -> tuple[bytes, str]:
    """The first inline image of a generate_content answer, or the reason there is none."""
    candidates = getattr(response, "candidates", None) or []
    texts: list[str] = []
    for candidate in candidates:
        content = getattr(candidate, "content", None)
        for part in (getattr(content, "parts", None) or []):
            blob = getattr(part, "inline_data", None)
            data = getattr(blob, "data", None)
            mime = getattr(blob, "mime_type", None) or ""
            if data and mime.startswith("image/"):
                return data, mime
            if getattr(part, "text", None):
                texts.append(part.text)
    reasons: list[str] = []
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None) is not None:
        reasons.append(_enum_name(feedback.block_reason) or "")
        if getattr(feedback, "block_reason_message", None):
            texts.insert(0, feedback.block_reason_message)
    for candidate in candidates:
        reason = _enum_name(getattr(candidate, "finish_reason", None))
        if reason and reason != "STOP":
            reasons.append(reason)
        if getattr(candidate, "finish_message", None):
            texts.append(candidate.finish_message)
    said = " ".join(t.strip() for t in texts if t and t.strip())
    said = f": {said[:500]}" if said else ""
    if any(r in REFUSAL_REASONS for r in reasons):
        return _raise(RefusedError(f"{who} made no image ({', '.join(reasons)}){said}"))
    if reasons:
        return _raise(ProviderError(f"{who} made no image ({', '.join(reasons)}){said}"))
    return _raise(ProviderError(f"{who} answered without an image part{said}"))


def _raise(exc: Exception):
    raise exc


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def _write_video(data: bytes, path: Path, who: str, job_id: str) -> dict[str, Any]:
    """Check that *data* is a readable video (PyAV), then move it to *path*; returns its facts."""
    from storyrender.errors import ArtifactError
    from storyrender.media.probe import probe

    with atomic_output(path, ".mp4") as tmp:
        tmp.write_bytes(data)
        try:
            info = probe(tmp)
        except ArtifactError as exc:
            raise ProviderError(f"{who} returned a clip that is not a readable video ({exc})",
                                job_id=job_id) from None
        if info.frames < 1:
            raise ProviderError(f"{who} returned a clip with no frames", job_id=job_id)
    return {"width": info.width, "height": info.height, "fps": info.fps, "frames": info.frames,
            "duration": info.duration, "has_audio": info.has_audio}
