"""The ``runway`` provider: Runway's API through the official ``runwayml`` SDK (5.x).

Every job is a Runway *task*: ``POST /v1/image_to_video`` or ``POST /v1/text_to_image`` answers
``{id}``, then ``GET /v1/tasks/{id}`` until ``SUCCEEDED`` (``output``: URLs) or ``FAILED``
(``failure``, ``failureCode``); ``DELETE /v1/tasks/{id}`` cancels. Wire shapes from the SDK's own
source (runwayml 5.24.0: ``resources/image_to_video.py``, ``resources/text_to_image.py``,
``resources/tasks.py``, ``types/image_to_video_create_params.py``, ``types/task_retrieve_response.py``;
checked 2026-12-04).

Jobs
    * first-last-video / first-frame-video: ``promptImage`` is a list of
      ``{uri, position: first|last}``; Veo 3.1 and Veo 3.1 Fast take a last frame, Gen-4.5 only a
      first one. Frames travel as ``data:image/png;base64`` URIs (the API takes "a HTTPS URL, Runway
      upload URI, or base64 data URI ... up to 5MB"): nothing is served from this machine. A frame
      whose PNG data URI is over 5 MB is sent as JPEG.
    * text-to-image and next-keyframe (``gen4_image``): ``promptText`` and ``ratio``; a next keyframe
      passes the previous one as a reference image tagged ``previous`` (``referenceImages``).

Pinned defaults: Veo's ``audio`` is sent as false (the vendor says audio inclusion affects pricing)
unless the board sets ``audio: true``; ``ratio`` is always sent (the model's 720p ratio nearest the
board's, or the ``ratio`` option); ``duration`` is the beat's seconds.

Submissions follow :mod:`storyrender.providers.stainless` (SDK retries off, ``max_retries=0``:
the SDK would repeat POSTs twice, ``_constants.py`` ``DEFAULT_MAX_RETRIES = 2``, and sends no
idempotency key). The task id is recorded before waiting (:func:`run_hosted`), so a retry, a
Ctrl-C or a ``kill -9`` resumes the task instead of paying again.

Host: the SDK reads ``RUNWAYML_BASE_URL`` (default https://api.dev.runwayml.com); the key comes
from ``RUNWAYML_API_SECRET``. A board never chooses the host.

Costs: a finished task reports the credits it charged (``cost.credits``); they are kept in the
result's ``info.credits``. No dollar list price is confirmed here, so ``plan`` lists Runway jobs
as unpriced unless the board's ``prices:`` table gives one.
"""

from __future__ import annotations

import re
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

__all__ = ["RunwayProvider", "MODELS", "RATIOS"]

_SOURCE = "runwayml SDK 5.24.0 types/image_to_video_create_params.py, text_to_image_create_params.py"
_CHECKED = "2026-12-04"
_VIDEO = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_IMAGE = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME})
_LIFE = Lifecycle("ga", source=_SOURCE, checked=_CHECKED)

#: each model's ratios (the SDK's ``ratio`` literals), by the aspect they stand for
RATIOS: dict[str, dict[str, str]] = {
    "veo3.1_fast": {"16:9": "1280:720", "9:16": "720:1280"},
    "veo3.1": {"16:9": "1280:720", "9:16": "720:1280"},
    "gen4.5": {"16:9": "1280:720", "9:16": "720:1280", "4:3": "1104:832", "1:1": "960:960", "3:4": "832:1104",
               "21:9": "1584:672"},
    "gen4_image": {"16:9": "1920:1080", "9:16": "1080:1920", "1:1": "1024:1024", "4:3": "1440:1080",
                   "3:4": "1080:1440", "21:9": "1680:720"},
}
#: models that take a last frame, an ``audio`` flag, a ``negativePrompt``
_LAST_FRAME = frozenset({"veo3.1", "veo3.1_fast"})
_AUDIO = _LAST_FRAME
_NEGATIVE = _LAST_FRAME

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("veo3.1_fast", _VIDEO, Limits(durations=(4.0, 6.0, 8.0), aspect_ratios=("16:9", "9:16")),
              description="Veo 3.1 Fast on Runway: first and last frame; 4, 6 or 8 s; silent unless audio: true",
              lifecycle=_LIFE),
    ModelInfo("veo3.1", _VIDEO, Limits(durations=(4.0, 6.0, 8.0), aspect_ratios=("16:9", "9:16")),
              description="Veo 3.1 on Runway: first and last frame; 4, 6 or 8 s; silent unless audio: true",
              lifecycle=_LIFE),
    ModelInfo("gen4.5", frozenset({Job.FIRST_FRAME_VIDEO}),
              Limits(durations=tuple(float(d) for d in range(2, 11)), aspect_ratios=tuple(RATIOS["gen4.5"])),
              description="Runway Gen-4.5: first frame only (extend mode); 2 to 10 s", lifecycle=_LIFE),
    ModelInfo("gen4_image", _IMAGE, Limits(aspect_ratios=tuple(RATIOS["gen4_image"])),
              description="Runway Gen-4 Image: keyframes; the next one references the previous", lifecycle=_LIFE),
)

