"""A fake of Replicate's HTTP API on 127.0.0.1, driven by the real ``replicate`` client.

The fake answers with the documented JSON shapes (predictions, files, cancel) and serves the
output files itself, so the SDK's own request building, polling, retries and downloads run.
"""

from __future__ import annotations

import pytest
from replicate_fakes import TOKEN, FakeReplicate

from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.delenv("REPLICATE_BASE_URL", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake(httpserver, _env, monkeypatch) -> FakeReplicate:
    """The fake API, reached through the SDK's own ``REPLICATE_BASE_URL`` (a board cannot set a host)."""
    served = FakeReplicate(httpserver)
    monkeypatch.setenv("REPLICATE_BASE_URL", served.base)
    return served
