"""A fault-injecting test provider ``faulty``: deterministic pictures, seeded faults.

Enable it like the fake provider: ``STORYRENDER_PLUGINS=tests.plugins.faulty``. It draws what
``fake`` draws (solid-colour keyframes, linear-blend segments), so results are deterministic,
and before drawing it may fail the call. Everything is configured by the environment, so it
works in subprocesses too:

- ``FAULTY_CALLS``: a file; every call appends one JSON line
  ``{job, prompt, seed, take, ident, attempt, fault, pid, t}``. ``ident`` names the node (job,
  prompt, seed, take, size and the bytes of its input images), so tests can count repeated calls
  of one node across builds and processes; ``attempt`` counts calls of that node so far (1-based,
  read back from the log); ``fault`` is the fault injected (``""``: the call succeeded).
- ``FAULTY_SEED`` (default 0) and ``FAULTY_RATE`` (0..1, default 0): each call faults with that
  probability, drawn from ``FAULTY_FAULTS`` (comma-separated; default all transient kinds).
  The draw depends only on (seed, ident, attempt): reruns and parallel builds see the same faults.
- Fault kinds: ``ratelimit`` (TransientError with ``retry_after``, ``FAULTY_RETRY_AFTER`` seconds,
  default 0.01), ``500`` (TransientError), ``timeout`` (TransientError after a short wait),
  ``drop`` (a raw ``ConnectionResetError``, as a dropped socket), ``truncate`` (the call "succeeds"
  but writes a truncated PNG/MP4, as a cut download: ``ops.verify`` must catch it), ``refuse``
  (RefusedError, never retried), ``fail`` (ProviderError).
- Prompt directives override the dice for one node: ``!refuse``, ``!fail``, ``!KIND*N`` (the node's
  first N calls fault with KIND, then it succeeds; e.g. ``!500*2``, ``!truncate*1``; several run in order),
  ``!leak`` (fails
  with an error, a log line and text that contain every key-like environment value: they must be
  redacted), ``!leakinfo`` (succeeds, with the keys in its result info). ``@JOB`` limits a directive
  to one job (``!refuse@video``: the beat's keyframe is drawn, its segment refused).
- ``FAULTY_OFF``: set, no fault at all (the same requests succeed: "the provider recovered").
- ``FAULTY_SLEEP``: seconds every call takes (default 0).
- ``FAULTY_HOLD``: a path; every call (after it is logged) waits until that file exists, so a test
  can act while a call is certainly in flight.
- ``FAULTY_PRICE``: list price per image and per video second (default 0: free).
- ``FAULTY_COST_FACTOR``: when set, each call reports a cost of factor x list price (a vendor
  billing more, or less, than its list price).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from storyrender import hookimpl
from storyrender.errors import ProviderError, RefusedError, TransientError
from storyrender.media.ffmpeg import encode_frames
from storyrender.providers.base import Job, ModelInfo, Price, Provider, Result

TRANSIENT = ("ratelimit", "500", "timeout", "drop", "truncate")
_lock = threading.Lock()
_counts: dict[str, int] = {}
_DIRECTIVE = re.compile(r"!(ratelimit|500|timeout|drop|truncate|refuse|fail|leakinfo|leak)(?:\*(\d+))?"
                        r"(?:@(text-to-image|next-keyframe|video))?")
_KEY_HINTS = ("KEY", "TOKEN", "SECRET")


def _digest(path) -> str:
    if not path:
        return ""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def identity(job: str, request) -> str:
    """A node's identity as the provider sees it (equal requests -> equal identity)."""
    parts = [job, getattr(request, "prompt", ""), str(getattr(request, "seed", "")),
             str((getattr(request, "hints", None) or {}).get("take", "")),
             f"{getattr(request, 'width', '')}x{getattr(request, 'height', '')}",
             _digest(getattr(request, "previous", None)), _digest(getattr(request, "first", None)),
             _digest(getattr(request, "last", None))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _attempt(ident: str, log: str | None) -> int:
    """How many calls of *ident* were made before this one (from the log: across processes), plus one."""
    with _lock:
        if log:
            n = 0
            try:
                with open(log) as f:
                    for line in f:
                        if f'"ident": "{ident}"' in line:
                            n += 1
            except FileNotFoundError:
                pass
            return n + 1
        _counts[ident] = _counts.get(ident, 0) + 1
        return _counts[ident]


def _record(line: dict) -> None:
    path = os.environ.get("FAULTY_CALLS")
    if not path:
        return
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())  # one write: lines never interleave
        finally:
            os.close(fd)


