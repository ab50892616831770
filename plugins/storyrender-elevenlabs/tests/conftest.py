"""Fixtures for the elevenlabs provider tests (the fake lives in elevenlabs_fakes.py)."""

from __future__ import annotations

import pytest

from elevenlabs_fakes import TEST_KEY, FakeElevenLabs
from storyrender_elevenlabs import ElevenLabsProvider


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("ELEVENLABS_API_KEY", TEST_KEY)
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)


@pytest.fixture
def fake(httpserver, env, monkeypatch) -> FakeElevenLabs:
    """The fake API, reached through ``ELEVENLABS_BASE_URL`` (a board cannot set a host)."""
    served = FakeElevenLabs(httpserver)
    monkeypatch.setenv("ELEVENLABS_BASE_URL", served.url)
    return served


@pytest.fixture
def provider() -> ElevenLabsProvider:
    return ElevenLabsProvider()