_REFUSAL = re.compile(r"moderat|safety|content|policy|nsfw|prohibited|blocked|SAFETY", re.IGNORECASE)
_DASHBOARD = "the tasks in your Runway developer portal (https://dev.runwayml.com)"
_MAX_DATA_URI = 5 * 1024 * 1024
DEFAULT_TIMEOUT = {True: 1800.0, False: 600.0}
DEFAULT_POLL = {True: 5.0, False: 2.0}
DEFAULT_READ_TIMEOUT = 120.0


class RunwayProvider(Provider):
    """Runway tasks: image-to-video (first and last frame where the model takes one), images."""

    name = "runway"
    version = "1"
    description = "Runway API (runwayml SDK): Veo 3.1 first+last frame, Gen-4.5, Gen-4 Image; key RUNWAYML_API_SECRET"
    key_env = ("RUNWAYML_API_SECRET",)
    concurrency = 4
    models = MODELS
    reads = frozenset({"camera", "negative_prompt", "seed"})
    options_schema = CALL_OPTIONS + (
        Option("ratio", str, None, "the vendor's ratio (e.g. 1280:720); default: the model's nearest the board's"),
        Option("audio", bool, False, "Veo models: generate sound (billed higher); default false"),
        Option("keyframe_prompt", str, kit.NEXT_KEYFRAME_PROMPT,
               "template of next-keyframe prompts ({seconds}, {prompt}); @previous is the previous keyframe"),
        Option("read_timeout", float, DEFAULT_READ_TIMEOUT, "seconds to wait for one API answer", identity=False),
    )

    def load(self) -> None:
        import httpx  # noqa: F401
        import runwayml  # noqa: F401
        import runwayml.resources.image_to_video  # noqa: F401
        import runwayml.resources.tasks  # noqa: F401
        import runwayml.resources.text_to_image  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        return self.reads - {"camera"} if job is Job.TEXT_TO_IMAGE else frozenset(self.reads)

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        problems = super().check(job, model, seconds=seconds, width=width, height=height, options=options)
        ratio = (options or {}).get("ratio")
        if ratio is not None and ratio not in RATIOS[model.name].values():
            problems.append(f"runway/{model.name} takes ratio {', '.join(RATIOS[model.name].values())}, "
                            f"not {ratio!r}")
        if (options or {}).get("audio") and model.name not in _AUDIO:
            problems.append(f"runway/{model.name} makes no sound: remove options.audio")
        return problems

    # -- jobs ---------------------------------------------------------------------------------
    def text_to_image(self, request: ImageRequest, ctx: RunContext) -> Result:
        body = self._common(request, kit.compose_prompt(request, negative_inline=True))
        return self._task("text_to_image", body, request, ctx, video=False)

    def next_keyframe(self, request: KeyframeRequest, ctx: RunContext) -> Result:
        template = str(request.options.get("keyframe_prompt") or kit.NEXT_KEYFRAME_PROMPT)
        prompt = "@previous: " + template.format(seconds=request.seconds, prompt=request.prompt)
        body = self._common(request, kit.compose_prompt(request, negative_inline=True, prompt=prompt))
        body["reference_images"] = [{"uri": _frame_uri(request.previous), "tag": "previous"}]
        return self._task("text_to_image", body, request, ctx, video=False)

    def video(self, request: VideoRequest, ctx: RunContext) -> Result:
        model = request.model
        inline = model not in _NEGATIVE
        body = self._common(request, kit.compose_prompt(request, negative_inline=inline))
        images = [{"uri": _frame_uri(request.first), "position": "first"}]
        if request.last is not None:
            if model not in _LAST_FRAME:
                raise ProviderError(f"runway/{model} takes no last frame: use extend mode or a Veo model")
            images.append({"uri": _frame_uri(request.last), "position": "last"})
        body["prompt_image"] = images
        body["duration"] = int(round(float(request.seconds)))
        if model in _AUDIO:
            body["audio"] = bool(request.options.get("audio", False))  # pinned: the vendor bills audio higher
        if not inline and request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        return self._task("image_to_video", body, request, ctx, video=True)

    def _common(self, request: Any, prompt: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model, "prompt_text": prompt,
                                "ratio": str(request.options.get("ratio") or _ratio(request.model, request.width,
                                                                                      request.height))}
        if request.seed is not None:
            body["seed"] = int(request.seed) % 4294967295
        return body

    def _task(self, endpoint: str, body: dict[str, Any], request: Any, ctx: RunContext, *, video: bool) -> Result:
        key = self.api_key()
        call = ctx.call
        read_timeout = float(call.get("read_timeout") or DEFAULT_READ_TIMEOUT)
        import httpx
        import runwayml

        # No base_url: the SDK reads RUNWAYML_BASE_URL itself. No SDK retries: one retry layer.
        client = runwayml.RunwayML(api_key=key, max_retries=0,
                                   timeout=httpx.Timeout(read_timeout, connect=min(read_timeout, 10.0)))
        job = _Task(client, endpoint, body, request, ctx, video=video, read_timeout=read_timeout)
        timeout = call.get("timeout")
        interval = call.get("poll_interval")
        return run_hosted(job, ctx, provider=self.name,
                          timeout=float(DEFAULT_TIMEOUT[video] if timeout is None else timeout),
                          interval=float(DEFAULT_POLL[video] if interval is None else interval))


