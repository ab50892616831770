"""A fake of Runway's task API on 127.0.0.1, answering the shapes the ``runwayml`` SDK parses
(``types/image_to_video_create_response.py``, ``types/task_retrieve_response.py``)."""

from __future__ import annotations

import itertools
import json
import re
import time

from werkzeug import Request, Response

KEY = "runway-test-key-0123456789abcdef"
CREATED_AT = "2026-12-04T10:00:00Z"


class FakeRunway:
    """A fake ``https://api.dev.runwayml.com``.

    ``script``: statuses successive polls of a new task show before ``SUCCEEDED``; ``hold`` keeps
    every task ``RUNNING``; ``failure``: (reason, code) makes tasks end ``FAILED``; ``create_errors``:
    answers (status, body, headers) given to the next creates instead of a task;
    ``files``: media by name; ``gone``: model ids answered 404 (a shut-down model).
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.script = ["PENDING", "RUNNING"]
        self.hold = False
        self.failure: tuple[str, str] | None = None
        self.create_errors: list[tuple[int, object, dict]] = []
        self.gone: set[str] = set()
        self.files: dict[str, bytes] = {}
        self.creates: list[dict] = []
        self.polled: list[str] = []
        self.deleted: list[str] = []
        self.credits = 40
        self._ids = itertools.count(1)
        self._tasks: dict[str, dict] = {}
        for path in ("/v1/image_to_video", "/v1/text_to_image"):
            server.expect_request(path, method="POST").respond_with_handler(self._create)
        server.expect_request(re.compile(r"^/v1/tasks/[^/]+$"), method="GET").respond_with_handler(self._poll)
        server.expect_request(re.compile(r"^/v1/tasks/[^/]+$"), method="DELETE").respond_with_handler(self._delete)
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)

    def _create(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        self.creates.append({"path": request.path, "json": body, "headers": dict(request.headers)})
        if self.create_errors:
            status, payload, headers = self.create_errors.pop(0)
            return _json(payload, status, headers)
        if body.get("model") in self.gone:
            return _json({"error": f"Model {body['model']} is no longer available"}, 404)
        task_id = f"task-{next(self._ids)}"
        name = "clip.mp4" if request.path.endswith("image_to_video") else "image.png"
        self._tasks[task_id] = {"script": list(self.script), "file": name}
        return _json({"id": task_id, "estimatedCost": {"credits": self.credits}})

    def _poll(self, request: Request) -> Response:
        task_id = request.path.rsplit("/", 1)[1]
        self.polled.append(task_id)
        task = self._tasks.get(task_id)
        if task is None:
            return _json({"error": "Task not found"}, 404)
        base = {"id": task_id, "createdAt": CREATED_AT}
        if self.hold:
            return _json({**base, "status": "RUNNING", "progress": 0.5, "estimatedCost": {"credits": self.credits}})
        if task["script"]:
            status = task["script"].pop(0)
            extra = {"progress": 0.25} if status == "RUNNING" else {}
            return _json({**base, "status": status, "estimatedCost": {"credits": self.credits}, **extra})
        if self.failure is not None:
            reason, code = self.failure
            return _json({**base, "status": "FAILED", "failure": reason, "failureCode": code, "cost": {"credits": 0}})
        return _json({**base, "status": "SUCCEEDED", "cost": {"credits": self.credits},
                      "output": [f"{self.base}/media/{task['file']}"]})

    def _delete(self, request: Request) -> Response:
        self.deleted.append(request.path.rsplit("/", 1)[1])
        return Response(status=204)

    def _media(self, request: Request) -> Response:
        name = request.path.split("/media/", 1)[1]
        if name not in self.files:
            return Response("missing", status=404)
        return Response(self.files[name], status=200, content_type="application/octet-stream")


def _json(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    time.sleep(0)  # keep werkzeug's thread switching fair under load
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")
