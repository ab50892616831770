"""The fake getimg vendor API shared by this plugin's tests (media helpers: ``storyrender.testing``).

Answers with the v2 shapes the ``getimg`` SDK parses (``getimg/types``): images are answered at
once (``completed``), videos ``pending`` with an id and then polled. It counts submissions.
"""

from __future__ import annotations

import itertools
import json
import re
import time

from werkzeug import Request, Response

KEY = "getimg-test-key-0123456789abcdef"


class FakeGetimg:
    """A fake ``https://api.getimg.ai``.

    ``script``: statuses shown by successive polls of a new video (after it: ``final``).
    ``hold``: while True, every video stays ``pending`` (its script does not advance).
    ``create_delay``: seconds a create handler sleeps, after the generation exists, before answering.
    ``media_failures``: how many media downloads answer HTTP 500 before the file is served.
    ``files``: media served by name (``image_name`` for images, ``video_name`` for videos);
    ``media_body``/``media_name`` set the one file the older tests use.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.script = ["pending", "processing", "processing"]
        self.final: dict = {"status": "completed"}
        self.files: dict[str, bytes] = {}
        self.image_name = "image.png"
        self.video_name = "clip.mp4"
        self.cost = 0.3
        self.hold = False
        self.create_delay = 0.0
        self.busy_until = 0.0
        self.media_failures = 0
        self.media_gets = 0
        self.create_errors: list[tuple[int, object, dict]] = []
        self.poll_errors: list[tuple[int, object, dict]] = []
        self.create_override: object | None = None
        self.creates: list[dict] = []
        self.polls = 0
        self.polled: list[str] = []
        self._ids = itertools.count(1)
        self._state: dict[str, list[str]] = {}
        server.expect_request("/v2/images/generations", method="POST").respond_with_handler(self._image)
        server.expect_request("/v2/videos/generations", method="POST").respond_with_handler(self._video)
        server.expect_request(re.compile(r"^/v2/videos/generations/[^/]+$"), method="GET") \
            .respond_with_handler(self._poll)
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)

    # -- the single-file setters of the older tests ----------------------------------------------
    @property
    def media_body(self) -> bytes:
        return self.files.get(self.video_name, b"")

    @media_body.setter
    def media_body(self, data: bytes) -> None:
        self.files[self.image_name] = self.files[self.video_name] = data

    @property
    def media_name(self) -> str:
        return self.video_name

    @media_name.setter
    def media_name(self, name: str) -> None:
        self.image_name = self.video_name = name

    @property
    def media_url(self) -> str:
        return self.url_for(self.video_name)

    def url_for(self, name: str) -> str:
        return f"{self.base}/media/{name}?sig=abc"

    def bodies(self, path: str) -> list[dict]:
        """The JSON bodies received at *path*, in order."""
        return [c["json"] for c in self.creates if c["path"] == path]

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

    def _late(self) -> None:
        if self.create_delay:
            self.busy_until = time.monotonic() + self.create_delay
            time.sleep(self.create_delay)  # the generation exists; the answer comes late

    def settle(self) -> None:
        """Wait for a late answer to be sent (the server is single-threaded and shared by tests)."""
        while time.monotonic() < self.busy_until + 0.05:
            time.sleep(0.02)

    def _image(self, request: Request) -> Response:
        if (early := self._record(request)) is not None:
            return early
        model = request.get_json()["model"]
        answer = self._json(200, {
            "id": f"img-{next(self._ids)}", "model": model, "status": "completed",
            "data": [{"url": self.url_for(self.image_name), "mime_type": "image/png", "width": 96, "height": 54,
                      "deletes_at": "2026-11-25T00:00:00Z"}],
            "usage": self._usage("image"),
        })
        self._late()
        return answer

    def _video(self, request: Request) -> Response:
        if (early := self._record(request)) is not None:
            return early
        vid = f"vid-{next(self._ids)}"
        self._state[vid] = list(self.script)
        self._late()
        return self._json(200, {"id": vid, "status": "pending"})

    def _poll(self, request: Request) -> Response:
        self.polls += 1
        vid = request.path.rsplit("/", 1)[1]
        self.polled.append(vid)
        if self.poll_errors:
            return self._json(*self.poll_errors.pop(0))
        if vid not in self._state:
            return self._json(404, {"error": {"type": "not_found_error", "code": "not_found",
                                              "message": f"Video generation {vid} not found"}})
        if self.hold:
            return self._json(200, {"id": vid, "status": "pending"})
        steps = self._state[vid]
        status = steps.pop(0) if steps else self.final["status"]
        if status == "completed":
            return self._json(200, {
                "id": vid, "model": "m", "status": "completed",
                "data": [{"url": self.final.get("url", self.url_for(self.video_name)), "mime_type": "video/mp4",
                          "duration": 5, "fps": 24, "width": 64, "height": 36, "has_sound": False,
                          "deletes_at": "2026-11-25T00:00:00Z"}],
                "usage": self._usage("second"),
            })
        if status == "failed":
            return self._json(200, {"id": vid, "status": "failed", "error": self.final["error"]})
        return self._json(200, {"id": vid, "status": status})

    def _media(self, request: Request) -> Response:
        self.media_gets += 1
        if self.media_failures > 0:
            self.media_failures -= 1
            return Response("upstream hiccup", status=500)
        name = request.path.rsplit("/", 1)[1]
        if name not in self.files:
            return Response("gone", status=404)
        return Response(self.files[name], status=200,
                        content_type="video/mp4" if name.endswith(".mp4") else "image/png")
