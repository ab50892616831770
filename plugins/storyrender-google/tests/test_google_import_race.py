"""First builds never trip over first imports: Gemini and Veo jobs start at the same moment in two
worker threads of a fresh process with an empty bytecode cache, again and again.

The board pins beat 1's keyframes, so beat 1's segment (Veo) and beat 2's keyframe (Gemini) are
both ready as soon as the build starts; ``-j 2`` runs them at once. Each build gets its own
``PYTHONPYCACHEPREFIX`` (nothing compiled yet: imports are as slow as they get) and its own cache.
``STORYRENDER_IMPORT_RACE_RUNS`` sets the number of builds (default 3; 20 for a thorough run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from google_fakes import TEST_KEY, GoogleAPI
from storyrender.testing import tiny_mp4, write_png

pytestmark = pytest.mark.slow

RUNS = int(os.environ.get("STORYRENDER_IMPORT_RACE_RUNS", "3"))


@pytest.mark.slow
def test_first_builds_with_two_workers_have_no_import_errors(httpserver, tmp_path):
    clip = tiny_mp4(tmp_path / "veo.mp4", frames=32, fps=8, width=160, height=90).read_bytes()
    api = GoogleAPI(httpserver, clip, finish_after=1, image_size=(160, 90))
    url = httpserver.url_for("/")
    write_png(tmp_path / "start.png", 160, 90, (200, 40, 40))
    write_png(tmp_path / "end.png", 160, 90, (40, 40, 200))
    image = "google/gemini-3.1-flash-image"
    (tmp_path / "board.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        output: {{size: 160x90, fps: 8}}
        seconds: 4
        transition: cut
        providers:
          image: {image}
          keyframe: {image}
          video: {{use: google/veo-3.1-generate-001, options: {{poll_interval: 0.01}}}}
        beats:
          - {{id: a, prompt: a cat at the door, start_image: start.png, end_image: end.png}}
          - {{id: b, prompt: the cat walks in}}
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "PYTHONPYCACHEPREFIX"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compile into the fresh prefix, as a first run does
    env["GOOGLE_API_KEY"] = TEST_KEY
    env["GOOGLE_GEMINI_BASE_URL"] = env["GOOGLE_VERTEX_BASE_URL"] = url
    started = time.monotonic()
    for run in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="pycache-") as pycache:
            env["PYTHONPYCACHEPREFIX"] = pycache
            res = subprocess.run([sys.executable, "-m", "storyrender", "build", "-q", "-j", "2", "board.yaml",
                                  "--cache-dir", str(tmp_path / f"cache{run}")], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=300)
        assert "partially initialized module" not in res.stderr, res.stderr
        assert "ImportError" not in res.stderr and "circular import" not in res.stderr, res.stderr
        assert res.returncode == 0, f"build {run + 1} of {RUNS}: {res.stderr}"
    elapsed = time.monotonic() - started
    assert len(api.predicts) == 2 * RUNS and len(api.images) == RUNS  # every build made its own
    print(f"{RUNS} first builds in {elapsed:.1f} s ({elapsed / RUNS:.1f} s each)")
