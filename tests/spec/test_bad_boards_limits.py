"""Every bad board is refused within hard limits: each case of ``tests/bad_boards/`` (plus the
special files a repository cannot hold: a FIFO, ``/dev/zero``, a symlink out of the project) runs
``storyrender build`` in a child under a 1 GiB address-space limit and a CPU-time limit, with a
wall-clock deadline. Each must exit 2 naming ``FILE:LINE``, write nothing anywhere (project,
cache, home) and attempt no network connection (an audit hook in the child records any).
A hang or a blow-up fails this test instead of CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent / "bad_boards"
CHILD = Path(__file__).parent / "bad_boards_child.py"
EXPECTED: dict[str, str] = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))
#: wall-clock deadline per case (the target is well under 5 s; this only catches hangs)
DEADLINE = 60
SECRET = "hunter2-outside-the-project"

#: cases made at run time: name -> (how to make it, expected message)
SPECIAL = {
    "fifo.yaml": (lambda p: os.mkfifo(p), r"fifo\.yaml: is not a regular file"),
    "dev_zero.yaml": (lambda p: p.symlink_to("/dev/zero"), r"dev_zero\.yaml: is not a regular file"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("limits")
    root = base / "project"
    shutil.copytree(CORPUS, root)
    (root / ".git").mkdir()
    (base / "outside").mkdir()
    (base / "outside" / "secret.yaml").write_text(f"password: {SECRET}\nbeats: [{{prompt: x}}]\n")
    for name, (make, _) in SPECIAL.items():
        make(root / name)
    (base / "outside" / "elsewhere").mkdir()
    (root / "linked-out").symlink_to(base / "outside" / "elsewhere")
    (root / "symlink_output.yaml").write_text(
        "version: 1\noutput: {size: 64x36, fps: 4, path: linked-out/video.mp4}\nseconds: 1\n"
        "providers: {image: faulty/img, keyframe: faulty/img, video: faulty/vid}\nbeats:\n  - prompt: a cat\n")
    return root


def _snapshot(*roots: Path) -> dict[str, tuple]:
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for n in dirnames + filenames:
                p = Path(dirpath) / n
                st = p.lstat()
                out[str(p)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _cases() -> list[str]:
    boards = sorted(EXPECTED)
    return boards + sorted(SPECIAL) + ["symlink_output.yaml"]


@pytest.mark.slow
@pytest.mark.parametrize("name", _cases())
def test_every_bad_board_is_refused_within_limits_writing_nothing_and_connecting_nowhere(name, project, tmp_path):
    expected = {**EXPECTED, **{k: v for k, (_, v) in SPECIAL.items()},
                "symlink_output.yaml": r"symlink_output\.yaml:2:\d+: /output/path: 'linked-out/video\.mp4' "
                                       r"points outside the project"}[name]
    home = tmp_path / "home"
    home.mkdir()
    net = tmp_path / "network.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYRENDER_", "FAULTY_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"),
               STORYRENDER_PROJECT_ROOT=str(project), STORYRENDER_PLUGINS="tests.plugins.faulty",
               FAULTY_CALLS=str(tmp_path / "calls.jsonl"), PYTHONDONTWRITEBYTECODE="1",
               REPLICATE_API_TOKEN="r8_sentinel0123456789abcdef")
    before = _snapshot(project.parent, home)
    res = subprocess.run([sys.executable, str(CHILD), str(net), "build", name], cwd=project, env=env,
                         capture_output=True, text=True, timeout=DEADLINE)
    err = res.stderr
    assert res.returncode == 2, (name, res.returncode, err[-2000:])
    assert "Traceback" not in err and "MemoryError" not in err
    assert re.search(expected, err), f"{name}: {err[:1500]!r} does not match {expected!r}"
    if name not in ("directory.yaml", *SPECIAL):
        assert re.match(rf"error: {re.escape(name)}:\d+(:\d+)?: ", err), err[:500]
    assert len(err) < 4000, len(err)
    assert SECRET not in err + res.stdout
    assert not net.exists(), net.read_text()
    assert not (tmp_path / "calls.jsonl").exists()
    assert _snapshot(project.parent, home) == before

