"""`storyrender providers --check` asks about the voice and music models too: ElevenLabs' ``GET /v1/models``
and OpenAI's model list (for its speech models), against fakes on 127.0.0.1 driven by the real SDKs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from werkzeug import Request, Response

pytest.importorskip("storyrender_openai")
pytest.importorskip("storyrender_elevenlabs")

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 2
providers:
  voice: elevenlabs/eleven_v3
audio:
  music: {prompt: calm piano, provider: elevenlabs/music_v1}
beats:
  - {prompt: a field, say: Hello.}
  - {prompt: a cat, say: Meow., providers: {voice: openai/tts-1-hd}}
  - {prompt: a dog, say: Woof., providers: {voice: openai/gpt-4o-mini-tts}}
  - {prompt: a fox, say: Yip., providers: {voice: elevenlabs}}
"""


class Lists:
    """``GET /v1/models`` of both vendors (told apart by their key headers); records who asked."""

    def __init__(self, server) -> None:
        self.asked: list[str] = []
        server.expect_request("/v1/models", method="GET").respond_with_handler(self._models)

    def _models(self, request: Request) -> Response:
        if request.headers.get("xi-api-key"):
            self.asked.append("elevenlabs")
            body = [{"model_id": "eleven_multilingual_v2", "name": "Eleven Multilingual v2",
                     "can_do_text_to_speech": True},
                    {"model_id": "eleven_flash_v2_5", "name": "Eleven Flash v2.5", "can_do_text_to_speech": True}]
            return Response(json.dumps(body), content_type="application/json")
        self.asked.append("openai")
        data = [{"id": i, "object": "model", "created": 1, "owned_by": "system"} for i in ("gpt-4o-mini-tts",)]
        data.append({"id": "tts-1-hd", "object": "model", "created": 1, "owned_by": "system",
                     "shutdown_date": "2027-03-01"})
        return Response(json.dumps({"object": "list", "data": data}), content_type="application/json")


def _run(args, cwd, env):
    return subprocess.run([sys.executable, "-m", "storyrender", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def env(httpserver) -> dict:
    base = httpserver.url_for("").rstrip("/")
    e = dict(os.environ, OPENAI_API_KEY="sk-test-speech", OPENAI_BASE_URL=f"{base}/v1",
             ELEVENLABS_API_KEY="el-test-0123456789abcdef0123", ELEVENLABS_BASE_URL=base,
             NO_PROXY="127.0.0.1,localhost")
    for var in ("STORYRENDER_CACHE", "STORYRENDER_PLUGINS"):
        e.pop(var, None)
    return e


@pytest.mark.slow
def test_check_reports_speech_models_of_both_vendors(httpserver, env, tmp_path):
    lists = Lists(httpserver)
    (tmp_path / "board.yaml").write_text(BOARD)
    r = _run(["providers", "--check", "--json", "board.yaml"], tmp_path, env)
    assert r.returncode == 1, r.stderr
    rows = {f"{x['provider']}/{x['model']}": x for x in json.loads(r.stdout)["models"]}
    assert sorted(lists.asked) == ["elevenlabs", "openai"]  # each vendor asked once
    # ElevenLabs: the named model is not served to this key, the default is
    assert rows["elevenlabs/eleven_v3"]["asked"] and rows["elevenlabs/eleven_v3"]["finding"] == \
        "unknown to the vendor (not served)"
    assert rows["elevenlabs/eleven_multilingual_v2"]["asked"] and rows["elevenlabs/eleven_multilingual_v2"][
        "finding"] == ""
    # its model list has no music models: said so, not guessed
    music = rows["elevenlabs/music_v1"]
    assert not music["asked"] and music["finding"] == "" and music["note"] == "the vendor's model list does not cover it"
    # OpenAI speech (each deprecated in the catalogue): one served, one with the vendor's shutdown date
    mini, hd = rows["openai/gpt-4o-mini-tts"], rows["openai/tts-1-hd"]
    assert mini["asked"] and mini["finding"].startswith("deprecated (catalogue)") and "vendor" not in mini["finding"]
    assert hd["asked"] and hd["finding"].endswith("the vendor shuts it down on 2027-03-01"), hd
    text = _run(["providers", "--check", "board.yaml"], tmp_path, env).stdout
    assert "PROBLEM  elevenlabs/eleven_v3: unknown to the vendor (not served)" in text
    assert "-        elevenlabs/music_v1: the vendor's model list does not cover it" in text
    assert "5 models, 3 with problems, 1 not asked" in text


@pytest.mark.slow
def test_a_refused_key_is_reported_without_the_key(httpserver, env, tmp_path):
    httpserver.expect_request("/v1/models", method="GET").respond_with_json(
        {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}, status=401)
    (tmp_path / "board.yaml").write_text(BOARD.replace("openai/tts-1-hd", "elevenlabs").replace(
        "openai/gpt-4o-mini-tts", "elevenlabs"))
    r = _run(["providers", "--check", "--json", "board.yaml"], tmp_path, env)
    rows = {x["model"]: x for x in json.loads(r.stdout)["models"]}
    note = rows["eleven_v3"]["note"]
    assert not rows["eleven_v3"]["asked"] and "ElevenLabs refused the API key (HTTP 401)" in note, note
    assert env["ELEVENLABS_API_KEY"] not in r.stdout + r.stderr


def test_elevenlabs_list_in_process(httpserver, monkeypatch):
    from storyrender.providers.vendor_check import check_models
    from storyrender.plugins.manager import load_registry

    lists = Lists(httpserver)
    monkeypatch.setenv("ELEVENLABS_API_KEY", "el-test-0123456789abcdef0123")
    monkeypatch.setenv("ELEVENLABS_BASE_URL", httpserver.url_for("").rstrip("/"))
    rows = {r["model"]: r for r in check_models(
        [("elevenlabs", "eleven_v3"), ("elevenlabs", "eleven_flash_v2_5"), ("elevenlabs", "music_v1")],
        load_registry())}
    assert lists.asked == ["elevenlabs"]
    assert rows["eleven_v3"]["finding"] == "unknown to the vendor (not served)"
    assert rows["eleven_flash_v2_5"]["asked"] and rows["eleven_flash_v2_5"]["finding"] == ""
    assert rows["music_v1"]["note"] == "the vendor's model list does not cover it" and not rows["music_v1"]["asked"]
