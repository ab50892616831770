"""A fake of Runway's API on 127.0.0.1, driven by the real ``runwayml`` SDK."""

from __future__ import annotations

import pytest
from runway_fakes import KEY, FakeRunway

from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    monkeypatch.delenv("RUNWAYML_BASE_URL", raising=False)
    monkeypatch.delenv("RUNWAYML_CUSTOM_HEADERS", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake(httpserver, _env, monkeypatch):
    """The fake API, reached through the SDK's own ``RUNWAYML_BASE_URL`` (a board cannot set a host)."""
    fake = FakeRunway(httpserver)
    monkeypatch.setenv("RUNWAYML_BASE_URL", fake.base)
    return fake
