"""getimg's built-in models and list prices, and the options a board may set."""

from __future__ import annotations

from storyrender.provider_api import Job, ModelInfo, Option, Price, kit

__all__ = ["MODELS", "OPTIONS", "PRICES_AS_OF", "VIDEO_JOBS", "ALL_JOBS", "RATIOS", "DEFAULT_VIDEO_TIMEOUT",
           "DEFAULT_IMAGE_TIMEOUT", "DEFAULT_READ_TIMEOUT", "DEFAULT_POLL_INTERVAL"]

#: the date the list prices below were recorded; the API reports each call's actual cost
PRICES_AS_OF = "2026-11-24"

VIDEO_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
ALL_JOBS = frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME, Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
#: the ratios sent when a board sets none (the one nearest the board's size)
RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")

DEFAULT_VIDEO_TIMEOUT = 1800.0
DEFAULT_IMAGE_TIMEOUT = 300.0
DEFAULT_READ_TIMEOUT = 120.0
DEFAULT_POLL_INTERVAL = 5.0

#: Board options this provider reads.
OPTIONS: tuple[Option, ...] = (
    Option("aspect_ratio", str, None, "sent as given; default: the common ratio nearest the board's size"),
    Option("resolution", str, None, "e.g. 720p (default: the model's)"),
    Option("sound", bool, False, "ask video models for sound"),
    Option("params", dict, None, "extra body fields, sent as they are"),
    Option("keyframe_prompt", str, kit.NEXT_KEYFRAME_PROMPT, "the next-keyframe prompt ({seconds}, {prompt})"),
    Option("durations", list, None, "clip lengths (s) to validate against, e.g. [5, 10]", identity=False),
    Option("timeout", float, None, "videos: seconds to wait for the job (default 1800; the API has no cancel); "
           "images: seconds to wait for the answer (default 300)", identity=False),
    Option("read_timeout", float, None, "seconds to wait for the answer to one video API request (default 120); "
           "for images it overrides timeout. A submission whose answer times out is not repeated",
           identity=False),
    Option("poll_interval", float, None, "seconds between video status polls (default 5)", identity=False),
)

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        name="seedream-5-lite", jobs=frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}),
        price=Price(per_image=0.035, as_of=PRICES_AS_OF),
        description="Seedream 5 Lite: text-to-image, and edits of the previous keyframe (reference image)",
    ),
    ModelInfo(
        name="seedance-v1-pro", jobs=frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
        price=Price(per_second=0.06, as_of=PRICES_AS_OF),
        description="Seedance 1 Pro: first frame, and last frame where the model accepts one",
    ),
)
