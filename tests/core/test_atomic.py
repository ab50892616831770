"""Atomic writes: a reader sees the old file or the new one; leftovers of dead writers are swept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from storyrender.atomic import atomic_path, copy_file, sweep, write_text


def test_replace_only_on_success_and_no_temp_left(tmp_path):
    dest = tmp_path / "out" / "video.mp4"
    write_text(dest, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            assert tmp.suffix == ".mp4" and tmp.parent == dest.parent
            raise RuntimeError("killed")
    assert dest.read_text() == "old" and sorted(p.name for p in dest.parent.iterdir()) == ["video.mp4"]
    copy_file(dest, tmp_path / "out" / "copy.mp4")
    assert (tmp_path / "out" / "copy.mp4").read_text() == "old"
    assert oct(os.stat(dest).st_mode & 0o777) != oct(0o600)  # an ordinary file's mode


def test_sweep_removes_only_dead_writers_leftovers(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".b.mp4.{dead}-0123abcd.part.mp4"
    live = tmp_path / f".b.mp4.{os.getpid()}-0123abcd.part.mp4"
    mine = tmp_path / ".hidden-but-not-ours"
    for p in (stale, live, mine):
        p.write_text("x")
    assert sweep(tmp_path) == 1
    assert not stale.exists() and live.exists() and mine.exists()
