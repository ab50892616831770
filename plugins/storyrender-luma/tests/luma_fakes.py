"""A fake of Luma's Dream Machine API on 127.0.0.1, answering the shapes the ``lumaai`` SDK parses
(``types/generation.py``)."""

from __future__ import annotations

import itertools
import json
import re

from werkzeug import Request, Response

KEY = "luma-test-key-0123456789abcdef"


class FakeLuma:
    """A fake ``https://api.lumalabs.ai/dream-machine/v1``.

    ``script``: states successive polls of a new generation show before ``completed``; ``hold`` keeps
    every generation ``dreaming``; ``failure``: its ``failure_reason``; ``create_errors``: answers
    (status, body, headers) given to the next creates; ``files``: media by name; ``gone``: models
    answered 404.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.script = ["queued", "dreaming"]
        self.hold = False
        self.failure: str | None = None
        self.create_errors: list[tuple[int, object, dict]] = []
        self.gone: set[str] = set()
        self.files: dict[str, bytes] = {}
        self.creates: list[dict] = []
        self.polled: list[str] = []
        self.deleted: list[str] = []
        self._ids = itertools.count(1)
        self._gens: dict[str, dict] = {}
        for path in ("/generations/video", "/generations/image"):
            server.expect_request(path, method="POST").respond_with_handler(self._create)
        server.expect_request(re.compile(r"^/generations/[^/]+$"), method="GET").respond_with_handler(self._poll)
        server.expect_request(re.compile(r"^/generations/[^/]+$"), method="DELETE").respond_with_handler(self._delete)
        server.expect_request(re.compile(r"^/media/.+$"), method="GET").respond_with_handler(self._media)

    def _create(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        self.creates.append({"path": request.path, "json": body, "headers": dict(request.headers)})
        if self.create_errors:
            status, payload, headers = self.create_errors.pop(0)
            return _json(payload, status, headers)
        if body.get("model") in self.gone:
            return _json({"detail": f"Model {body['model']} is no longer available"}, 404)
        gen_id = f"gen-{next(self._ids)}"
        kind = request.path.rsplit("/", 1)[1]
        self._gens[gen_id] = {"script": list(self.script), "kind": kind}
        return _json({"id": gen_id, "state": "queued", "generation_type": kind, "model": body.get("model")}, 201)

    def _poll(self, request: Request) -> Response:
        gen_id = request.path.rsplit("/", 1)[1]
        self.polled.append(gen_id)
        gen = self._gens.get(gen_id)
        if gen is None:
            return _json({"detail": "Generation not found"}, 404)
        base = {"id": gen_id, "generation_type": gen["kind"]}
        if self.hold:
            return _json({**base, "state": "dreaming"})
        if gen["script"]:
            return _json({**base, "state": gen["script"].pop(0)})
        if self.failure is not None:
            return _json({**base, "state": "failed", "failure_reason": self.failure})
        name = "clip.mp4" if gen["kind"] == "video" else "image.png"
        return _json({**base, "state": "completed", "assets": {gen["kind"]: f"{self.base}/media/{name}"}})

    def _delete(self, request: Request) -> Response:
        self.deleted.append(request.path.rsplit("/", 1)[1])
        return Response(status=204)

    def _media(self, request: Request) -> Response:
        name = request.path.split("/media/", 1)[1]
        if name not in self.files:
            return Response("missing", status=404)
        return Response(self.files[name], status=200, content_type="application/octet-stream")


def _json(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")
