"""A fake of the Gemini API and of Vertex AI's Veo endpoints on 127.0.0.1 (pytest-httpserver).

The real ``google-genai`` SDK is pointed at it with the SDK's own GOOGLE_GEMINI_BASE_URL /
GOOGLE_VERTEX_BASE_URL variables (a board cannot choose a host). Wire shapes follow the SDK's own
converters: ``candidates[].content.parts[].inlineData`` for images, ``predictLongRunning`` +
``fetchPredictOperation`` with ``response.videos[].bytesBase64Encoded`` for Veo in Vertex mode.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from werkzeug import Request, Response

from storyrender.providers.base import ImageRequest, JobJournal, KeyframeRequest, RunContext, VideoRequest
from storyrender.testing import png_bytes

TEST_KEY = "AIzaTest0123456789abcdefghijklmnop"
OPERATION = "projects/test-project/locations/us-central1/publishers/google/models/{model}/operations/op{n}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_answer(width: int = 1344, height: int = 768, color=(10, 120, 200), text: str | None = None) -> dict:
    parts: list[dict] = []
    if text:
        parts.append({"text": text})
    parts.append({"inlineData": {"mimeType": "image/png", "data": b64(png_bytes(width, height, color))}})
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},
        "modelVersion": "gemini-3.1-flash-image",
    }


def blocked_answer(reason: str = "IMAGE_SAFETY", message: str | None = None) -> dict:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": []}, "finishReason": reason, "index": 0}
    if message:
        candidate["finishMessage"] = message
    return {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12}}


def google_error(code: int, status: str, message: str, details: list | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def operation(name: str, *, done: bool, video: bytes | None = None, error: dict | None = None,
              filtered: list[str] | None = None) -> dict:
    body: dict[str, Any] = {"name": name}
    if done:
        body["done"] = True
    if error is not None:
        body["error"] = error
    elif done:
        response: dict[str, Any] = {"@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"}
        if video is not None:
            response["videos"] = [{"bytesBase64Encoded": b64(video), "mimeType": "video/mp4"}]
        if filtered is not None:
            response["raiMediaFilteredCount"] = len(filtered)
            response["raiMediaFilteredReasons"] = filtered
        body["response"] = response
    return body


@dataclass
class Seen:
    kind: str
    path: str
    headers: dict[str, str]
    json: Any


class FakeGoogle:
    """Queued answers per kind (generate, predict, fetch), in order; every request recorded."""

    KINDS = {
        "generate": re.compile(r"^/.*:generateContent$"),
        "predict": re.compile(r"^/.*:predictLongRunning$"),
        "fetch": re.compile(r"^/.*:fetchPredictOperation$"),
    }

    def __init__(self, server) -> None:
        self.server = server
        self.seen: list[Seen] = []
        self.queue: dict[str, list[Callable[[], Response]]] = {}
        for kind, pattern in self.KINDS.items():
            server.expect_request(pattern, method="POST").respond_with_handler(self._handler(kind))

    @property
    def base_url(self) -> str:
        return self.server.url_for("/")

    def push(self, kind: str, body: Any = None, status: int = 200, headers: dict | None = None,
             raw: bytes | None = None, delay: float = 0.0) -> None:
        def respond() -> Response:
            if delay:
                time.sleep(delay)
            if raw is not None:
                return Response(raw, status=status, headers=headers, content_type="text/html")
            return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

        self.queue.setdefault(kind, []).append(respond)

    def of(self, kind: str) -> list[Seen]:
        return [s for s in self.seen if s.kind == kind]

    def _handler(self, kind: str):
        def handle(request: Request) -> Response:
            self.seen.append(Seen(kind, request.path, {k.lower(): v for k, v in request.headers.items()},
                                  request.get_json(silent=True)))
            pending = self.queue.get(kind) or []
            if not pending:
                return Response(json.dumps(google_error(500, "INTERNAL", f"fake: nothing queued for {kind}")),
                                status=500, content_type="application/json")
            return pending.pop(0)()

        return handle


class Sent:
    """A request and the call-only options that travel beside it (``RunContext.call``)."""

    def __init__(self, request: Any, call: dict) -> None:
        self.request, self.call = request, call


def _split(options: dict) -> tuple[dict, dict]:
    """(identity options, call-only options), as core splits a board's options by the schema."""
    from storyrender_google import GoogleProvider

    provider = GoogleProvider()
    identity = {k: v for k, v in options.items() if provider.is_identity_option(k)}
    call = {k: v for k, v in options.items() if not provider.is_identity_option(k)}
    return identity, call


def run(method: Callable, sent: Sent, ctx: RunContext) -> Any:
    """Call a provider method with *sent*'s request and a copy of *ctx* carrying its call options."""
    call_ctx = RunContext(ctx.output_path, log=ctx._log, cancelled=ctx._cancelled, work_dir=ctx.work_dir,
                          call={**ctx.call, **sent.call}, journal=ctx.journal, charge=ctx._charge)
    return method(sent.request, call_ctx)


def memory_journal(store: dict | None = None) -> JobJournal:
    """A job journal kept in a dict (``store["job"]``), as the store keeps one per node key."""
    store = {} if store is None else store
    return JobJournal(lambda: store.get("job"), lambda job: store.__setitem__("job", job),
                      lambda: store.pop("job", None))


def image_request(model: str = "gemini-3.1-flash-image", *, width: int = 320,
                  height: int = 180, references: tuple[Path, ...] = (), camera: str = "",
                  negative_prompt: str = "", seed: int = 42, take: int = 1, **options) -> Sent:
    identity, call = _split(options)
    return Sent(ImageRequest(model=model, prompt="A cat steps into a magical forest at dusk", seed=seed,
                             width=width, height=height, options=identity, references=references,
                             camera=camera, negative_prompt=negative_prompt, take=take), call)


