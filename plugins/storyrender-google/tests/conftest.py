"""Fixtures for the google provider tests (helpers live in google_fakes.py)."""

from __future__ import annotations

import pytest

from google_fakes import TEST_KEY, FakeGoogle
from storyrender import testing
from storyrender.providers.base import RunContext
from storyrender_google import GoogleProvider

_ENV = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_GENAI_API_VERSION", "GOOGLE_APPLICATION_CREDENTIALS")


@pytest.fixture
def clean_env(monkeypatch):
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def env(clean_env, monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", TEST_KEY)


@pytest.fixture
def fake(httpserver, clean_env, monkeypatch) -> FakeGoogle:
    """The fake API, reached through the SDK's own host variables (a board cannot set a host)."""
    served = FakeGoogle(httpserver)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", served.base_url)
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", served.base_url)
    return served


@pytest.fixture
def provider() -> GoogleProvider:
    return GoogleProvider()


@pytest.fixture
def ctx(tmp_path) -> RunContext:
    return RunContext(tmp_path / "out" / "node.png")


@pytest.fixture
def vctx(tmp_path) -> RunContext:
    return RunContext(tmp_path / "out" / "segment.mp4")


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory) -> bytes:
    """A real 12-frame 64x36 H.264 MP4 at 24 fps, as a vendor would send (a colour ramp)."""
    return testing.tiny_mp4(tmp_path_factory.mktemp("mp4") / "tiny.mp4", fps=24).read_bytes()


@pytest.fixture
def keyframes(tmp_path):
    return testing.first_last_pngs(tmp_path, 320, 180)
