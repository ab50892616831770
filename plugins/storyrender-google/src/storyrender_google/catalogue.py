"""Google's models, their list prices and lifecycles, and the options a board may set."""

from __future__ import annotations

from typing import Any

from storyrender.provider_api import CALL_OPTIONS, Job, Lifecycle, Limits, ModelInfo, Option, Price, RunContext

from .writer import writer_models

__all__ = ["PRICES", "MODELS", "OPTIONS", "OPTIONS_SCHEMA", "IMAGE_ASPECTS", "VEO_ASPECTS", "VEO_DURATIONS",
           "VEO_RESOLUTIONS", "image_model", "veo_model", "image_price", "video_price_per_second", "truthy",
           "call_option"]

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


def image_model(name: str, description: str, lifecycle: Lifecycle = Lifecycle()) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}),
        price=Price(per_image=image_price(name, None), as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


def veo_model(name: str, description: str, lifecycle: Lifecycle = Lifecycle()) -> ModelInfo:
    return ModelInfo(
        name=name,
        jobs=frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
        limits=Limits(durations=VEO_DURATIONS, aspect_ratios=VEO_ASPECTS),
        price=Price(per_second=video_price_per_second(name, None), as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


def truthy(value: Any) -> bool:
    """An option or environment value read as a yes/no."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def call_option(ctx: RunContext, name: str) -> Any:
    """A call option's value for this job, else its default."""
    value = ctx.call.get(name)
    if value is None:
        opt = next(o for o in OPTIONS_SCHEMA if o.name == name)
        return opt.default
    return value


#: every model this plugin knows (shut-down ones stay, so validate can name their replacement)
MODELS: tuple[ModelInfo, ...] = (
    image_model("gemini-3.1-flash-image", "Gemini 3.1 Flash Image (Nano Banana 2); 1K, 2K, 4K",
                _life("ga", _DEPRECATIONS)),
    image_model("gemini-3-pro-image", "Gemini 3 Pro Image (Nano Banana Pro); 1K, 2K, 4K",
                _life("ga", _DEPRECATIONS)),
    image_model("gemini-3.1-flash-lite-image", "Gemini 3.1 Flash Lite Image: 1K (price not known here)",
                _life("ga", "shared providers.md corrections 2026-12-01")),
    image_model("gemini-2.5-flash-image", "Gemini 2.5 Flash Image (Nano Banana)",
                _life("shut_down", _DEPRECATIONS, shut_down_on="2026-10-02",
                      replacement="gemini-3.1-flash-image")),
    image_model("gemini-3-pro-image-preview", "Gemini 3 Pro Image preview",
                _life("shut_down", _DEPRECATIONS, shut_down_on="2026-06-25", replacement="gemini-3-pro-image")),
    image_model("gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image preview",
                _life("shut_down", _DEPRECATIONS, shut_down_on="2026-06-25",
                      replacement="gemini-3.1-flash-image")),
    veo_model("veo-3.1-generate-001", "Veo 3.1: first+last frame, 4/6/8 s, 16:9 or 9:16 (Vertex AI)",
              _life("ga", _VERTEX_VEO)),
    veo_model("veo-3.1-fast-generate-001", "Veo 3.1 Fast (Vertex AI)", _life("ga", _VERTEX_VEO)),
    veo_model("veo-3.1-lite-generate-001", "Veo 3.1 Lite (Vertex AI)",
              _life("ga", "shared providers.md corrections 2026-12-01")),
    veo_model("veo-3.1-generate-preview", "Veo 3.1 preview",
              _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                    replacement="veo-3.1-generate-001")),
    veo_model("veo-3.1-fast-generate-preview", "Veo 3.1 Fast preview",
              _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                    replacement="veo-3.1-fast-generate-001")),
    veo_model("veo-3.1-lite-generate-preview", "Veo 3.1 Lite preview",
              _life("shut_down", _VEO_PREVIEW_NOTICE, shut_down_on="2026-10-22",
                    replacement="veo-3.1-lite-generate-001")),
    *writer_models(),  # write-story (storyrender new): see writer.py
)
