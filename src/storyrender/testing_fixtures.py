"""Pytest fixtures for provider plugin tests, built on :mod:`storyrender.testing`.

Enable them by importing them into the plugin's ``tests/conftest.py``::

    from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)

Importing them keeps them local to that folder and works however the tests are collected.
``pytest_plugins = ["storyrender.testing_fixtures"]`` in a plugin's conftest does not: pytest
refuses it in a conftest that it only finds while collecting (``pytest plugins/`` with several
plugins' tests in one session). ``pytest -p storyrender.testing_fixtures`` also works, for a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storyrender.testing import first_last_pngs, tiny_mp4

__all__ = ["frames", "mp4_bytes"]


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory) -> bytes:
    """The bytes of :func:`~storyrender.testing.tiny_mp4`: 12 frames, 64x36, 12 fps, H.264."""
    return tiny_mp4(tmp_path_factory.mktemp("mp4") / "clip.mp4").read_bytes()


@pytest.fixture
def frames(tmp_path) -> tuple[Path, Path]:
    """``(first, last)``: 64x36 PNG keyframes from :func:`~storyrender.testing.first_last_pngs`."""
    return first_last_pngs(tmp_path)
