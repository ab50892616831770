"""Four builds at once on one cache: every shared node is made once, every output is valid."""

from __future__ import annotations

import collections
import os
import subprocess
import sys

import numpy as np
import pytest

from storyrender.media.probe import read_frames

from ..conftest import run
from ..plugins.faulty import board_text, calls, env_for

pytestmark = [pytest.mark.xdist_group("reliability-concurrency"), pytest.mark.slow]

BOARDS = {
    "a.yaml": ["shared one", "shared two", "only a"],
    "b.yaml": ["shared one", "shared two", "only b"],
    "c.yaml": ["shared one", "shared two", "only a"],  # the same graph as a.yaml: even its final is shared
    "d.yaml": ["shared one", "only d", "only a"],
}


def test_four_processes_share_one_cache_and_make_each_node_once(tmp_path):
    work, ref = tmp_path / "work", tmp_path / "ref"
    for d in (work, ref):
        d.mkdir()
        for name, prompts in BOARDS.items():
            (d / name).write_text(board_text(prompts))
    log = work / "calls.jsonl"
    env = dict(os.environ)
    env.update(env_for(log, FAULTY_SLEEP=0.1, FAULTY_SEED=3, FAULTY_RATE=0.15))
    cache = tmp_path / "shared-cache"
    procs = [subprocess.Popen([sys.executable, "-m", "storyrender", "build", "-q", "--cache-dir", str(cache), name],
                              cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in BOARDS]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err

    made = [c for c in calls(log) if c["fault"] == ""]
    per_node = collections.Counter(c["ident"] for c in made)
    assert per_node and set(per_node.values()) == {1}, [k for k, n in per_node.items() if n > 1]
    assert len({c["pid"] for c in calls(log)}) > 1  # the work really was spread over the processes
    # a (= c): 4 keyframes + 3 segments; b adds its last keyframe and segment; d shares keyframes 0-1 and
    # segment 1 and adds keyframes 2-3 and segments 2-3
    assert len(per_node) == 7 + 2 + 4

    # every output equals the same board built alone
    res = run(["build", "-q", *BOARDS], cwd=ref, env=env_for(ref / "calls.jsonl", FAULTY_OFF=1))
    assert res.returncode == 0, res.stderr
    for name in BOARDS:
        stem = name.removesuffix(".yaml")
        got = list(read_frames(work / "out" / f"{stem}.mp4"))
        want = list(read_frames(ref / "out" / f"{stem}.mp4"))
        assert len(got) == len(want) > 0
        assert all(np.array_equal(x, y) for x, y in zip(got, want))
