"""`storyrender providers --check` against fakes of the vendors' model lists on 127.0.0.1 (the real
SDKs: openai, getimg, replicate), and the lifecycle end to end: a vendor that answers 404 for a
shut-down model, a board naming it refused at validate with the replacement, the defaults building."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
from werkzeug import Request, Response

from storyrender.media.probe import probe
from storyrender.testing import png_bytes

pytest.importorskip("storyrender_openai")
pytest.importorskip("storyrender_getimg")
pytest.importorskip("storyrender_replicate")

KEYS = {"OPENAI_API_KEY": "sk-test-check", "GETIMG_API_KEY": "getimg-test-check",
        "REPLICATE_API_TOKEN": "r8-test-check"}
SHUT_DOWN = {"gpt-image-1", "dall-e-2", "dall-e-3"}


class Vendors:
    """OpenAI's /v1/models and images, getimg's /v2/models, Replicate's /v1/models/{owner}/{name}."""

    def __init__(self, server) -> None:
        self.images: list[dict] = []
        server.expect_request("/v1/models", method="GET").respond_with_handler(self._openai_models)
        server.expect_request("/v1/images/generations", method="POST").respond_with_handler(self._openai_image)
        server.expect_request("/v1/images/edits", method="POST").respond_with_handler(self._openai_image)
        server.expect_request("/v2/models", method="GET").respond_with_handler(self._getimg_models)
        server.expect_request("/v1/models/kwaivgi/kling-v2.1", method="GET").respond_with_json(
            {"url": "https://replicate.com/kwaivgi/kling-v2.1", "owner": "kwaivgi", "name": "kling-v2.1",
             "description": None, "visibility": "public", "github_url": None, "paper_url": None, "license_url": None,
             "run_count": 1, "cover_image_url": None, "default_example": None,
             "latest_version": {"id": "abc123", "created_at": "2026-01-01T00:00:00Z", "cog_version": "0.9",
                                "openapi_schema": {}}})
        server.expect_request("/v1/models/acme/gone", method="GET").respond_with_json(
            {"title": "Not found", "detail": "The requested model does not exist", "status": 404}, status=404)

    def _openai_models(self, request: Request) -> Response:
        data = [{"id": i, "object": "model", "created": 1, "owned_by": "system"} for i in ("gpt-image-1.5",
                                                                                        "gpt-image-1-mini")]
        data.append({"id": "gpt-image-2", "object": "model", "created": 1, "owned_by": "system",
                     "shutdown_date": "2027-01-15"})
        return _json({"object": "list", "data": data})

    def _openai_image(self, request: Request) -> Response:
        body = dict(request.form) if request.form else json.loads(request.get_data())
        self.images.append(body)
        if body["model"] in SHUT_DOWN:  # as the vendor does for a retired model
            return _json({"error": {"message": f"The model {body['model']} does not exist", "type":
                                    "invalid_request_error", "param": None, "code": "model_not_found"}}, 404)
        w, h = (int(v) for v in body["size"].split("x"))
        return _json({"created": 1, "data": [{"b64_json": base64.b64encode(png_bytes(w, h, (10, 120, 200))).decode()}],
                      "usage": {"input_tokens": 5, "output_tokens": 10, "total_tokens": 15}})

    def _getimg_models(self, request: Request) -> Response:
        rate = {"billable_unit": "image", "resolution": None, "sound": "not_applicable", "unit_price": "0.05"}
        return _json([{"id": "seedream-5-lite", "created_at": "2026-01-01T00:00:00Z", "name": "Seedream 5 Lite",
                       "pricing": {"currency": "USD", "rates": [rate]}, "supported_aspect_ratios": ["16:9"],
                       "supported_durations": [], "supported_references": {}, "supported_resolutions": [],
                       "supports_sound": False, "type": "image"}])


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


@pytest.fixture
def vendors(httpserver):
    return Vendors(httpserver)


@pytest.fixture
def env(httpserver) -> dict:
    base = httpserver.url_for("").rstrip("/")
    e = dict(os.environ, **KEYS, OPENAI_BASE_URL=f"{base}/v1", GETIMG_AI_BASE_URL=base, REPLICATE_BASE_URL=base,
             NO_PROXY="127.0.0.1,localhost")
    for var in ("STORYRENDER_CACHE", "STORYRENDER_PLUGINS"):
        e.pop(var, None)
    return e


