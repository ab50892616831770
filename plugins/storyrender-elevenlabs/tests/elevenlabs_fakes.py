"""A fake of ElevenLabs' HTTP API on 127.0.0.1 (pytest-httpserver), driven by the real SDK.

Shapes from the installed SDK (elevenlabs 2.78.0): ``POST /v1/text-to-speech/{voice_id}``,
``POST /v1/music``, ``POST /v1/sound-generation`` (``?output_format=``, JSON body, the audio bytes
as the answer), ``GET /v2/voices?search=`` (``{"voices": [{"voice_id", "name"}], "has_more",
"total_count"}``), errors as ``{"detail": {"status", "message"}}``; the key in ``xi-api-key``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from storyrender.media.ffmpeg import run_ffmpeg

TEST_KEY = "el-test-0123456789abcdef0123"
TTS = re.compile(r"^/v1/text-to-speech/([^/]+)$")


@lru_cache(maxsize=None)
def mp3_bytes(seconds: float, freq: float = 440.0) -> bytes:
    """An MP3 of a sine of *seconds* (what the API answers for ``mp3_44100_128``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.mp3"
        run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=44100:duration={seconds}",
                    "-c:a", "libmp3lame", "-b:a", "128k", str(out)])
        return out.read_bytes()


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class FakeElevenLabs:
    """Answers queued :class:`Answer` s per endpoint (``tts``, ``music``, ``sound``, ``voices``) in
    order, else a default (0.6 s of audio; a voice list holding :attr:`voices`); records every request."""

    def __init__(self, server) -> None:
        self.seen: list[Seen] = []
        self.queue: dict[str, list[Answer]] = {}
        self.voices = [{"voice_id": "AbCdEfGhIjKlMnOpQrSt", "name": "Rachel"},
                       {"voice_id": "ZyXwVuTsRqPoNmLkJiHg", "name": "Rachel Calm"}]
        self.url = server.url_for("/").rstrip("/")
        server.expect_request(TTS, method="POST").respond_with_handler(self._handler("tts"))
        server.expect_request("/v1/music", method="POST").respond_with_handler(self._handler("music"))
        server.expect_request("/v1/sound-generation", method="POST").respond_with_handler(self._handler("sound"))
        server.expect_request("/v2/voices", method="GET").respond_with_handler(self._handler("voices"))

    def requests(self, endpoint: str) -> list[Seen]:
        paths = {"tts": "/v1/text-to-speech/", "music": "/v1/music", "sound": "/v1/sound-generation",
                 "voices": "/v2/voices"}
        return [s for s in self.seen if s.path.startswith(paths[endpoint])]

    def push(self, endpoint: str, answer: Answer) -> None:
        self.queue.setdefault(endpoint, []).append(answer)

    def _default(self, endpoint: str, request: Request) -> Answer:
        if endpoint == "voices":
            term = (request.args.get("search") or "").lower()
            found = [v for v in self.voices if term in v["name"].lower()]
            return Answer(body={"voices": found, "has_more": False, "total_count": len(found)})
        seconds = {"tts": 0.6, "music": 3.0, "sound": 0.8}[endpoint]
        if endpoint == "music" and request.is_json:
            seconds = request.get_json()["music_length_ms"] / 1000
        return Answer(body=mp3_bytes(seconds, {"tts": 900.0, "music": 220.0, "sound": 1500.0}[endpoint]))

    def _handler(self, endpoint: str):
        def handle(request: Request) -> Response:
            self.seen.append(Seen(request.method, request.path, dict(request.args),
                                  {k.lower(): v for k, v in request.headers.items()},
                                  request.get_json() if request.is_json else None))
            pending = self.queue.get(endpoint) or []
            answer = pending.pop(0) if pending else self._default(endpoint, request)
            if answer.delay:
                time.sleep(answer.delay)
            headers = {"request-id": f"req_{len(self.seen)}", **answer.headers}
            if endpoint == "tts":
                headers.setdefault("history-item-id", f"hist_{len(self.seen)}")
            if endpoint == "music":
                headers.setdefault("song-id", f"song_{len(self.seen)}")
            if isinstance(answer.body, dict):
                return Response(json.dumps(answer.body), status=answer.status, headers=headers,
                                content_type="application/json")
            return Response(answer.body, status=answer.status, headers=headers, content_type="audio/mpeg")

        return handle
