"""The ``luma`` provider: Luma's Dream Machine API through the official ``lumaai`` SDK (1.x).

Every job is a Luma *generation*: ``POST /generations/video`` (Ray 2, Ray Flash 2) or
``POST /generations/image`` (Photon) answers a generation ``{id, state: queued}``, then
``GET /generations/{id}`` until ``state`` is ``completed`` (``assets.video`` / ``assets.image``) or
``failed`` (``failure_reason``); ``DELETE /generations/{id}`` removes it. Shapes from the SDK's
source (lumaai 1.21.0: ``resources/generations/generations.py``, ``resources/generations/image.py``,
``types/generation_create_params.py``, ``types/generation.py``; checked 2026-12-04).

Keyframes: ``keyframes: {frame0: {type: image, url}, frame1: {type: image, url}}`` (first and last
frame). The API takes images only by URL and the SDK has no upload call, so each frame is uploaded
to the bucket of the remote cache (``$STORYRENDER_REMOTE_CACHE``, ``s3://BUCKET/PREFIX``) and sent
as a presigned URL valid for an hour (``storyrender.providers.kit.shared_url``): nothing is served
from this machine. ``validate`` says so when the variable is not set.

Pinned defaults: ``resolution`` (default 720p; an option), ``duration`` (the beat's 5 or 9 s),
``aspect_ratio`` (the nearest the API offers, or the option) and ``loop: false`` are always sent.

Submissions follow :mod:`storyrender.providers.stainless` (SDK retries off; the SDK would repeat
POSTs twice and sends no idempotency key); the generation id is recorded before waiting
(:func:`run_hosted`), so a retry, Ctrl-C or ``kill -9`` resumes it.

Host: the SDK reads ``LUMAAI_BASE_URL`` (default https://api.lumalabs.ai/dream-machine/v1); the
key comes from ``LUMAAI_API_KEY``. No price is confirmed here: ``plan`` lists Luma jobs as
unpriced unless the board's ``prices:`` table gives one.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, Mapping

from storyrender.provider_api import (
    CALL_OPTIONS,
    ImageRequest,
    Job,
    JobGone,
    JobStatus,
    Lifecycle,
    Limits,
    ModelInfo,
    Option,
    Provider,
    ProviderError,
    Result,
    RunContext,
    VideoRequest,
    kit,
    run_hosted,
    stainless,
)

__all__ = ["LumaProvider", "MODELS", "ASPECTS", "RESOLUTIONS"]

_SOURCE = "lumaai SDK 1.21.0 types/generation_create_params.py, generations/image_create_params.py"
_LIFE = Lifecycle("ga", source=_SOURCE, checked="2026-12-04")
ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
_VIDEO = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("ray-2", _VIDEO, Limits(durations=(5.0, 9.0), aspect_ratios=ASPECTS),
              description="Luma Ray 2: first and last frame; 5 or 9 s", lifecycle=_LIFE),
    ModelInfo("ray-flash-2", _VIDEO, Limits(durations=(5.0, 9.0), aspect_ratios=ASPECTS),
              description="Luma Ray Flash 2: faster Ray 2", lifecycle=_LIFE),
    ModelInfo("photon-1", frozenset({Job.TEXT_TO_IMAGE}), Limits(aspect_ratios=ASPECTS),
              description="Luma Photon: keyframe 0", lifecycle=_LIFE),
    ModelInfo("photon-flash-1", frozenset({Job.TEXT_TO_IMAGE}), Limits(aspect_ratios=ASPECTS),
              description="Luma Photon Flash: keyframe 0, faster", lifecycle=_LIFE),
)

_REFUSAL = re.compile(r"moderat|safety|policy|nsfw|prohibited|blocked|inappropriate", re.IGNORECASE)
_WHERE = "your generations at https://lumalabs.ai/api (GET /generations lists them)"
DEFAULT_TIMEOUT = {True: 1800.0, False: 600.0}
DEFAULT_POLL = {True: 5.0, False: 2.0}
DEFAULT_READ_TIMEOUT = 120.0


class LumaProvider(Provider):
    """Luma generations: Ray 2 video from a first and a last frame, Photon images."""

    name = "luma"
    version = "1"
    description = "Luma Dream Machine API (lumaai SDK): Ray 2 first+last frame, Photon images; key LUMAAI_API_KEY"
    key_env = ("LUMAAI_API_KEY",)
    concurrency = 4
    models = MODELS
    #: Luma takes no seed and no negative prompt (composed into the prompt as "Avoid: ...")
    reads = frozenset({"camera", "negative_prompt"})
    options_schema = CALL_OPTIONS + (
        Option("resolution", str, "720p", "Ray: 540p, 720p, 1080p or 4k (sent always; default 720p)",
               choices=RESOLUTIONS),
        Option("aspect_ratio", str, None, "force an aspect ratio (default: the nearest to the board's)",
               choices=ASPECTS),
        Option("read_timeout", float, DEFAULT_READ_TIMEOUT, "seconds to wait for one API answer", identity=False),
    )

    def load(self) -> None:
        import httpx  # noqa: F401
        import lumaai  # noqa: F401
        import lumaai.resources.generations  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        return self.reads - {"camera"} if job is Job.TEXT_TO_IMAGE else frozenset(self.reads)

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        problems = []
        if (options or {}).get("aspect_ratio") is None:
            # the nearest ratio is sent: only the limits on clip lengths apply
            model = dataclasses.replace(model, limits=Limits(durations=model.limits.durations))
        problems += super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        if job in _VIDEO and not os.environ.get(kit.SHARE_ENV):
            problems.append(f"luma/{model.name} fetches keyframes by URL: set {kit.SHARE_ENV}=s3://BUCKET/PREFIX "
                            "(frames are uploaded there and sent as presigned URLs valid for an hour)")
        return problems

    # -- jobs ---------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        body = {"model": request.model, "prompt": kit.compose_prompt(request, negative_inline=True),
                "aspect_ratio": _aspect(request), "format": "png"}
        return self._generation("image", body, request, ctx, video=False)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        self.api_key()  # a missing key is found before any frame is uploaded
        who = f"luma/{request.model}"
        keyframes = {"frame0": {"type": "image", "url": kit.shared_url(request.first, who=who)}}
        if request.last is not None:
            keyframes["frame1"] = {"type": "image", "url": kit.shared_url(request.last, who=who)}
        body = {"model": request.model, "prompt": kit.compose_prompt(request, negative_inline=True),
                "keyframes": keyframes, "aspect_ratio": _aspect(request),
                "duration": f"{int(round(float(request.seconds)))}s",
                "resolution": str(request.options.get("resolution") or "720p"), "loop": False}
        return self._generation("video", body, request, ctx, video=True)

    def _generation(self, kind: str, body: dict[str, Any], request: Any, ctx: RunContext, *, video: bool) -> Result:
        key = self.api_key()
        call = ctx.call
        read_timeout = float(call.get("read_timeout") or DEFAULT_READ_TIMEOUT)
        import httpx
        import lumaai

        # No base_url: the SDK reads LUMAAI_BASE_URL itself. No SDK retries: one retry layer.
        client = lumaai.LumaAI(auth_token=key, max_retries=0,
                               timeout=httpx.Timeout(read_timeout, connect=min(read_timeout, 10.0)))
        job = _Generation(client, kind, body, request, ctx, read_timeout=read_timeout)
        timeout = call.get("timeout")
        interval = call.get("poll_interval")
        return run_hosted(job, ctx, provider=self.name,
                          timeout=float(DEFAULT_TIMEOUT[video] if timeout is None else timeout),
                          interval=float(DEFAULT_POLL[video] if interval is None else interval))


class _Generation:
    """One Luma generation, as :func:`run_hosted` drives it."""

    def __init__(self, client: Any, kind: str, body: dict[str, Any], request: Any, ctx: RunContext, *,
                 read_timeout: float) -> None:
        import lumaai

        self.client, self.kind, self.body, self.request, self.ctx = client, kind, body, request, ctx
        self.read_timeout = read_timeout
        self.who = f"luma/{request.model}"
        self.vendor = stainless.Vendor(lumaai, self.who, "LUMAAI_API_KEY", _WHERE, _REFUSAL)

    def submit(self) -> str:
        gens = self.client.generations
        create = gens.create if self.kind == "video" else gens.image.create
        made = stainless.submit(lambda: create(**self.body), self.vendor, read_timeout=self.read_timeout)
        gen_id = getattr(made, "id", None)
        if not isinstance(gen_id, str) or not gen_id:
            raise ProviderError(f"{self.who}: unexpected response from the API (no generation id)")
        return gen_id

    def poll(self, job_id: str) -> JobStatus:
        import lumaai

        try:
            gen = self.client.generations.get(job_id)
        except lumaai.NotFoundError:
            raise JobGone(f"{self.who}: Luma no longer knows generation {job_id}", job_id=job_id) from None
        except lumaai.LumaAIError as exc:
            raise stainless.read_error(exc, self.vendor, job_id) from None
        state = getattr(gen, "state", None) or "queued"
        if state == "completed":
            return JobStatus("succeeded", output=gen)
        if state == "failed":
            reason = str(getattr(gen, "failure_reason", "") or "the generation failed without a reason")
            return JobStatus("failed", error=reason, refused=bool(_REFUSAL.search(reason)))
        return JobStatus("pending", detail=state)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        assets = getattr(status.output, "assets", None)
        url = getattr(assets, self.kind, None) if assets is not None else None
        if not isinstance(url, str) or not url:
            raise ProviderError(f"{self.who} completed but returned no {self.kind}", job_id=job_id)
        data = kit.download(url, who=self.who, job_id=job_id)  # TransientError: the retry resumes
        ctx, request = self.ctx, self.request
        info: dict[str, Any] = {"job_id": job_id, "model": request.model}
        info.update(kit.save_fetched(data, request, ctx, video=self.kind == "video", who=self.who, job_id=job_id))
        return Result(ctx.output_path, cost_usd=None, info=info)

    def cancel(self, job_id: str) -> bool:
        self.client.generations.delete(job_id)
        return True


def _aspect(request: Any) -> str:
    return str(request.options.get("aspect_ratio") or kit.nearest_aspect(request.width, request.height, ASPECTS))
