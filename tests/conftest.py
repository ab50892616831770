"""Shared fixtures: tiny boards, the fake provider, a CLI runner that keeps real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
# Builds in tests never use a cache outside their tmp dir.
os.environ.pop("STORYRENDER_CACHE", None)

TINY = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 1
"""


@pytest.fixture
def write_board(tmp_path):
    """write_board(text, name="board.yaml") -> Path; `text` is dedented."""

    def write(text: str, name: str = "board.yaml") -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), "utf-8")
        return p

    return write


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """Enable the `fake` provider; returns a function giving the calls made so far."""
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("STORYRENDER_PLUGINS", "tests.plugins.fakeprov")
    monkeypatch.setenv("FAKE_CALLS", str(log))

    def calls() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    calls.reset = lambda: log.unlink(missing_ok=True)  # type: ignore[attr-defined]
    return calls


def run(args: list[str], cwd: Path | None = None, env: dict | None = None, timeout: int = 300):
    """Run the real CLI in a subprocess (real exit codes, real stderr)."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "storyrender", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run
