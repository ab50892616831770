"""OpenAI's GPT image models: the sizes each takes, their list prices and lifecycles, and the options."""

from __future__ import annotations

from typing import Any, Mapping

from storyrender.provider_api import Job, Lifecycle, Limits, ModelInfo, Option, Price

from .speech import SPEECH_MODELS, SPEECH_OPTIONS
from .writer import writer_models

__all__ = ["PRICES", "QUALITIES", "DEFAULT_QUALITY", "OPTIONS", "MODELS", "HIGH_FIDELITY", "image_model",
           "vendor_size", "parse_size", "is_flexible", "price_per_image"]

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
HIGH_FIDELITY = ("gpt-image-1", "gpt-image-1.5")
_MAX_2 = (3840, 2160)


def is_flexible(model: str) -> bool:
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
    if not is_flexible(model):
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


def parse_size(size: str) -> tuple[int, int] | None:
    """``WIDTHxHEIGHT`` as numbers, None when *size* is not one."""
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
    dims = parse_size(size)
    area = (dims[0] * dims[1]) / (1024 * 1024) if dims else 1.0
    return round(per_square * area, 6)


#: where the lifecycle facts were read: the openai SDK's model list and its "Deprecated values" note
#: (openai 3.60.0, ``openai/types/image_model.py`` and ``image_generate_params.py``), checked 2026-12-04
_SDK_SOURCE = "openai SDK 3.60.0 openai/types/image_model.py"
_CHECKED = "2026-12-04"


def _life(status: str, *, shut_down_on: str = "", replacement: str = "") -> Lifecycle:
    return Lifecycle(status=status, shut_down_on=shut_down_on, replacement=replacement, source=_SDK_SOURCE,
                     checked=_CHECKED)


def image_model(name: str, description: str, lifecycle: Lifecycle = Lifecycle(),
                jobs: frozenset[Job] = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME})) -> ModelInfo:
    """An image model, priced at the default quality and the default board size (1280x720 -> 1536x1024)."""
    estimate = price_per_image(name, DEFAULT_QUALITY, "1536x1024")
    return ModelInfo(
        name=name,
        jobs=jobs,
        limits=Limits(max_size=_MAX_2 if is_flexible(name) else None),
        price=Price(per_image=estimate, as_of=PRICES["as_of"]),
        description=description,
        lifecycle=lifecycle,
    )


#: every model this plugin knows (shut-down ones stay, so validate can name their replacement)
MODELS: tuple[ModelInfo, ...] = (
    image_model("gpt-image-1.5", "GPT Image 1.5", _life("ga")),
    image_model("gpt-image-1-mini", "GPT Image 1 mini: cheapest; next keyframes at low input fidelity", _life("ga")),
    image_model("gpt-image-2", "GPT Image 2: any size in multiples of 16 up to 3840x2160 (price unknown)",
                _life("ga")),
    image_model("gpt-image-2.5-sunburst", "GPT Image 2.5 Sunburst (sized like gpt-image-2; price unknown)",
                _life("ga")),
    image_model("gpt-image-2.5-flare", "GPT Image 2.5 Flare (sized like gpt-image-2; price unknown)",
                _life("ga")),
    image_model("gpt-image-1", "GPT Image 1",
                _life("shut_down", shut_down_on="2026-10-23", replacement="gpt-image-2.5-sunburst")),
    image_model("dall-e-3", "DALL-E 3",
                _life("shut_down", shut_down_on="2026-05-12", replacement="gpt-image-1.5"),
                jobs=frozenset({Job.TEXT_TO_IMAGE})),
    image_model("dall-e-2", "DALL-E 2",
                _life("shut_down", shut_down_on="2026-05-12", replacement="gpt-image-1.5"),
                jobs=frozenset({Job.TEXT_TO_IMAGE})),
    *writer_models(),  # write-story (storyrender new): see writer.py
) + SPEECH_MODELS
