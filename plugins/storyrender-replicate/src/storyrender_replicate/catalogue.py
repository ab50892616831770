"""Replicate's built-in models: their input mappings, clip lengths and list prices; model names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyrender.provider_api import Job, Limits, ModelInfo, Price, kit

__all__ = ["BUILTIN", "MODELS", "Builtin", "PRICES_AS_OF", "HAILUO_RESOLUTIONS", "HAILUO_DEFAULT", "KLING_MODES",
           "VIDEO_JOBS", "ALL_JOBS", "split_name"]

#: the date the list prices below were recorded (a storyboard's ``prices:`` table overrides them)
PRICES_AS_OF = "2026-11-24"

VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
_FLUX_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
_LUMA_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "9:21", "21:9")


@dataclass(frozen=True)
class Builtin:
    """A built-in model: what it is, and which of its input parameters takes what."""

    info: ModelInfo
    inputs: kit.InputMap


def _video(name: str, durations: tuple[float, ...], per_second: float, inputs: kit.InputMap, description: str,
           first_last: bool = True, version: str = "1") -> Builtin:
    jobs = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}) if first_last else frozenset(
        {Job.FIRST_FRAME_VIDEO})
    return Builtin(
        ModelInfo(name=name, jobs=jobs, limits=Limits(durations=durations),
                  price=Price(per_second=per_second, as_of=PRICES_AS_OF), description=description, version=version),
        inputs,
    )


#: Hailuo-02's ``resolution`` (the model's schema: default 1080p, "10 seconds is only available for 768p
#: resolution"; replicate.com/minimax/hailuo-02 API page, checked 2026-12-04). The plugin pins 768p, the
#: resolution its list price is for; 512p and 1080p have no price known here (``plan`` says so).
HAILUO_RESOLUTIONS = {"512p": None, "768p": 0.045, "1080p": None}
HAILUO_DEFAULT = "768p"
#: Kling 2.1's ``mode`` (standard is 720p, pro 1080p; ``end_image`` needs pro; the model's default is
#: standard). Always sent. Standard has no price known here: it is estimated at the pro figure, an
#: upper bound (checked 2026-12-04).
KLING_MODES = ("standard", "pro")


#: built-in models, first of each job = that job's default
BUILTIN: dict[str, Builtin] = {
    b.info.name: b
    for b in (
        Builtin(
            ModelInfo(
                name="black-forest-labs/flux-schnell", jobs=frozenset({Job.TEXT_TO_IMAGE}),
                price=Price(per_image=0.003, as_of=PRICES_AS_OF),
                description="FLUX.1 [schnell]: fast text-to-image",
            ),
            kit.InputMap(seed="seed", aspect_ratio="aspect_ratio", aspect_ratios=_FLUX_RATIOS,
                         defaults={"output_format": "png", "num_outputs": 1}),
        ),
        Builtin(
            ModelInfo(
                name="black-forest-labs/flux-dev", jobs=frozenset({Job.TEXT_TO_IMAGE}),
                price=Price(per_image=0.025, as_of=PRICES_AS_OF),
                description="FLUX.1 [dev]: text-to-image",
            ),
            kit.InputMap(seed="seed", aspect_ratio="aspect_ratio", aspect_ratios=_FLUX_RATIOS,
                         defaults={"output_format": "png", "num_outputs": 1}),
        ),
        Builtin(
            ModelInfo(
                name="black-forest-labs/flux-kontext-pro", jobs=frozenset({Job.NEXT_KEYFRAME}),
                price=Price(per_image=0.04, as_of=PRICES_AS_OF),
                description="FLUX.1 Kontext [pro]: edits the previous keyframe into the next one",
            ),
            kit.InputMap(image="input_image", seed="seed", aspect_ratio="aspect_ratio",
                         aspect_ratios="match_input_image", defaults={"output_format": "png"}),
        ),
        _video(
            "kwaivgi/kling-v2.1", (5, 10), 0.09,
            kit.InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                         negative_prompt="negative_prompt"),
            "Kling 2.1: start and end image; mode sent (pro with an end image, else standard; params.mode)",
        ),
        _video(
            "minimax/hailuo-02", (6, 10), 0.045,
            kit.InputMap(first_frame="first_frame_image", last_frame="last_frame_image", duration="duration",
                         defaults={"resolution": HAILUO_DEFAULT}),
            "Hailuo 02: first and last frame; 6 or 10 s (10 s at 768p only); resolution pinned to 768p "
            "(params.resolution: 512p, 768p, 1080p)",
            # version 2: resolution is sent (768p); the model's own default is 1080p
            version="2",
        ),
        _video(
            "luma/ray-flash-2-720p", (5, 9), 0.022,
            kit.InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                         aspect_ratio="aspect_ratio", aspect_ratios=_LUMA_RATIOS),
            "Luma Ray Flash 2 (720p): start and end image",
        ),
        _video(
            "luma/ray-2-540p", (5, 9), 0.04,
            kit.InputMap(first_frame="start_image", last_frame="end_image", duration="duration",
                         aspect_ratio="aspect_ratio", aspect_ratios=_LUMA_RATIOS),
            "Luma Ray 2 (540p): start and end image",
        ),
        _video(
            "pixverse/pixverse-v4", (5, 8), 0.06,
            kit.InputMap(first_frame="image", last_frame="last_frame_image", duration="duration", seed="seed",
                         negative_prompt="negative_prompt"),
            "PixVerse v4: first and last frame; 5 or 8 s (price at 540p)",
        ),
    )
}

# The default model of each job must come first among the models that do it.
_ORDER = (
    "black-forest-labs/flux-schnell",
    "black-forest-labs/flux-kontext-pro",
    "kwaivgi/kling-v2.1",
)


def split_name(model: str) -> tuple[str, str | None]:
    """``owner/name[:version]`` -> (``owner/name``, version or None); ValueError when malformed.
    Each part starts with a letter or digit, so ``..`` can never reach the request path."""
    m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?::([A-Za-z0-9]+))?", model or "")
    if not m:
        raise ValueError(model)
    return f"{m.group(1)}/{m.group(2)}", m.group(3)



#: the built-in models, each job's default first
MODELS: tuple[ModelInfo, ...] = tuple(BUILTIN[n].info for n in _ORDER) + tuple(
    b.info for n, b in BUILTIN.items() if n not in _ORDER
)
