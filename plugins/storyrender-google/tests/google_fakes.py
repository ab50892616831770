"""A fake of the Gemini API and of Vertex AI's Veo endpoints on 127.0.0.1 (pytest-httpserver).

The real ``google-genai`` SDK is pointed at it with the provider's ``base_url`` option (or the
SDK's GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL variables). Wire shapes follow the SDK's own
converters: ``candidates[].content.parts[].inlineData`` for images, ``predictLongRunning`` +
``fetchPredictOperation`` with ``response.videos[].bytesBase64Encoded`` for Veo in Vertex mode.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from werkzeug import Request, Response

from storyrender.providers.base import ImageRequest, KeyframeRequest, VideoRequest
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
        "modelVersion": "gemini-2.5-flash-image",
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


def image_request(model: str = "gemini-2.5-flash-image", *, base_url: str | None, width: int = 320,
                  height: int = 180, references: tuple[Path, ...] = (), **options) -> ImageRequest:
    if base_url:
        options["base_url"] = base_url
    return ImageRequest(model=model, prompt="A cat steps into a magical forest at dusk", seed=42,
                        width=width, height=height, options=options, references=references)


def keyframe_request(previous: Path, model: str = "gemini-2.5-flash-image", *, base_url: str | None,
                     references: tuple[Path, ...] = (), width: int = 320, height: int = 180,
                     **options) -> KeyframeRequest:
    if base_url:
        options["base_url"] = base_url
    return KeyframeRequest(model=model, prompt="The cat approaches a glowing ancient tree", seed=7,
                           width=width, height=height, options=options, references=references,
                           previous=previous, seconds=6, hints={"camera": "push-in"})


def video_request(first: Path, last: Path | None, model: str = "veo-3.1-generate-preview", *,
                  base_url: str | None, seconds: float = 6, width: int = 320, height: int = 180,
                  **options) -> VideoRequest:
    if base_url:
        options["base_url"] = base_url
    options.setdefault("poll_interval", 0.01)
    return VideoRequest(model=model, prompt="The cat climbs the tree", seed=3, width=width, height=height,
                        options=options, first=first, last=last, seconds=seconds, fps=24)


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
