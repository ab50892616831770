"""Ray is optional: without it storyrender imports, builds with threads, and `--executor ray` is bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import TINY

pytestmark = pytest.mark.slow

# Runs the CLI in a Python where `import ray` fails (as on a machine without the extra).
NO_RAY = ("import sys; sys.modules['ray'] = None\n"
          "import storyrender, storyrender.api, storyrender.execute.ray_executor as rx\n"
          "assert not rx.ray_available()\n"
          "from storyrender.cli.main import main\n"
          "sys.argv = ['storyrender'] + sys.argv[1:]\n"
          "main()\n")


def run_without_ray(args, cwd):
    return subprocess.run([sys.executable, "-c", NO_RAY, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_without_ray_threads_still_build_and_ray_is_refused_as_bad_input(write_board, tmp_path):
    board = write_board(TINY + "beats:\n  - prompt: one\n")
    res = run_without_ray(["build", "--executor", "ray", board.name], tmp_path)
    assert res.returncode == 2, res.stderr
    assert "pip install 'storyrender[ray]'" in res.stderr and not (tmp_path / "out").exists()
    res = run_without_ray(["build", "-q", board.name], tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "board.mp4").exists()
