"""The cache is checked, not trusted: each kind of artifact (keyframe, segment, piece, audio,
final) is truncated, overwritten with garbage of the same size, or swapped for a valid but
different file; `plan` shows the node as "corrupt in cache", the rebuild says so, makes it again,
and ends with exactly the frames and sound of a clean build. `storyrender cache verify
[--repair]` finds the same files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from storyrender.cache.store import Store
from storyrender.media.probe import read_frames

from ..conftest import run

pytestmark = pytest.mark.slow

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 1
transition: {type: fade, seconds: 0.25}
audio: {music: {path: music.m4a}}
beats:
  - {id: a, prompt: a red door opens}
  - {id: b, prompt: a blue room beyond}
"""


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _tone(path: Path, hz: int) -> Path:
    subprocess.run([_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", f"sine=frequency={hz}:duration=2", "-c:a", "aac",
                    "-y", str(path)], check=True, timeout=60)
    return path


def _audio(path: Path) -> np.ndarray:
    out = subprocess.run([_ffmpeg(), "-v", "error", "-i", str(path), "-vn", "-f", "s16le", "-ac", "1", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(out, dtype=np.int16)


def _env(root: Path) -> dict:
    return {"STORYRENDER_PROJECT_ROOT": str(root), "STORYRENDER_PLUGINS": ""}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean") / "project"
    root.mkdir()
    (root / "board.yaml").write_text(BOARD)
    _tone(root / "music.m4a", 440)
    res = run(["build", "--offline", "board.yaml"], cwd=root, env=_env(root))
    assert res.returncode == 0, res.stderr
    video = root / "out" / "board.mp4"
    return root, [f.copy() for f in read_frames(video)], _audio(video)


def _copy(clean, tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(clean[0], root, symlinks=True)
    return root


def _records(root: Path) -> dict[str, list]:
    with Store(root / ".storyrender") as store:
        out: dict[str, list] = {}
        for rec in store.records():
            out.setdefault(rec.kind, []).append(rec)
        return out


def _artifact(root: Path, rec) -> Path:
    return Store(root / ".storyrender").path_for(rec.key, rec.suffix)


def _damage(root: Path, kind: str, fault: str, tmp_path: Path) -> str:
    recs = _records(root)
    rec = sorted(recs[kind], key=lambda r: r.key)[0]
    path = _artifact(root, rec)
    data = path.read_bytes()
    if fault == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif fault == "garbage":
        path.write_bytes(os.urandom(len(data)))
    else:  # a valid file of the same type, with other content
        same = [r for r in recs[kind] if r.key != rec.key]
        if same:
            other = _artifact(root, same[0])
        elif rec.suffix == ".m4a":
            other = _tone(tmp_path / "other.m4a", 880)
        else:
            other = next(_artifact(root, r) for rs in recs.values() for r in rs
                         if r.suffix == rec.suffix and r.key != rec.key)
        assert other.read_bytes() != data
        shutil.copyfile(other, path)
    return rec.meta.get("label") or rec.kind


KINDS = ["keyframe", "segment", "piece", "audio", "final"]


@pytest.mark.parametrize("fault", ["truncate", "garbage", "wrong"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_artifact_is_shown_detected_made_again_and_the_video_equals_a_clean_build(
        clean, tmp_path, kind, fault):
    root = _copy(clean, tmp_path)
    assert kind in _records(root), sorted(_records(root))
    _damage(root, kind, fault, tmp_path)

    plan = run(["plan", "--offline", "board.yaml"], cwd=root, env=_env(root))
    assert plan.returncode == 0, plan.stderr
    assert "corrupt in cache" in plan.stdout + plan.stderr

    res = run(["build", "--offline", "board.yaml"], cwd=root, env=_env(root))
    assert res.returncode == 0, res.stderr
    assert "corrupt in cache" in res.stdout + res.stderr
    video = root / "out" / "board.mp4"
    frames = list(read_frames(video))
    assert len(frames) == len(clean[1])
    assert all(np.array_equal(a, b) for a, b in zip(frames, clean[1]))
    assert np.array_equal(_audio(video), clean[2])
    verify = run(["cache", "verify", "board.yaml"], cwd=root, env=_env(root))
    assert verify.returncode == 0 and " 0 corrupt" in verify.stdout, verify.stdout


def test_cache_verify_finds_and_repair_removes_and_plan_then_shows_it(clean, tmp_path):
    root = _copy(clean, tmp_path)
    rec = sorted(_records(root)["segment"], key=lambda r: r.key)[0]
    path, label = _artifact(root, rec), rec.meta["label"]
    data = path.read_bytes()
    path.write_bytes(data[:64] + os.urandom(len(data) - 64))  # same size, same head: only the digest tells
    res = run(["cache", "verify", "board.yaml"], cwd=root, env=_env(root))
    assert res.returncode == 1
    assert "1 corrupt" in res.stdout and label in res.stdout and "sha256 differs" in res.stdout
    res = run(["cache", "verify", "--repair", "board.yaml"], cwd=root, env=_env(root))
    assert res.returncode == 1 and "files were removed" in res.stdout
    plan = run(["plan", "--offline", "board.yaml"], cwd=root, env=_env(root))
    assert "corrupt in cache (the file is missing)" in plan.stdout
    assert run(["build", "--offline", "board.yaml"], cwd=root, env=_env(root)).returncode == 0
    res = run(["cache", "verify", "board.yaml"], cwd=root, env=_env(root))
    assert res.returncode == 0 and "0 corrupt" in res.stdout
