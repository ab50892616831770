"""fal's built-in apps: their argument mappings, clip lengths and list prices; app ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyrender.provider_api import Job, Limits, ModelInfo, Price, kit

__all__ = ["BUILTIN", "Builtin", "AUDIO_PRICES", "PRICES_AS_OF", "VIDEO_JOBS", "ALL_JOBS", "check_app"]

#: the date the list prices below were recorded (a storyboard's ``prices:`` table overrides them)
PRICES_AS_OF = "2026-11-24"

VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})


@dataclass(frozen=True)
class Builtin:
    """A built-in app: what it is, and which of its arguments takes what."""

    info: ModelInfo
    inputs: kit.InputMap


#: built-in apps; the first is the default video app
BUILTIN: dict[str, Builtin] = {
    b.info.name: b
    for b in (
        Builtin(
            ModelInfo(
                name="fal-ai/veo3.1/fast/first-last-frame-to-video", jobs=frozenset({Job.FIRST_LAST_VIDEO}),
                limits=Limits(durations=(4, 6, 8), aspect_ratios=("16:9", "9:16")),
                price=Price(per_second=0.10, as_of=PRICES_AS_OF),
                description="Veo 3.1 Fast, first and last frame; 4, 6 or 8 s; sent without generated audio",
            ),
            kit.InputMap(first_frame="first_frame_url", last_frame="last_frame_url", duration="duration",
                         duration_format="{:g}s", aspect_ratio="aspect_ratio", aspect_ratios=("16:9", "9:16"),
                         negative_prompt="negative_prompt", defaults={"generate_audio": False}),
        ),
        Builtin(
            ModelInfo(
                name="fal-ai/wan-flf2v", jobs=frozenset({Job.FIRST_LAST_VIDEO}),
                limits=Limits(durations=(5,)),
                price=Price(per_call=0.40, as_of=PRICES_AS_OF),
                description="Wan 2.1 first-last-frame-to-video: 81 frames at 16 fps (about 5 s); price at 720p",
            ),
            kit.InputMap(first_frame="start_image_url", last_frame="end_image_url", seed="seed",
                         negative_prompt="negative_prompt"),
        ),
        Builtin(
            ModelInfo(
                name="fal-ai/kling-video/v3/pro/image-to-video", jobs=VIDEO_JOBS,
                # 3 to 15 s (shared providers.md corrections 2026-12-01, checked 2026-12-04)
                limits=Limits(durations=tuple(float(d) for d in range(3, 16))),
                price=Price(per_second=0.112, as_of=PRICES_AS_OF),
                description="Kling 3 Pro image-to-video with an optional end image; 3 to 15 s; silent unless "
                            "params.generate_audio is true",
                # version 2: generate_audio is pinned to false (the app's default is true)
                version="2",
            ),
            kit.InputMap(first_frame="start_image_url", last_frame="end_image_url", duration="duration",
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


def check_app(app: str) -> str:
    """*app* when it is a well-formed fal app id (``OWNER/APP[/PATH]``); ValueError otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+", app or ""):
        raise ValueError(app)
    return app
