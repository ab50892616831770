"""The fake getimg vendor API shared by this plugin's tests (media helpers: ``storyrender.testing``)."""

from __future__ import annotations

import itertools
import json
import re

from werkzeug import Request, Response

KEY = "getimg-test-key-0123456789abcdef"


class FakeGetimg:
    """``script``: statuses shown by successive video polls (after it: ``final``)."""

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.script = ["pending", "processing", "processing"]
        self.final: dict = {"status": "completed"}
        self.media_body = b""
        self.media_name = "clip.mp4"
        self.cost = 0.3
        self.create_errors: list[tuple[int, object, dict]] = []
        self.poll_errors: list[tuple[int, object, dict]] = []
        self.create_override: object | None = None
        self.creates: list[dict] = []
        self.polls = 0
        self._ids = itertools.count(1)
        self._state: dict[str, list[str]] = {}
        server.expect_request("/v2/images/generations", method="POST").respond_with_handler(self._image)
        server.expect_request("/v2/videos/generations", method="POST").respond_with_handler(self._video)
        server.expect_request(re.compile(r"^/v2/videos/generations/[^/]+$"), method="GET") \
            .respond_with_handler(self._poll)
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)

    @property
    def media_url(self) -> str:
        return f"{self.base}/media/{self.media_name}?sig=abc"

    @staticmethod
    def _json(status: int, body: object, headers: dict | None = None) -> Response:
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=status, headers=headers or {}, content_type="application/json")

    def _usage(self, unit: str) -> dict:
        return {"billable_unit": unit, "quantity": 1, "unit_price": self.cost, "total_cost": self.cost}

    def _record(self, request: Request) -> Response | None:
        self.creates.append({"path": request.path, "json": request.get_json(), "headers": dict(request.headers)})
        if self.create_errors:
            return self._json(*self.create_errors.pop(0))
        if self.create_override is not None:
            return self._json(200, self.create_override)
        return None

    def _image(self, request: Request) -> Response:
        if (early := self._record(request)) is not None:
            return early
        model = request.get_json()["model"]
        return self._json(200, {
            "id": f"img-{next(self._ids)}", "model": model, "status": "completed",
            "data": [{"url": self.media_url, "mime_type": "image/png", "width": 96, "height": 54,
                      "deletes_at": "2026-11-25T00:00:00Z"}],
            "usage": self._usage("image"),
        })

    def _video(self, request: Request) -> Response:
        if (early := self._record(request)) is not None:
            return early
        vid = f"vid-{next(self._ids)}"
        self._state[vid] = list(self.script)
        return self._json(200, {"id": vid, "status": "pending"})

    def _poll(self, request: Request) -> Response:
        self.polls += 1
        if self.poll_errors:
            return self._json(*self.poll_errors.pop(0))
        vid = request.path.rsplit("/", 1)[1]
        steps = self._state[vid]
        status = steps.pop(0) if steps else self.final["status"]
        if status == "completed":
            return self._json(200, {
                "id": vid, "model": "m", "status": "completed",
                "data": [{"url": self.final.get("url", self.media_url), "mime_type": "video/mp4", "duration": 5,
                          "fps": 24, "width": 64, "height": 36, "has_sound": False,
                          "deletes_at": "2026-11-25T00:00:00Z"}],
                "usage": self._usage("second"),
            })
        if status == "failed":
            return self._json(200, {"id": vid, "status": "failed", "error": self.final["error"]})
        return self._json(200, {"id": vid, "status": status})

    def _media(self, request: Request) -> Response:
        return Response(self.media_body, status=200,
                        content_type="video/mp4" if self.media_name.endswith(".mp4") else "image/png")