def choose_fault(job: str, prompt: str, ident: str, attempt: int) -> str:
    """The fault for this call ("" for none): prompt directives first, then the seeded dice."""
    if os.environ.get("FAULTY_OFF"):
        return ""
    seen = 0  # transient directives run in sequence: "!timeout*1 !drop*1" = a timeout, a drop, then success
    directed = False
    for m in _DIRECTIVE.finditer(prompt):
        kind, times, only = m.group(1), m.group(2), m.group(3)
        if only and only != job:
            continue
        if kind in ("refuse", "fail", "leak"):
            return kind
        directed = True
        if kind == "leakinfo":
            continue
        seen += int(times or 1)
        if attempt <= seen:
            return kind
    if directed:
        return ""
    rate = float(os.environ.get("FAULTY_RATE", "0") or 0)
    if rate <= 0:
        return ""
    kinds = [k.strip() for k in os.environ.get("FAULTY_FAULTS", ",".join(TRANSIENT)).split(",") if k.strip()]
    rng = random.Random(f"{os.environ.get('FAULTY_SEED', '0')}|{ident}|{attempt}")
    return rng.choice(kinds) if rng.random() < rate else ""


def _keys_text() -> str:
    return " ".join(v for k, v in os.environ.items() if v and any(h in k.upper() for h in _KEY_HINTS))


