"""Fixtures for the openai provider tests (helpers live in openai_fakes.py)."""

from __future__ import annotations

import pytest

from openai_fakes import TEST_KEY, FakeOpenAI, make_ctx
from storyrender.providers.base import RunContext
from storyrender_openai import OpenAIProvider


@pytest.fixture
def fake(httpserver, env, monkeypatch) -> FakeOpenAI:
    """The fake API, reached through the SDK's own ``OPENAI_BASE_URL`` (a board cannot set a host)."""
    served = FakeOpenAI(httpserver)
    monkeypatch.setenv("OPENAI_BASE_URL", served.base_url)
    return served


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for var in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def provider() -> OpenAIProvider:
    return OpenAIProvider()


@pytest.fixture
def ctx(tmp_path, fake) -> RunContext:
    """A context for a call to the fake (``OPENAI_BASE_URL`` points the SDK at it)."""
    return make_ctx(tmp_path / "out" / "keyframe.png")
