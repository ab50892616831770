"""The fake fal vendor API shared by this plugin's tests (media helpers: ``storyrender.testing``)."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket

from werkzeug import Request, Response


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
HOST = f"127.0.0.1:{PORT}"
# fal_client reads these once, when first imported: this module is imported by conftest,
# before any test imports the SDK. Must happen before fal_client is imported (it reads these at import time).
os.environ["FAL_QUEUE_RUN_HOST"] = HOST
os.environ["FAL_RUN_HOST"] = HOST


KEY = "fal-test-key-id:fal-test-secret-0123456789"


class FakeFal:
    """The fal queue as far as the provider uses it.

    ``script``: the statuses shown by successive status polls; after it, COMPLETED.
    ``submit_errors`` / ``status_errors`` / ``result_errors``: (status, body, headers) answered, in
    order, before the normal answer.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = f"https://{HOST}"
        self.script = ["IN_QUEUE", "IN_PROGRESS", "IN_PROGRESS"]
        self.completed_extra: dict = {}
        self.result: dict | str | None = None  # None: {"video": {"url": media_url}}
        self.media_body = b""
        self.media_name = "clip.mp4"
        self.submit_errors: list[tuple[int, object, dict]] = []
        self.status_errors: list[tuple[int, object, dict]] = []
        self.result_errors: list[tuple[int, object, dict]] = []
        self.submit_override: object | None = None
        self.submits: list[dict] = []
        self.status_polls = 0
        self.cancels: list[str] = []
        self._ids = itertools.count(1)
        self._state: dict[str, list[str]] = {}
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+/status$"), method="GET") \
            .respond_with_handler(self._status)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+/cancel$"), method="PUT") \
            .respond_with_handler(self._cancel)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+$"), method="GET").respond_with_handler(self._result)
        server.expect_request(re.compile(r"^/.+$"), method="POST").respond_with_handler(self._submit)

    @property
    def media_url(self) -> str:
        return f"{self.base}/media/{self.media_name}"

    @staticmethod
    def _json(status: int, body: object, headers: dict | None = None) -> Response:
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=status, headers=headers or {}, content_type="application/json")

    def _submit(self, request: Request) -> Response:
        self.submits.append({"path": request.path, "json": request.get_json(), "headers": dict(request.headers)})
        if self.submit_errors:
            return self._json(*self.submit_errors.pop(0))
        if self.submit_override is not None:
            return self._json(200, self.submit_override)
        rid = f"req-{next(self._ids)}"
        self._state[rid] = list(self.script)
        owner_alias = "/".join(request.path.strip("/").split("/")[:2])
        base = f"{self.base}/{owner_alias}/requests/{rid}"
        return self._json(200, {"request_id": rid, "response_url": base, "status_url": f"{base}/status",
                                "cancel_url": f"{base}/cancel", "queue_position": 0})

    def _status(self, request: Request) -> Response:
        self.status_polls += 1
        if self.status_errors:
            return self._json(*self.status_errors.pop(0))
        rid = request.path.split("/")[-2]
        steps = self._state[rid]
        state = steps.pop(0) if steps else "COMPLETED"
        if state == "IN_QUEUE":
            return self._json(202, {"status": "IN_QUEUE", "queue_position": 1})
        if state == "IN_PROGRESS":
            return self._json(202, {"status": "IN_PROGRESS", "logs": None})
        return self._json(200, {"status": "COMPLETED", "logs": None,
                                "metrics": {"inference_time": 3.2}, **self.completed_extra})

    def _result(self, request: Request) -> Response:
        if self.result_errors:
            return self._json(*self.result_errors.pop(0))
        body = self.result if self.result is not None else {
            "video": {"url": self.media_url, "content_type": "video/mp4", "file_name": self.media_name},
            "seed": 1234,
        }
        return self._json(200, body)

    def _cancel(self, request: Request) -> Response:
        rid = request.path.split("/")[-2]
        self.cancels.append(rid)
        return self._json(202, {"status": "CANCELLATION_REQUESTED"})

    def _media(self, request: Request) -> Response:
        return Response(self.media_body, status=200,
                        content_type="video/mp4" if self.media_name.endswith(".mp4") else "image/png")