def _colour(text: str, seed: int) -> tuple[int, int, int]:
    h = hashlib.sha256(f"{text}|{seed}".encode()).digest()
    return h[0], h[1], h[2]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: max(1, len(data) // 2)])


class FaultyProvider(Provider):
    name = "faulty"
    version = "1"
    description = "test provider that injects faults"
    concurrency = 64

    def __init__(self) -> None:
        price = float(os.environ.get("FAULTY_PRICE", "0") or 0)
        self.models = (
            ModelInfo("img", frozenset({Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}), price=Price(per_image=price or None)),
            ModelInfo("vid", frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}),
                      price=Price(per_second=price or None)),
        )

    # -- the fault machinery ------------------------------------------------------------------
    def _call(self, job: str, request, ctx, draw) -> Result:
        log = os.environ.get("FAULTY_CALLS")
        ident = identity(job, request)
        attempt = _attempt(ident, log)
        fault = choose_fault(job, request.prompt, ident, attempt)
        _record({"job": job, "prompt": request.prompt, "seed": request.seed,
                 "take": (request.hints or {}).get("take"), "ident": ident, "attempt": attempt, "fault": fault,
                 "pid": os.getpid(), "t": time.time()})
        sleep = float(os.environ.get("FAULTY_SLEEP", "0") or 0)
        if sleep:
            time.sleep(sleep)
        hold = os.environ.get("FAULTY_HOLD")
        if hold:  # a call in flight until the test says so
            deadline = time.monotonic() + 120
            while not os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.01)
        if fault == "ratelimit":
            raise TransientError("faulty: 429 rate limited (simulated)",
                                 retry_after=float(os.environ.get("FAULTY_RETRY_AFTER", "0.01")))
        if fault == "500":
            raise TransientError("faulty: HTTP 500 internal server error (simulated)", job_id=f"job-{ident[:8]}")
        if fault == "timeout":
            time.sleep(0.01)
            raise TransientError("faulty: timed out waiting for the result (simulated)")
        if fault == "drop":
            raise ConnectionResetError(104, "Connection reset by peer (simulated)")
        if fault == "refuse":
            raise RefusedError("faulty: the request was refused by the content policy (simulated)",
                               job_id=f"job-{ident[:8]}")
        if fault == "fail":
            raise ProviderError("faulty: the model could not make this (simulated)")
        if fault == "leak":
            keys = _keys_text()
            ctx.log(f"faulty: sending Authorization: Bearer {keys}")
            raise ProviderError(f"faulty: invalid credentials {keys} (simulated)")
        draw()
        if fault == "truncate":
            _truncate(Path(ctx.output_path))
        info = {"ident": ident, "attempt": attempt}
        if "!leakinfo" in request.prompt and not os.environ.get("FAULTY_OFF"):
            info["echo"] = f"key used: {_keys_text()}"
        factor = os.environ.get("FAULTY_COST_FACTOR")
        cost = None
        if factor:
            list_price = float(os.environ.get("FAULTY_PRICE", "0") or 0)
            units = request.seconds if job == "video" else 1
            cost = float(factor) * list_price * units
        return Result(ctx.output_path, cost_usd=cost, info=info)

    # -- jobs ---------------------------------------------------------------------------------
    def _image(self, request, ctx, job, previous=None) -> Result:
        def draw():
            c = np.array(_colour(request.prompt, request.seed), dtype=np.uint8)
            img = np.empty((request.height, request.width, 3), np.uint8)
            img[:] = c
            if previous is not None:
                base = np.asarray(Image.open(previous).convert("RGB"))
                img[: request.height // 4] = base[: request.height // 4]
            Image.fromarray(img).save(ctx.output_path, format="PNG")

        return self._call(job, request, ctx, draw)

    def text_to_image(self, request, ctx):
        return self._image(request, ctx, "text-to-image")

    def next_keyframe(self, request, ctx):
        return self._image(request, ctx, "next-keyframe", request.previous)

    def video(self, request, ctx):
        def draw():
            a = np.asarray(Image.open(request.first).convert("RGB"), dtype=np.float32)
            b = np.asarray(Image.open(request.last).convert("RGB"), dtype=np.float32) if request.last else a
            n = round(request.seconds * request.fps)
            frames = ((a * (1 - i / n) + b * (i / n)).round().astype(np.uint8) for i in range(n + 1))
            encode_frames(frames, ctx.output_path, fps=request.fps, width=request.width, height=request.height)

        return self._call("video", request, ctx, draw)


def calls(path) -> list[dict]:
    """The calls logged in *path* so far."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


@hookimpl
def register_providers(register):
    register(FaultyProvider())


# -- helpers for the reliability tests --------------------------------------------------------------------------

def board_text(prompts, *, size: str = "64x36", fps: int = 4, seconds: float = 1, extra: str = "",
               provider: str = "faulty") -> str:
    """A tiny storyboard whose jobs all go to *provider* (one beat per prompt)."""
    lines = ["version: 1", f"output: {{size: {size}, fps: {fps}}}", f"seconds: {seconds}",
             f"providers: {{image: {provider}/img, keyframe: {provider}/img, video: {provider}/vid}}"]
    if extra:
        lines.append(extra.rstrip("\n"))
    lines.append("beats:")
    lines += [f"  - prompt: {json.dumps(p)}" for p in prompts]
    return "\n".join(lines) + "\n"


def env_for(log, **extra) -> dict:
    """Environment for a CLI run with the faulty provider, fast retries and a call log."""
    env = {"STORYRENDER_PLUGINS": "tests.plugins.faulty", "FAULTY_CALLS": str(log),
           "STORYRENDER_RETRY_BASE": "0.01", "STORYRENDER_RETRY_CAP": "0.05"}
    env.update({k: str(v) for k, v in extra.items()})
    return env
