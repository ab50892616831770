"""A fast, scriptable test provider ``fake``: solid-colour keyframes and linear-blend segments.

Behaviour is driven by the environment so it works in subprocesses too:
- ``FAKE_CALLS``: a file; every call appends one JSON line {job, prompt, seed, take, pid}.
- ``FAKE_SLEEP_IMAGE`` / ``FAKE_SLEEP_VIDEO``: seconds each image / video call sleeps.
- a prompt containing ``FAIL`` raises ProviderError (``REFUSE``: RefusedError).
- ``FAKE_PRICE``: price per image and per video second (default 0: free).
- ``FAKE_VIDEO_FPS``: segments are made at this frame rate instead of the requested one.
- ``FAKE_CAST``: ``R,G,B`` added to segments, growing from 0 on the first frame to all of it on the last.
- ``FAKE_VIDEO_TONE``: a frequency; segments then carry a sine at it as their own audio.

Two more providers for the request contract: ``fakestrict`` (an option schema, reads no camera)
and ``fakehosted`` (a vendor whose jobs live as files under ``FAKE_VENDOR``: submitted, polled,
fetched through ``storyrender.providers.hosted.run_hosted``; see :class:`HostedFake`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time

from storyrender import hookimpl
from storyrender.errors import ProviderError, RefusedError, TransientError
from storyrender.providers.base import CALL_OPTIONS, Job, Limits, ModelInfo, Option, Price, Provider, Result

_lock = threading.Lock()
_active = {"now": 0, "max": 0}


def _record(job: str, request, **extra) -> None:
    path = os.environ.get("FAKE_CALLS")
    if not path:
        return
    line = {"job": job, "prompt": getattr(request, "prompt", getattr(request, "text", "")),
            "seed": getattr(request, "seed", None), "pid": os.getpid(), "t": time.time(),
            "take": getattr(request, "take", None), "camera": getattr(request, "camera", None),
            "negative_prompt": getattr(request, "negative_prompt", None),
            "options": dict(getattr(request, "options", {}) or {}), **extra}
    if getattr(request, "references", ()):
        line["references"] = [str(p) for p in request.references]
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
            ModelInfo("vid10", frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
                      limits=Limits(durations=(5.0, 10.0)), price=Price(per_second=price or None)),
        )

    def load(self) -> None:
        """numpy and Pillow, as a vendor SDK: imported when a job runs, not when the plugin is registered."""
        import numpy  # noqa: F401
        import PIL.Image  # noqa: F401

    def _image(self, request, ctx, job, base=None):
        import numpy as np
        from PIL import Image

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
        import numpy as np
        from PIL import Image

        base = np.asarray(Image.open(request.previous).convert("RGB"))
        return self._image(request, ctx, "next-keyframe", base)

    def video(self, request, ctx):
        import numpy as np
        from PIL import Image

        from storyrender.media.ffmpeg import encode_frames, run_ffmpeg

        _record("video", request)
        _check(request.prompt)
        with _Busy():
            time.sleep(float(os.environ.get("FAKE_SLEEP_VIDEO", "0")))
        a = np.asarray(Image.open(request.first).convert("RGB"), dtype=np.float32)
        b = np.asarray(Image.open(request.last).convert("RGB"), dtype=np.float32) if request.last else a
        fps = int(os.environ.get("FAKE_VIDEO_FPS", "0")) or request.fps  # a model with its own frame rate
        n = round(request.seconds * fps)
        cast = np.array([float(x) for x in os.environ.get("FAKE_CAST", "0,0,0").split(",")], np.float32)
        # FAKE_CAST=R,G,B: a colour cast growing from none on the first frame to R,G,B on the last
        frames = (np.clip(a * (1 - i / n) + b * (i / n) + cast * (i / n), 0, 255).round().astype(np.uint8)
                  for i in range(n + 1))
        encode_frames(frames, ctx.output_path, fps=fps, width=request.width, height=request.height)
        tone = os.environ.get("FAKE_VIDEO_TONE")
        if tone:  # a clip with its own sound, as Veo or Kling with audio make
            silent = ctx.output_path.with_name("silent.mp4")
            ctx.output_path.rename(silent)
            run_ffmpeg(["-i", str(silent), "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100",
                        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest",
                        str(ctx.output_path)])
        return Result(ctx.output_path)


def max_concurrency() -> int:
    return _active["max"]


class StrictFake(FakeProvider):
    """``fake`` with an option schema, and no camera: camera edits must render nothing."""

    name = "fakestrict"
    reads = frozenset({"seed", "negative_prompt"})
    options_schema = CALL_OPTIONS + (
        Option("quality", str, "standard", "how hard the fake tries", choices=("standard", "high")),
        Option("read_timeout", float, None, "seconds to wait for a response", identity=False),
    )


class HostedFake(FakeProvider):
    """A hosted vendor made of files: ``$FAKE_VENDOR/jobs/N.json`` per submitted job.

    ``FAKE_VENDOR_PENDING=1``: jobs stay pending until ``$FAKE_VENDOR/release`` exists;
    ``FAKE_VENDOR_FETCH_FAILS=N``: the first N downloads fail (transient). Every submission
    appends a line to ``$FAKE_VENDOR/submissions``.
    """

    name = "fakehosted"
    options_schema = CALL_OPTIONS

    def _vendor(self):
        from pathlib import Path

        root = Path(os.environ["FAKE_VENDOR"])
        (root / "jobs").mkdir(parents=True, exist_ok=True)
        return root

    def _hosted(self, job_name, request, ctx, draw):
        from storyrender.providers.hosted import JobGone, JobStatus, run_hosted

        root = self._vendor()
        provider = self

        class Job:
            who = f"fakehosted/{request.model}"

            def submit(self):
                with _lock:
                    n = len(list((root / "jobs").iterdir())) + 1
                    (root / "jobs" / f"{n}.json").write_text(json.dumps({"state": "pending", "seed": request.seed}))
                    with open(root / "submissions", "a") as f:
                        f.write(json.dumps({"job": job_name, "id": str(n), "seed": request.seed,
                                            "pid": os.getpid()}) + "\n")
                return str(n)

            def poll(self, job_id):
                path = root / "jobs" / f"{job_id}.json"
                if not path.exists():
                    raise JobGone(f"no job {job_id}")
                with open(root / "polls", "a") as f:
                    f.write(job_id + "\n")
                if os.environ.get("FAKE_VENDOR_PENDING") and not (root / "release").exists():
                    return JobStatus("pending", detail="running")
                return JobStatus("succeeded", output=job_id)

            def fetch(self, job_id, status):
                fails = int(os.environ.get("FAKE_VENDOR_FETCH_FAILS", "0"))
                with _lock:
                    done = (root / "fetch_failures").read_text().count("x") if (root / "fetch_failures").exists() else 0
                    if done < fails:
                        (root / "fetch_failures").write_text("x" * (done + 1))
                        raise TransientError(f"{self.who}: downloading the result: HTTP 503", job_id=job_id)
                return draw()

            def cancel(self, job_id):
                (root / "jobs" / f"{job_id}.json").write_text(json.dumps({"state": "canceled"}))

        return run_hosted(Job(), ctx, provider=provider.name, timeout=float(ctx.call.get("timeout") or 60),
                          interval=float(ctx.call.get("poll_interval") or 0.05))

    def text_to_image(self, request, ctx):
        return self._hosted("text-to-image", request, ctx, lambda: FakeProvider.text_to_image(self, request, ctx))

    def next_keyframe(self, request, ctx):
        return self._hosted("next-keyframe", request, ctx, lambda: FakeProvider.next_keyframe(self, request, ctx))

    def video(self, request, ctx):
        return self._hosted("video", request, ctx, lambda: FakeProvider.video(self, request, ctx))


@hookimpl
def register_providers(register):
    register(FakeProvider())
    register(StrictFake())
    register(HostedFake())
