"""A fast, scriptable test provider ``fake``: solid-colour keyframes and linear-blend segments.

Behaviour is driven by the environment so it works in subprocesses too:
- ``FAKE_CALLS``: a file; every call appends one JSON line {job, prompt, seed, take, pid}.
- ``FAKE_SLEEP_IMAGE`` / ``FAKE_SLEEP_VIDEO``: seconds each image / video call sleeps.
- a prompt containing ``FAIL`` raises ProviderError (``REFUSE``: RefusedError).
- ``FAKE_PRICE``: price per image and per video second (default 0: free).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time

import numpy as np
from PIL import Image

from storyrender import hookimpl
from storyrender.errors import ProviderError, RefusedError
from storyrender.media.ffmpeg import encode_frames
from storyrender.providers.base import Job, ModelInfo, Price, Provider, Result

_lock = threading.Lock()
_active = {"now": 0, "max": 0}


def _record(job: str, request, **extra) -> None:
    path = os.environ.get("FAKE_CALLS")
    if not path:
        return
    line = {"job": job, "prompt": getattr(request, "prompt", getattr(request, "text", "")),
            "seed": getattr(request, "seed", None), "pid": os.getpid(), "t": time.time(), **extra}
    with _lock, open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


def _colour(text: str, seed: int) -> tuple[int, int, int]:
    h = hashlib.sha256(f"{text}|{seed}".encode()).digest()
    return h[0], h[1], h[2]


def _check(prompt: str) -> None:
    if "REFUSE" in prompt:
        raise RefusedError("the fake provider refuses prompts containing REFUSE")
    if "FAIL" in prompt:
        raise ProviderError("the fake provider fails prompts containing FAIL")


class _Busy:
    def __enter__(self):
        with _lock:
            _active["now"] += 1
            _active["max"] = max(_active["max"], _active["now"])

    def __exit__(self, *a):
        with _lock:
            _active["now"] -= 1


class FakeProvider(Provider):
    name = "fake"
    version = "1"
    description = "test provider"
    concurrency = 64

    def __init__(self) -> None:
        price = float(os.environ.get("FAKE_PRICE", "0"))
        self.models = (
            ModelInfo("img", frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}), price=Price(per_image=price or None)),
            ModelInfo("vid", frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
                      price=Price(per_second=price or None)),
            ModelInfo("img-only", frozenset({Job.TEXT_TO_IMAGE})),
        )

    def _image(self, request, ctx, job, base=None):
        _record(job, request)
        _check(request.prompt)
        with _Busy():
            time.sleep(float(os.environ.get("FAKE_SLEEP_IMAGE", "0")))
        c = np.array(_colour(request.prompt, request.seed), dtype=np.uint8)
        img = np.empty((request.height, request.width, 3), np.uint8)
        img[:] = c
        if base is not None:
            img[: request.height // 4] = base[: request.height // 4]
        Image.fromarray(img).save(ctx.output_path, format="PNG")
        return Result(ctx.output_path)

    def text_to_image(self, request, ctx):
        return self._image(request, ctx, "text-to-image")

    def next_keyframe(self, request, ctx):
        base = np.asarray(Image.open(request.previous).convert("RGB"))
        return self._image(request, ctx, "next-keyframe", base)

    def video(self, request, ctx):
        _record("video", request, take=request.hints.get("take"))
        _check(request.prompt)
        with _Busy():
            time.sleep(float(os.environ.get("FAKE_SLEEP_VIDEO", "0")))
        a = np.asarray(Image.open(request.first).convert("RGB"), dtype=np.float32)
        b = np.asarray(Image.open(request.last).convert("RGB"), dtype=np.float32) if request.last else a
        n = round(request.seconds * request.fps)
        frames = ((a * (1 - i / n) + b * (i / n)).round().astype(np.uint8) for i in range(n + 1))
        encode_frames(frames, ctx.output_path, fps=request.fps, width=request.width, height=request.height)
        return Result(ctx.output_path)


def max_concurrency() -> int:
    return _active["max"]


@hookimpl
def register_providers(register):
    register(FakeProvider())
