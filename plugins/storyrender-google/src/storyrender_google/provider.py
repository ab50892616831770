"""The ``google`` provider: Gemini image models for keyframes, Veo for segments (``google-genai``).

Jobs
----

* ``text-to-image`` and ``next-keyframe`` (Gemini image models, "Nano Banana"): one synchronous
  ``client.models.generate_content`` call with ``response_modalities=["IMAGE"]`` and
  ``image_config=ImageConfig(aspect_ratio=...)``; a next keyframe sends [instruction, previous keyframe,
  reference images...]; see :mod:`storyrender_google.images`.
* ``write-story`` (``storyrender new``, Gemini text models): ``generate_content`` with
  ``response_json_schema``; see :mod:`storyrender_google.writer`.
* ``first-last-video`` and ``first-frame-video`` (Veo 3.1): a hosted job run through
  ``run_hosted``, resumed from its recorded operation name; see :mod:`storyrender_google.veo`.

Models, list prices and options are in :mod:`storyrender_google.catalogue`; what is retried after a
failed call, and what is not, in :mod:`storyrender_google.calls`.

What a request is made of (``Provider.reads``): the prompt, the beat's ``camera:`` (appended as
"Camera: X." by ``kit.compose_prompt`` for keyframes and segments), the seed (Gemini's
``GenerateContentConfig.seed``, Veo's ``seed``), the negative prompt (Veo's ``negative_prompt``
parameter; appended as "Avoid: X." for Gemini, which has no such parameter) and, for Gemini only,
the characters' reference images. Veo gets no reference images and no frame rate (Veo 3.1 makes
24 fps clips; storyrender conforms them).

Modes and credentials
---------------------

google-genai 3.x sends ``generate_videos`` only in Vertex AI mode (``models._generate_videos`` raises
before sending anything in Gemini Developer API mode; ``files.download`` in turn works only in Gemini
Developer API mode), so Veo always runs in Vertex mode: with an API key (Vertex "express mode") or
with a project + location and Application Default Credentials. With a key and no project,
``validate`` warns that the key goes to Vertex AI express mode (:func:`gemini_api_refuses_veo` asks
the installed SDK whether it still refuses the Gemini API mode). Gemini image models run in Gemini
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
from pathlib import Path
from typing import Any, Mapping

from storyrender.provider_api import (
    ImageRequest,
    Job,
    KeyframeRequest,
    MissingKeyError,
    ModelInfo,
    Price,
    Provider,
    ProviderError,
    Result,
    RunContext,
    VideoRequest,
    kit,
    run_hosted,
)

from .calls import submit
from .catalogue import (
    MODELS,
    OPTIONS_SCHEMA,
    PRICES,
    VEO_DURATIONS,
    VEO_RESOLUTIONS,
    call_option,
    image_model,
    image_price,
    truthy,
    veo_model,
    video_price_per_second,
)
from .images import generate_image, keyframe_instruction
from .veo import VeoJob, gemini_api_refuses_veo

__all__ = ["GoogleProvider"]

_KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


class GoogleProvider(Provider):
    """Gemini image models (keyframes) and Veo 3.1 (segments) through ``google-genai``."""

    name = "google"
    version = "1"
    description = "Google: Gemini image models for keyframes, Veo 3.1 for first+last-frame segments"
    key_env = _KEY_VARS
    concurrency = 4
    reads = frozenset({"camera", "negative_prompt", "seed", "references"})
    options_schema = OPTIONS_SCHEMA
    models = MODELS

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
        client = self.client(RunContext(Path("check")), vertex=False)
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
            return veo_model(model, "Veo model (not in this plugin's table: priced as its family)")
        if model.startswith("gemini-") and "image" in model:
            return image_model(model, "Gemini image model (not in this plugin's table: no price known)")
        raise KeyError(model)

    def makes_audio(self, model: ModelInfo, options: Mapping[str, Any]) -> bool | None:
        """Veo makes sound unless ``generate_audio: false``; image models make no clips."""
        if options.get("generate_audio") is not None and not truthy(options["generate_audio"]):
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
            if "vertexai" in options and not truthy(options["vertexai"]):
                problems.append(f"{who}: Veo runs in Vertex AI mode only (google-genai 3.x): "
                                f"remove the vertexai: false option")
        else:
            size = options.get("image_size")
            if size is not None and str(size).upper() not in ("1K", "2K", "4K"):
                problems.append(f"{who}: image_size must be 1K, 2K or 4K, not {size!r}")
            # aspect_ratio: its choices are in the option schema (validate checks them)
        return problems

    def warnings(self, job: Job, model: ModelInfo, options: Mapping[str, Any]) -> list[str]:
        """Veo with an API key and no project: the key is sent to Vertex AI (express mode), where a
        Gemini API (AI Studio) key is refused; said at validate, not found at the first segment."""
        if job not in (Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO):
            return []
        if options.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT"):
            return []
        key = next((v for v in _KEY_VARS if os.environ.get(v)), None)
        if key is None:
            return []  # a missing key is reported on its own
        import google.genai

        why = (f"google-genai {google.genai.__version__} refuses generate_videos in Gemini Developer API mode, "
               "before sending anything" if gemini_api_refuses_veo() else "this plugin runs Veo in Vertex AI mode")
        return [f"google/{model.name} runs in Vertex AI express mode with {key} ({why}): a Vertex AI "
                "express-mode key works there, a Gemini API (AI Studio) key is refused at the first segment. "
                "Use an express-mode key, or set GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION) with "
                "`gcloud auth application-default login`"]

    def has_key(self) -> bool:
        """A key, or a Vertex AI project (for Application Default Credentials)."""
        return any(os.environ.get(v) for v in (*_KEY_VARS, "GOOGLE_CLOUD_PROJECT"))

    # -- jobs: images --------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        text = kit.compose_prompt(request, negative_inline=True)
        return self._image(request, [text], request.references, ctx)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        instruction = kit.compose_prompt(request, negative_inline=True, prompt=keyframe_instruction(
            request.prompt, request.seconds, references=len(request.references)))
        return self._image(request, [instruction, Path(request.previous)], request.references, ctx)

    def _image(self, request: ImageRequest | KeyframeRequest, contents: list[Any], references: tuple[Path, ...],
               ctx: RunContext) -> Result:
        vertex = _vertex_mode(ctx)
        return generate_image(self.client(ctx, vertex=vertex), request, contents, references, ctx, vertex=vertex)

    # -- jobs: writing -------------------------------------------------------------------------
    def write_story(self, request, ctx: RunContext) -> Result:
        from .writer import write_story

        who = f"google/{request.model}"
        return write_story(self, request, ctx, vertex=_vertex_mode(ctx), submit=lambda fn: submit(
            fn, who, hosted=False, timeout=call_option(ctx, "http_timeout")))

    # -- jobs: video ---------------------------------------------------------------------------
    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        who = f"google/{request.model}"
        if not any(abs(request.seconds - d) < 1e-6 for d in VEO_DURATIONS):
            raise ProviderError(f"{who} makes clips of 4, 6 or 8 s, not {request.seconds:g} s")
        job = VeoJob(self, request, ctx)
        try:
            return run_hosted(job, ctx, provider=self.name, timeout=float(call_option(ctx, "timeout")),
                              interval=float(call_option(ctx, "poll_interval")))
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

    def client(self, ctx: RunContext, *, vertex: bool):
        """A client for one job: no SDK retries (the runner is the one retry layer)."""
        call = ctx.call
        creds = self.credentials(call, vertex=vertex)
        from google import genai
        from google.genai import types

        http: dict[str, Any] = {"retry_options": types.HttpRetryOptions(attempts=1),
                                "timeout": int(float(call_option(ctx, "http_timeout")) * 1000)}
        try:
            return genai.Client(vertexai=vertex, http_options=types.HttpOptions(**http), **creds)
        except ValueError as exc:  # the SDK's own check of the credentials it was given
            raise MissingKeyError(f"provider 'google': {exc}") from None


def _vertex_mode(ctx: RunContext) -> bool:
    """Gemini jobs in Vertex AI mode: the ``vertexai`` option, else the SDK's own variables."""
    call = ctx.call
    if call.get("vertexai") is not None:
        return truthy(call["vertexai"])
    return truthy(os.environ.get("GOOGLE_GENAI_USE_ENTERPRISE") or os.environ.get("GOOGLE_GENAI_USE_VERTEXAI") or "")
