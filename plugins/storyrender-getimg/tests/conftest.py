"""A fake of getimg.ai's v2 API on 127.0.0.1, driven by the real ``getimg`` SDK."""

from __future__ import annotations

import pytest
from getimg_fakes import KEY, FakeGetimg

from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("GETIMG_API_KEY", KEY)
    monkeypatch.delenv("GETIMG_AI_BASE_URL", raising=False)
    monkeypatch.delenv("GETIMG_AI_CUSTOM_HEADERS", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake(httpserver, _env, monkeypatch):
    """The fake API, reached through the SDK's own ``GETIMG_AI_BASE_URL`` (a board cannot set a host)."""
    fake = FakeGetimg(httpserver)
    monkeypatch.setenv("GETIMG_AI_BASE_URL", fake.base)
    yield fake
    fake.settle()
