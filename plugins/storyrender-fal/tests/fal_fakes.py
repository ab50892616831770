"""The fake fal vendor API shared by this plugin's tests (media helpers: ``storyrender.testing``)."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import threading
import time

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

#: what fal's ingress (nginx) answers when the request never reached the queue (no x-fal-request-id)
INGRESS_503 = (503, "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
               "<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
               "</body></html>", {})


class FakeFal:
    """The fal queue as far as the provider uses it (documented shapes: submit answers
    ``request_id``/``response_url``/``status_url``/``cancel_url``; status answers 202 while
    IN_QUEUE/IN_PROGRESS and 200 when COMPLETED; the result is the app's JSON output).

    ``script``: the statuses shown by successive status polls of a request; after it, COMPLETED.
    ``submit_errors`` / ``status_errors`` / ``result_errors``: (status, body, headers) answered, in
    order, before the normal answer (a submission answered with an error queues nothing).
    ``app_outputs``: ``{"owner/app": (file name, bytes)}``, the output of that app's requests
    (others get ``media_name`` / ``media_body``, or ``result`` when set).
    ``hold``: while True, every request stays IN_PROGRESS (its script does not advance).
    ``submit_delay``: seconds the submit handler sleeps, after the request exists, before answering.
    ``media_failures``: how many output downloads answer HTTP 500 before the file is served.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = f"https://{HOST}"
        self.script = ["IN_QUEUE", "IN_PROGRESS", "IN_PROGRESS"]
        self.completed_extra: dict = {}
        self.result: dict | str | None = None  # None: {"video": {"url": media_url}}
        self.media_body = b""
        self.media_name = "clip.mp4"
        self.app_outputs: dict[str, tuple[str, bytes]] = {}
        self.submit_errors: list[tuple[int, object, dict]] = []
        self.status_errors: list[tuple[int, object, dict]] = []
        self.result_errors: list[tuple[int, object, dict]] = []
        self.submit_override: object | None = None
        self.hold = False
        self.submit_delay = 0.0
        self.media_failures = 0
        self.media_gets = 0
        self.submits: list[dict] = []
        self.status_polls = 0
        self.polled: list[str] = []
        self.cancels: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._state: dict[str, list[str]] = {}
        self._apps: dict[str, str] = {}
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+/status$"), method="GET") \
            .respond_with_handler(self._status)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+/cancel$"), method="PUT") \
            .respond_with_handler(self._cancel)
        server.expect_request(re.compile(r"^/.+/requests/[^/]+$"), method="GET").respond_with_handler(self._result)
        server.expect_request(re.compile(r"^/.+$"), method="POST").respond_with_handler(self._submit)

    # -- helpers for tests ------------------------------------------------------------------
    @property
    def media_url(self) -> str:
        return f"{self.base}/media/{self.media_name}"

    def args(self, app: str | None = None) -> list[dict]:
        """The JSON arguments of every submission (to *app*, when given), in order."""
        return [s["json"] for s in self.submits if app is None or s["path"] == f"/{app}"]

    # -- handlers ---------------------------------------------------------------------------
    @staticmethod
    def _json(status: int, body: object, headers: dict | None = None) -> Response:
        text = body if isinstance(body, str) else json.dumps(body)
        ctype = "text/html" if isinstance(body, str) and body.startswith("<html") else "application/json"
        return Response(text, status=status, headers=headers or {}, content_type=ctype)

    def _submit(self, request: Request) -> Response:
        with self._lock:
            self.submits.append({"path": request.path, "json": request.get_json(), "headers": dict(request.headers)})
            if self.submit_errors:
                return self._json(*self.submit_errors.pop(0))
            if self.submit_override is not None:
                return self._json(200, self.submit_override)
            rid = f"req-{next(self._ids)}"
            self._state[rid] = list(self.script)
            self._apps[rid] = request.path.strip("/")
        if self.submit_delay:
            time.sleep(self.submit_delay)  # the request is queued; the answer comes late
        owner_alias = "/".join(request.path.strip("/").split("/")[:2])
        base = f"{self.base}/{owner_alias}/requests/{rid}"
        return self._json(200, {"request_id": rid, "response_url": base, "status_url": f"{base}/status",
                                "cancel_url": f"{base}/cancel", "queue_position": 0},
                          {"x-fal-request-id": rid})

    def _status(self, request: Request) -> Response:
        self.status_polls += 1
        if self.status_errors:
            return self._json(*self.status_errors.pop(0))
        rid = request.path.split("/")[-2]
        self.polled.append(rid)
        if rid not in self._state:
            return self._json(404, {"detail": "Request not found"})
        if self.hold:
            return self._json(202, {"status": "IN_PROGRESS", "logs": None})
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
        rid = request.path.rsplit("/", 1)[1]
        if rid not in self._state:
            return self._json(404, {"detail": "Request not found"})
        app = self._apps.get(rid, "")
        if app in self.app_outputs:
            name = self.app_outputs[app][0]
            url = f"{self.base}/media/{name}"
            if name.endswith(".mp4"):
                return self._json(200, {"video": {"url": url, "content_type": "video/mp4"}, "seed": 1234})
            return self._json(200, {"images": [{"url": url, "content_type": "image/png"}], "seed": 1234})
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
        self.media_gets += 1
        if self.media_failures > 0:
            self.media_failures -= 1
            return Response("storage hiccup", status=500)
        name = request.path.rsplit("/", 1)[1]
        for out_name, body in self.app_outputs.values():
            if out_name == name:
                return Response(body, status=200, content_type="video/mp4" if name.endswith(".mp4") else "image/png")
        return Response(self.media_body, status=200,
                        content_type="video/mp4" if self.media_name.endswith(".mp4") else "image/png")