class _Task:
    """One Runway task, as :func:`run_hosted` drives it."""

    def __init__(self, client: Any, endpoint: str, body: dict[str, Any], request: Any, ctx: RunContext, *,
                 video: bool, read_timeout: float) -> None:
        import runwayml

        self.client, self.endpoint, self.body, self.request, self.ctx = client, endpoint, body, request, ctx
        self.video, self.read_timeout = video, read_timeout
        self.who = f"runway/{request.model}"
        self.vendor = stainless.Vendor(runwayml, self.who, "RUNWAYML_API_SECRET", _DASHBOARD, _REFUSAL)

    def submit(self) -> str:
        create = getattr(self.client, self.endpoint).create
        created = stainless.submit(lambda: create(**self.body), self.vendor, read_timeout=self.read_timeout)
        task_id = getattr(created, "id", None)
        if not isinstance(task_id, str) or not task_id:
            raise ProviderError(f"{self.who}: unexpected response from the API (no task id)")
        return task_id

    def poll(self, job_id: str) -> JobStatus:
        import runwayml

        try:
            task = self.client.tasks.retrieve(job_id)
        except runwayml.NotFoundError:
            raise JobGone(f"{self.who}: Runway no longer knows task {job_id}", job_id=job_id) from None
        except runwayml.RunwayMLError as exc:
            raise stainless.read_error(exc, self.vendor, job_id) from None
        status = getattr(task, "status", "")
        if status == "SUCCEEDED":
            return JobStatus("succeeded", output=task)
        if status == "FAILED":
            code = str(getattr(task, "failure_code", "") or "")
            reason = str(getattr(task, "failure", "") or "the task failed without a reason")
            return JobStatus("failed", error=reason + (f" ({code})" if code else ""),
                             refused=bool(_REFUSAL.search(f"{code} {reason}")),
                             retry=code.startswith("INTERNAL"))
        if status == "CANCELLED":
            return JobStatus("canceled", error="the task was cancelled")
        progress = getattr(task, "progress", None)
        detail = status.lower() + (f" ({progress:.0%})" if isinstance(progress, float) else "")
        return JobStatus("pending", detail=detail or "pending")

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        task = status.output
        urls = getattr(task, "output", None) or []
        if not urls or not isinstance(urls[0], str):
            raise ProviderError(f"{self.who} succeeded but returned no file", job_id=job_id)
        data = kit.download(urls[0], who=self.who, job_id=job_id)  # TransientError: the retry resumes
        ctx, request = self.ctx, self.request
        info: dict[str, Any] = {"job_id": job_id, "model": request.model}
        credits = getattr(getattr(task, "cost", None), "credits", None)
        if credits is not None:
            info["credits"] = credits
        info.update(kit.save_fetched(data, request, ctx, video=self.video, who=self.who, job_id=job_id))
        return Result(ctx.output_path, cost_usd=None, info=info)

    def cancel(self, job_id: str) -> bool:
        self.client.tasks.delete(job_id)
        return True


def _ratio(model: str, width: int, height: int) -> str:
    table = RATIOS[model]
    return table[kit.nearest_aspect(width, height, tuple(table))]


def _frame_uri(path: Any) -> str:
    """A PNG data URI, or a JPEG one when the PNG's would pass the API's 5 MB limit."""
    uri = kit.data_uri(path)
    if len(uri) <= _MAX_DATA_URI:
        return uri
    import io

    from PIL import Image

    with Image.open(path) as img:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=92)
    return kit.data_uri(buf.getvalue(), "image/jpeg")
