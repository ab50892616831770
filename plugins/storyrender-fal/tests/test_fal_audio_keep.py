"""audio: keep on a fal app pinned silent: validate says the beat adds no sound unless the app is asked for it."""

from __future__ import annotations

import subprocess
import sys

BOARD = """\
version: 1
output: {{size: 1280x720, fps: 8}}
seconds: 5
providers:
  video: {{use: fal/fal-ai/kling-video/v3/pro/image-to-video{options}}}
beats:
  - prompt: a
    audio: keep
"""


def validate(tmp_path, options: str):
    board = tmp_path / "b.yaml"
    board.write_text(BOARD.format(options=options))
    return subprocess.run([sys.executable, "-m", "storyrender", "validate", str(board)], capture_output=True,
                          text=True, env={"FAL_KEY": "test-key-0000", "PATH": "/usr/bin:/bin"})


def test_kept_sound_from_a_silent_app_is_warned_about(tmp_path):
    r = validate(tmp_path, "")
    assert r.returncode == 0, r.stderr
    assert "keeps its segment's sound, but fal/fal-ai/kling-video/v3/pro/image-to-video makes silent" in r.stderr


def test_asking_the_app_for_sound_silences_the_warning(tmp_path):
    r = validate(tmp_path, ", options: {params: {generate_audio: true}}")
    assert r.returncode == 0, r.stderr
    assert "keeps its segment's sound" not in r.stderr
