"""The fake replicate vendor API shared by this plugin's tests (media helpers: ``storyrender.testing``)."""

from __future__ import annotations

import itertools
import json
import re
import time

from werkzeug import Request, Response

TOKEN = "r8_testtoken_0123456789abcdef"


class FakeReplicate:
    """Replicate's API as far as the provider uses it.

    ``script``: the statuses the prediction goes through, one per request that shows it (the
    create response shows the first); after the script, ``final`` is shown.
    ``create_errors`` / ``poll_errors``: (status, body, headers) answered, in order, before the
    normal answer to creates / polls.
    ``model_outputs``: ``{"owner/name": (file name, bytes)}``, the output of that model's
    predictions (others get ``output_name`` / ``output_body``).
    ``hold``: while True, every prediction stays ``processing`` (its script does not advance).
    ``create_delay``: seconds the create handler sleeps, after the prediction exists, before answering.
    ``output_failures``: how many output downloads answer HTTP 500 before the file is served.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.script: list[str] = ["starting", "processing", "processing"]
        self.final: dict = {"status": "succeeded"}
        self.output_body: bytes = b""
        self.output_name = "out.png"
        self.output_shape = "list"  # list | str
        self.create_errors: list[tuple[int, object, dict]] = []
        self.poll_errors: list[tuple[int, object, dict]] = []
        self.create_override: object | None = None  # a raw body answered to the create
        self.model_outputs: dict[str, tuple[str, bytes]] = {}
        self.hold = False
        self.create_delay = 0.0
        self.output_failures = 0
        self.output_gets = 0
        self.creates: list[dict] = []
        self.polls = 0
        self.polled: list[str] = []
        self._models: dict[str, str] = {}
        self.cancels: list[str] = []
        self.uploads: dict[str, bytes] = {}
        self.upload_names: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._state: dict[str, list[str]] = {}
        self._inputs: dict[str, dict] = {}
        server.expect_request(re.compile(r"^/v1/models/[^/]+/[^/]+/predictions$"), method="POST") \
            .respond_with_handler(self._create)
        server.expect_request("/v1/predictions", method="POST").respond_with_handler(self._create)
        server.expect_request(re.compile(r"^/v1/predictions/[^/]+/cancel$"), method="POST") \
            .respond_with_handler(self._cancel)
        server.expect_request(re.compile(r"^/v1/predictions/[^/]+$"), method="GET") \
            .respond_with_handler(self._get)
        server.expect_request("/v1/files", method="POST").respond_with_handler(self._upload)
        server.expect_request(re.compile(r"^/outputs/.+$"), method="GET").respond_with_handler(self._output)

    # -- helpers for tests ------------------------------------------------------------------
    @property
    def output_url(self) -> str:
        return f"{self.base}/outputs/{self.output_name}"

    def upload_for(self, url: str) -> bytes:
        return self.uploads[url.rsplit("/", 1)[1]]

    def requests_to(self, path_regex: str) -> list:
        return [r for r, _ in self.server.log if re.search(path_regex, r.path)]

    def inputs(self, model: str | None = None) -> list[dict]:
        """The ``input`` of every create request (for *model*, when given), in order."""
        return [c["json"]["input"] for c in self.creates if model is None or c["path"].endswith(f"/{model}/predictions")]

    # -- handlers ---------------------------------------------------------------------------
    @staticmethod
    def _json(status: int, body: object, headers: dict | None = None) -> Response:
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(text, status=status, headers=headers or {}, content_type="application/json")

    def _prediction(self, pid: str, status: str, model: str) -> dict:
        body = {
            "id": pid, "model": model, "version": "hidden", "status": status,
            "input": self._inputs.get(pid, {}), "output": None, "logs": "", "error": None,
            "metrics": {}, "created_at": "2026-11-24T00:00:00Z", "started_at": None, "completed_at": None,
            "urls": {"get": f"{self.base}/v1/predictions/{pid}", "cancel": f"{self.base}/v1/predictions/{pid}/cancel"},
        }
        if status == "succeeded":
            default = self.output_url
            if model in self.model_outputs:
                default = f"{self.base}/outputs/{self.model_outputs[model][0]}"
            output = self.final.get("output", default)
            if self.output_shape == "list" and isinstance(output, str):
                output = [output]
            body.update(output=output, metrics=self.final.get("metrics", {"predict_time": 1.5}))
        elif status == "failed":
            body.update(error=self.final.get("error", "something broke"))
        return body

    def _create(self, request: Request) -> Response:
        self.creates.append({"path": request.path, "json": request.get_json(), "headers": dict(request.headers)})
        if self.create_errors:
            return self._json(*self.create_errors.pop(0))
        if self.create_override is not None:
            return self._json(201, self.create_override)
        pid = f"pred{next(self._ids)}"
        steps = list(self.script) + [self.final["status"]]
        self._state[pid] = steps
        self._inputs[pid] = request.get_json().get("input", {})
        model = request.path.split("/v1/models/")[-1].rsplit("/predictions", 1)[0] \
            if "/v1/models/" in request.path else "m/m"
        self._models[pid] = model
        if self.create_delay:
            time.sleep(self.create_delay)  # the prediction exists; the answer comes late
        return self._json(201, self._prediction(pid, steps[0], model))

    def _get(self, request: Request) -> Response:
        self.polls += 1
        if self.poll_errors:
            return self._json(*self.poll_errors.pop(0))
        pid = request.path.rsplit("/", 1)[1]
        self.polled.append(pid)
        if pid not in self._state:
            return self._json(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        steps = self._state[pid]
        if self.hold:
            return self._json(200, self._prediction(pid, "processing", self._models.get(pid, "m/m")))
        if len(steps) > 1:
            steps.pop(0)
        return self._json(200, self._prediction(pid, steps[0], self._models.get(pid, "m/m")))

    def _cancel(self, request: Request) -> Response:
        pid = request.path.split("/")[-2]
        self.cancels.append(pid)
        self._state[pid] = ["canceled"]
        return self._json(200, self._prediction(pid, "canceled", "m/m"))

    def _upload(self, request: Request) -> Response:
        f = request.files["content"]
        fid = f"file{next(self._file_ids)}"
        data = f.read()
        self.uploads[fid] = data
        self.upload_names[fid] = f.filename
        return self._json(201, {
            "id": fid, "name": f.filename, "content_type": f.mimetype, "size": len(data), "etag": "x",
            "checksums": {}, "metadata": {}, "created_at": "2026-11-24T00:00:00Z", "expires_at": None,
            "urls": {"get": f"{self.base}/v1/files/{fid}"},
        })

    def _output(self, request: Request) -> Response:
        self.output_gets += 1
        if self.output_failures > 0:
            self.output_failures -= 1
            return Response("<html>upstream broke</html>", status=500, content_type="text/html")
        name = request.path.rsplit("/", 1)[1]
        body = self.output_body
        for file_name, data in self.model_outputs.values():
            if file_name == name:
                body = data
        ctype = "video/mp4" if name.endswith(".mp4") else "image/png"
        return Response(body, status=200, content_type=ctype)

