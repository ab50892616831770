"""A fake of OpenAI's images API on 127.0.0.1 (pytest-httpserver), driven by the real SDK."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from werkzeug import Request, Response

from storyrender.providers.base import ImageRequest, KeyframeRequest, RunContext
from storyrender.testing import png_bytes

TEST_KEY = "sk-test-0123456789abcdef0123"


def image_response(width: int = 1536, height: int = 1024, color=(10, 120, 200)) -> dict:
    return {
        "created": 1760000000,
        "data": [{"b64_json": base64.b64encode(png_bytes(width, height, color)).decode()}],
        "size": f"{width}x{height}",
        "quality": "medium",
        "output_format": "png",
        "usage": {
            "input_tokens": 50,
            "input_tokens_details": {"image_tokens": 40, "text_tokens": 10},
            "output_tokens": 1056,
            "total_tokens": 1106,
        },
    }


def error_body(message: str, code: str | None, type_: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass
class Seen:
    """One request that reached the fake."""

    path: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)


class FakeOpenAI:
    """Answers queued responses in order, per path, and records every request.

    With nothing queued for a path it answers :attr:`default` (an image, as the real API does),
    or HTTP 418 when ``default`` is None. Every answer carries an ``x-request-id`` header, as
    OpenAI's do. A request is recorded when it arrives, before any ``delay``: a request whose
    answer the client gave up waiting for still counts as received.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.seen: list[Seen] = []
        self.queue: dict[str, list[Callable[[Request], Response]]] = {}
        self.default: dict | None = None
        for path in ("/v1/images/generations", "/v1/images/edits", "/v1/chat/completions"):
            server.expect_request(path, method="POST").respond_with_handler(self._handler(path))

    @property
    def base_url(self) -> str:
        return self.server.url_for("/v1")

    def posts(self, path: str | None = None) -> list[Seen]:
        """The requests received (for *path* only, when given)."""
        return [s for s in self.seen if path is None or s.path == path]

    def push(self, path: str, status: int = 200, body: Any = None, headers: dict | None = None,
             raw: bytes | None = None, delay: float = 0.0) -> None:
        def respond(request: Request) -> Response:
            if delay:
                import time

                time.sleep(delay)
            if raw is not None:
                return Response(raw, status=status, headers=headers, content_type="text/html")
            return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

        self.queue.setdefault(path, []).append(respond)

    def _handler(self, path: str):
        def handle(request: Request) -> Response:
            seen = Seen(path=path, headers={k.lower(): v for k, v in request.headers.items()})
            if request.mimetype == "application/json":
                seen.json = request.get_json()
            else:
                seen.form = {k: request.form.getlist(k) for k in request.form}
                seen.files = {k: [f.read() for f in request.files.getlist(k)] for k in request.files}
            self.seen.append(seen)
            pending = self.queue.get(path) or []
            if pending:
                response = pending.pop(0)(request)
            elif self.default is not None:
                response = Response(json.dumps(self.default), status=200, content_type="application/json")
            else:
                response = Response(json.dumps(error_body("fake: nothing queued", None)), status=418,
                                    content_type="application/json")
            response.headers.setdefault("x-request-id", f"req_fake_{len(self.seen)}")
            return response

        return handle


def make_ctx(output_path: Path, **call) -> RunContext:
    """A RunContext with call-only options (``timeout``), as the executor makes one."""
    return RunContext(output_path, call={k: v for k, v in call.items() if v is not None})


def image_request(model: str = "gpt-image-1.5", *, width: int = 320, height: int = 180, camera: str = "",
                  negative_prompt: str = "", take: int = 1, **options) -> ImageRequest:
    return ImageRequest(model=model, prompt="A cat steps into a magical forest at dusk", seed=None,
                        width=width, height=height, options=options, camera=camera,
                        negative_prompt=negative_prompt, take=take)


def keyframe_request(previous: Path, model: str = "gpt-image-1.5", *, references: tuple[Path, ...] = (),
                     width: int = 320, height: int = 180, camera: str = "push-in", negative_prompt: str = "",
                     **options) -> KeyframeRequest:
    return KeyframeRequest(model=model, prompt="The cat approaches a glowing ancient tree", seed=None,
                           width=width, height=height, options=options, references=references,
                           previous=previous, seconds=6, camera=camera, negative_prompt=negative_prompt)