def run(args, cwd, env):
    return subprocess.run([sys.executable, "-m", "storyrender", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_check_reports_retired_unknown_and_repriced_models(vendors, env, tmp_path):
    (tmp_path / "board.yaml").write_text(
        "version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 5\n"
        "providers: {image: openai/gpt-image-2, keyframe: getimg/seedream-5-lite, video: getimg/seedance-v1-pro}\n"
        "beats:\n  - {prompt: a cat}\n  - {prompt: a dog, providers: {video: replicate/acme/gone}}\n"
        "  - {prompt: a fox, providers: {video: replicate/kwaivgi/kling-v2.1, keyframe: openai/gpt-image-1}}\n")
    r = run(["providers", "--check", "--json", "board.yaml"], tmp_path, env)
    assert r.returncode == 1, r.stderr
    rows = {f"{x['provider']}/{x['model']}": x for x in json.loads(r.stdout)["models"]}
    assert rows["openai/gpt-image-2"]["finding"] == "the vendor shuts it down on 2027-01-15"
    assert rows["getimg/seedream-5-lite"]["finding"].startswith(
        "priced differently: the vendor asks $0.05/image, the catalogue says $0.035")
    assert rows["getimg/seedance-v1-pro"]["finding"] == "unknown to the vendor (not served)"
    assert rows["replicate/acme/gone"]["finding"].endswith("unknown to the vendor (not served)"), rows["replicate/acme/gone"]["note"]
    assert rows["replicate/kwaivgi/kling-v2.1"]["finding"] == "" and rows["replicate/kwaivgi/kling-v2.1"]["asked"]
    retired = rows["openai/gpt-image-1"]["finding"]
    assert "retired (catalogue): shut down on 2026-10-23 (use gpt-image-2.5-sunburst)" in retired
    assert "unknown to the vendor" in retired
    text = run(["providers", "--check", "board.yaml"], tmp_path, env)
    assert "PROBLEM  getimg/seedance-v1-pro: unknown to the vendor" in text.stdout
    assert "6 models, 5 with problems, 0 not asked" in text.stdout
    # without the key the vendor is not asked, and nothing is sent
    no_key = {k: v for k, v in env.items() if k != "GETIMG_API_KEY"}
    rows = {x["model"]: x for x in json.loads(run(["providers", "--check", "--json", "board.yaml"], tmp_path,
                                                  no_key).stdout)["models"]}
    assert rows["seedance-v1-pro"]["note"] == "not asked: set GETIMG_API_KEY" and not rows["seedance-v1-pro"]["asked"]


@pytest.mark.slow
def test_a_retired_id_is_refused_at_validate_and_the_defaults_build(vendors, env, tmp_path):
    retired = tmp_path / "retired.yaml"
    retired.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
                       "providers:\n  image: openai/gpt-image-1\n  keyframe: openai\n  video: local\n"
                       "beats:\n  - {prompt: a cat}\n")
    r = run(["validate", "retired.yaml"], tmp_path, env)
    assert r.returncode == 2
    assert "retired.yaml:5" in r.stderr and "openai/gpt-image-1 was shut down on 2026-10-23" in r.stderr
    assert "Use openai/gpt-image-2.5-sunburst instead" in r.stderr
    assert run(["build", "retired.yaml"], tmp_path, env).returncode == 2 and vendors.images == []  # nothing sent

    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
                        "providers: {image: openai, keyframe: openai, video: local}\n"
                        "beats:\n  - {prompt: a cat}\n")
    r = run(["build", "defaults.yaml"], tmp_path, env)
    assert r.returncode == 0, r.stderr
    assert [b["model"] for b in vendors.images] == ["gpt-image-1.5", "gpt-image-1.5"]  # GA, served
    info = probe(tmp_path / "out" / "defaults.mp4")
    assert (info.width, info.height) == (160, 90) and info.duration == pytest.approx(1.0, abs=0.15)


@pytest.mark.slow
def test_check_asks_the_gemini_model_list(httpserver, env, tmp_path):
    pytest.importorskip("storyrender_google")
    import re

    httpserver.expect_request(re.compile(r"^/v1(beta)?/models$"), method="GET").respond_with_json(
        {"models": [{"name": "models/gemini-3.1-flash-image"}, {"name": "models/gemini-3.5-flash"}]})
    e = dict(env, GOOGLE_API_KEY="google-test-check", GOOGLE_GEMINI_BASE_URL=httpserver.url_for("/"))
    e.pop("GEMINI_API_KEY", None)
    e.pop("GOOGLE_GENAI_USE_VERTEXAI", None)
    (tmp_path / "board.yaml").write_text(
        "version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 4\n"
        "providers: {image: google/gemini-3-pro-image, keyframe: google, video: google}\n"
        "beats:\n  - {prompt: a cat}\n")
    r = run(["providers", "--check", "--json", "board.yaml"], tmp_path, e)
    rows = {x["model"]: x for x in json.loads(r.stdout)["models"]}
    assert r.returncode == 1, r.stderr
    assert rows["gemini-3-pro-image"]["finding"] == "unknown to the vendor (not served)"
    assert rows["gemini-3.1-flash-image"]["finding"] == "" and rows["gemini-3.1-flash-image"]["asked"]
    assert not rows["veo-3.1-generate-001"]["asked"]  # Vertex AI models are not in the Gemini API's list