def keyframe_request(previous: Path, model: str = "gemini-3.1-flash-image", *,
                     references: tuple[Path, ...] = (), width: int = 320, height: int = 180,
                     camera: str = "push-in", negative_prompt: str = "", **options) -> Sent:
    identity, call = _split(options)
    return Sent(KeyframeRequest(model=model, prompt="The cat approaches a glowing ancient tree", seed=7,
                                width=width, height=height, options=identity, references=references,
                                previous=previous, seconds=6, camera=camera, negative_prompt=negative_prompt),
                call)


def video_request(first: Path, last: Path | None, model: str = "veo-3.1-generate-001", *,
                  seconds: float = 6, width: int = 320, height: int = 180,
                  camera: str = "", negative_prompt: str = "", seed: int = 3, **options) -> Sent:
    options.setdefault("poll_interval", 0.01)
    identity, call = _split(options)
    return Sent(VideoRequest(model=model, prompt="The cat climbs the tree", seed=seed, width=width, height=height,
                             options=identity, first=first, last=last, seconds=seconds, fps=24, camera=camera,
                             negative_prompt=negative_prompt), call)


def inline(part: dict) -> tuple[str, bytes]:
    """(mime type, bytes) of an inline-data part as the SDK sends it (either key spelling, and
    standard or URL-safe base64: the SDK uses the latter)."""
    blob = part.get("inlineData") or part.get("inline_data")
    mime = blob.get("mimeType") or blob.get("mime_type")
    return mime, base64.urlsafe_b64decode(blob["data"].replace("+", "-").replace("/", "_"))


def frame(image: dict) -> tuple[str, bytes]:
    """(mime type, bytes) of a Veo ``{bytesBase64Encoded, mimeType}`` image."""
    data = image["bytesBase64Encoded"].replace("+", "-").replace("/", "_")
    return image.get("mimeType") or image.get("mime_type"), base64.urlsafe_b64decode(data)


class GoogleAPI:
    """A stateful fake of both APIs for whole builds (nodes run at once, so it is thread-safe).

    Images: every ``generateContent`` draws a PNG (a new colour per call). Veo: every
    ``predictLongRunning`` starts operation ``opN``; it is done on its ``finish_after``-th poll,
    unless :attr:`hold` is set (then it stays pending until :meth:`release`). Knobs for faults:

    - ``fail_done``: the next N answers that would deliver a finished clip fail instead, with HTTP
      500 (``fail_mode="500"``) or by dropping the connection (``fail_mode="drop"``);
    - ``predict_delay``: seconds to sleep before answering a submission (after recording it);
    - ``forget()``: the vendor no longer knows any operation (404 on poll).

    ``images``, ``predicts`` and ``polls`` hold what was received (request JSON bodies, in order).
    """

    def __init__(self, server, clip: bytes, *, finish_after: int = 2, image_size=(1344, 768)) -> None:
        self.lock = threading.Lock()
        self.clip = clip
        self.finish_after = finish_after
        self.image_size = image_size
        self.images: list[Seen] = []
        self.predicts: list[Seen] = []
        self.polls: list[Seen] = []
        self.ops: dict[str, int] = {}
        self.hold = threading.Event()
        self.fail_done = 0
        self.fail_mode = "500"
        self.predict_delay = 0.0
        self.forgotten = False
        for verb, handler in (("generateContent", self.generate), ("predictLongRunning", self.predict),
                              ("fetchPredictOperation", self.fetch)):
            server.expect_request(re.compile(rf"^/.*:{verb}$"), method="POST").respond_with_handler(handler)

    @staticmethod
    def _seen(kind: str, request: Request) -> Seen:
        return Seen(kind, request.path, {k.lower(): v for k, v in request.headers.items()},
                    request.get_json(silent=True))

    def release(self) -> None:
        self.hold.clear()

    def forget(self) -> None:
        self.forgotten = True

    def generate(self, request: Request) -> Response:
        with self.lock:
            self.images.append(self._seen("generate", request))
            n = len(self.images)
        colour = (40 * n % 256, 90, 255 - 40 * n % 256)
        return Response(json.dumps(image_answer(*self.image_size, colour)), content_type="application/json")

    def predict(self, request: Request) -> Response:
        with self.lock:
            self.predicts.append(self._seen("predict", request))
            model = request.path.rsplit("/models/", 1)[1].split(":")[0]
            name = OPERATION.format(model=model, n=len(self.predicts))
            self.ops[name] = 0
        if self.predict_delay:
            time.sleep(self.predict_delay)
        return Response(json.dumps({"name": name}), content_type="application/json")

    def fetch(self, request: Request) -> Response:
        name = (request.get_json(silent=True) or {}).get("operationName", "")
        with self.lock:
            self.polls.append(self._seen("fetch", request))
            if self.forgotten or name not in self.ops:
                return Response(json.dumps(google_error(404, "NOT_FOUND", f"Operation {name} not found.")),
                                status=404, content_type="application/json")
            if self.hold.is_set():
                return Response(json.dumps(operation(name, done=False)), content_type="application/json")
            self.ops[name] += 1
            done = self.ops[name] >= self.finish_after
            fail = done and self.fail_done > 0
            if fail:
                self.fail_done -= 1
        if fail and self.fail_mode == "drop":
            sock = request.environ.get("werkzeug.socket")
            sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", status=500)
        if fail:
            return Response(json.dumps(google_error(500, "INTERNAL", "Internal error encountered.")), status=500,
                            content_type="application/json")
        body = operation(name, done=done, video=self.clip if done else None)
        return Response(json.dumps(body), content_type="application/json")
