"""A fake of getimg.ai's v2 API on 127.0.0.1, driven by the real ``getimg`` SDK."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from getimg_fakes import KEY, FakeGetimg, png_bytes



@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory) -> bytes:
    from storyrender.media.ffmpeg import encode_frames

    frames = [np.full((36, 64, 3), (i * 20) % 255, dtype=np.uint8) for i in range(12)]
    path = tmp_path_factory.mktemp("mp4") / "clip.mp4"
    encode_frames(frames, path, fps=12, width=64, height=36)
    return path.read_bytes()


@pytest.fixture
def frames(tmp_path) -> tuple[Path, Path]:
    first = tmp_path / "first.png"
    last = tmp_path / "last.png"
    first.write_bytes(png_bytes(64, 36, (200, 30, 30)))
    last.write_bytes(png_bytes(64, 36, (30, 30, 200)))
    return first, last


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("GETIMG_API_KEY", KEY)
    monkeypatch.delenv("GETIMG_AI_BASE_URL", raising=False)
    monkeypatch.delenv("GETIMG_AI_CUSTOM_HEADERS", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake(httpserver) -> FakeGetimg:
    return FakeGetimg(httpserver)
