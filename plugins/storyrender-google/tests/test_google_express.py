"""Veo with only an API key: validate says the key goes to Vertex AI express mode, and why (the
installed google-genai refuses generate_videos in Gemini Developer API mode, asked of the SDK itself)."""

from __future__ import annotations

import pytest
import os
import subprocess
import sys

import google.genai

from storyrender_google.veo import gemini_api_refuses_veo

BOARD = """\
version: 1
output: {size: 1280x720, fps: 24}
seconds: 8
providers:
  image: local
  keyframe: local
  video: google/veo-3.1-fast-generate-001
beats:
  - {prompt: a cat}
  - {prompt: a dog}
"""


def _validate(tmp_path, **env):
    (tmp_path / "board.yaml").write_text(BOARD)
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    e.update(env)
    return subprocess.run([sys.executable, "-m", "storyrender", "validate", "board.yaml"], cwd=tmp_path, env=e,
                          capture_output=True, text=True, timeout=300)


def test_the_installed_sdk_refuses_veo_in_gemini_api_mode():
    assert google.genai.__version__.startswith("3.")
    assert gemini_api_refuses_veo() is True


@pytest.mark.slow
def test_validate_says_an_api_key_goes_to_vertex_express_mode(tmp_path):
    r = _validate(tmp_path, GEMINI_API_KEY="AIza-test-express")
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, r.stderr  # once, not once per beat
    w = warnings[0]
    assert w.startswith("warning: board.yaml:7:") and "/providers/video" in w
    assert "google/veo-3.1-fast-generate-001 runs in Vertex AI express mode with GEMINI_API_KEY" in w
    assert f"google-genai {google.genai.__version__} refuses generate_videos in Gemini Developer API mode" in w
    assert "a Gemini API (AI Studio) key is refused at the first segment" in w and "GOOGLE_CLOUD_PROJECT" in w
    assert "AIza-test-express" not in r.stdout + r.stderr


@pytest.mark.slow
def test_no_warning_with_a_project_or_without_a_key(tmp_path):
    with_project = _validate(tmp_path, GEMINI_API_KEY="AIza-test-express", GOOGLE_CLOUD_PROJECT="my-project")
    assert with_project.returncode == 0 and "express mode" not in with_project.stderr
    no_key = _validate(tmp_path)
    assert no_key.returncode == 0 and "express mode" not in no_key.stderr
    assert "provider 'google' needs an API key" in no_key.stderr


def test_warnings_in_process(monkeypatch):
    from storyrender.provider_api import Job
    from storyrender_google import GoogleProvider

    for var in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    p = GoogleProvider()
    veo, image = p.resolve_model("veo-3.1-generate-001"), p.resolve_model("gemini-3.1-flash-image")
    assert p.warnings(Job.FIRST_LAST_VIDEO, veo, {}) == []  # no key: the missing key is said elsewhere
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test")
    (w,) = p.warnings(Job.FIRST_LAST_VIDEO, veo, {})
    assert "runs in Vertex AI express mode with GOOGLE_API_KEY" in w and "AIza-test" not in w
    assert p.warnings(Job.TEXT_TO_IMAGE, image, {}) == []
    assert p.warnings(Job.FIRST_LAST_VIDEO, veo, {"project": "mine"}) == []
