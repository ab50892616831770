"""A CI-style batch build of boards from an untrusted folder reads and writes nothing outside it:
boards reaching out through `extends:`, `..`, symlinked files and folders, or a symlinked output
folder are all refused (exit 2, each named with its line), the folder beside it is untouched,
and no network connection is attempted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).resolve().parent.parent / "spec" / "bad_boards_child.py"
HEAD = "version: 1\noutput: {size: 160x90, fps: 8%s}\nseconds: 1\n"
SECRET = "s3cr3t-beside-the-folder"


def _tree(root: Path) -> dict[str, tuple]:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def test_batch_build_of_an_untrusted_folder_stays_inside_it(tmp_path):
    import imageio_ffmpeg

    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "base.yaml").write_text(f"title: {SECRET}\n" + HEAD % "" + "beats: [{prompt: x}]\n")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1",
                    "-y", str(outside / "tune.wav")], check=True, timeout=60)
    folder = tmp_path / "untrusted"
    (folder / "boards").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "boards" / "tune.wav").symlink_to(outside / "tune.wav")
    (folder / "boards" / "out-link").symlink_to(outside / "dir")
    beat = "beats:\n  - {prompt: a cat}\n"
    boards = {
        "extends_out.yaml": "extends: ../../outside/base.yaml\n" + beat,
        "extends_abs.yaml": f"extends: {outside / 'base.yaml'}\n" + beat,
        "music_dotdot.yaml": HEAD % "" + "audio: {music: {path: ../../outside/tune.wav}}\n" + beat,
        "music_symlink.yaml": HEAD % "" + "audio: {music: {path: tune.wav}}\n" + beat,
        "output_symlink.yaml": HEAD % ", path: out-link/video.mp4" + beat,
        "output_dotdot.yaml": HEAD % ", path: ../../outside/video.mp4" + beat,
    }
    for name, text in boards.items():
        (folder / "boards" / name).write_text(text)
    before = _tree(outside)
    net = tmp_path / "net.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYRENDER_")}
    env.update(HOME=str(tmp_path / "home"), STORYRENDER_PROJECT_ROOT=str(folder), STORYRENDER_PLUGINS="")
    res = subprocess.run([sys.executable, str(CHILD), str(net), "build", "--offline", "boards/*.yaml"],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("points outside the project") == len(boards), res.stderr
    assert "Traceback" not in res.stderr and SECRET not in res.stderr + res.stdout
    for name in boards:
        assert f"boards/{name}:" in res.stderr, (name, res.stderr)
    assert _tree(outside) == before
    assert not net.exists()
    assert not (folder / "boards" / "out").exists() and not (folder / "boards" / ".storyrender").exists()
    assert not (tmp_path / "home").exists()
