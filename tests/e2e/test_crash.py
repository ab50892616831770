"""Crash safety: a build killed at any point loses nothing it had finished, serves nothing half-made,
and the rerun ends with exactly the video a clean build makes. Ctrl-C stops cleanly with exit status 130."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from storyrender.atomic import is_running
from storyrender.cache.store import Store
from storyrender.media.check import truncation as _truncation
from storyrender.media.probe import read_frames

from ..conftest import run
from ..plugins.faulty import board_text, calls, env_for

pytestmark = [pytest.mark.xdist_group("reliability-crash"), pytest.mark.slow]

PROMPTS = ["crash a", "crash b", "crash c", "crash d"]
KILLS = 20
KILLS_PER_CACHE = 4


def frames(path):
    return list(read_frames(path))


def same_frames(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def start(cwd: Path, env: dict, *args: str) -> subprocess.Popen:
    e = dict(os.environ)
    e.update(env)
    return subprocess.Popen([sys.executable, "-m", "storyrender", "build", *args, "b.yaml"], cwd=cwd, env=e,
                            stdout=open(cwd / "stdout.txt", "w"), stderr=open(cwd / "stderr.txt", "w"),
                            start_new_session=True)


def completed_idents(cache: Path) -> set[str]:
    """Provider nodes recorded in the store (= completed), by the faulty provider's node identity."""
    if not (cache / "index").exists():
        return set()
    with Store(cache) as store:
        return {r.meta["info"]["ident"] for r in store.records() if (r.meta.get("info") or {}).get("ident")}


def served_artifacts_are_complete(cache: Path) -> None:
    if not (cache / "index").exists():
        return
    with Store(cache) as store:
        for rec in store.records():
            path = store.path(rec.key)
            if path is None:
                continue  # a record without its file is never served (Store.get checks)
            assert _truncation(path) is None, (rec.meta.get("label"), _truncation(path))
            if path.suffix == ".mp4":
                assert len(frames(path)) >= 1


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    d = tmp_path_factory.mktemp("clean")
    (d / "b.yaml").write_text(board_text(PROMPTS))
    res = run(["build", "-q", "b.yaml"], cwd=d, env=env_for(d / "calls.jsonl", FAULTY_OFF=1))
    assert res.returncode == 0, res.stderr
    return frames(d / "out" / "b.mp4")


def test_sigkill_at_20_points_never_repeats_finished_calls_and_ends_identical(tmp_path, clean):
    rng = random.Random(20240611)
    env = env_for(tmp_path / "unused", FAULTY_SLEEP=0.04, FAULTY_SEED=7, FAULTY_RATE=0.2)
    landed = attempts = session = 0
    d = None
    while landed < KILLS:
        attempts += 1
        assert attempts < 3 * KILLS, f"only {landed} of {attempts} kills landed while a build was running"
        if d is None:  # a fresh cache: the next kills hit it at every stage, from the first call to the publish
            session += 1
            d = tmp_path / f"s{session}"
            d.mkdir()
            (d / "b.yaml").write_text(board_text(PROMPTS))
            log, cache, out = d / "calls.jsonl", d / ".storyrender", d / "out" / "b.mp4"
            env["FAULTY_CALLS"] = str(log)
            kills_here = 0
        before = completed_idents(cache)
        n0 = len(calls(log))
        proc = start(d, env, "-q")
        if rng.random() < 0.5:
            trigger, limit = "delay", time.monotonic() + rng.uniform(0.25, 1.3)
        else:
            trigger, target = "calls", n0 + rng.randint(1, 7)
        killed = False
        while proc.poll() is None:
            if (trigger == "delay" and time.monotonic() >= limit) or (
                    trigger == "calls" and len(calls(log)) >= target):
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.005)
        proc.wait()
        made = calls(log)[n0:]
        repeated = [c for c in made if c["ident"] in before]
        assert repeated == [], f"a node recorded before the kill was called again: {repeated}"
        served_artifacts_are_complete(cache)
        # the output path holds nothing or a complete video (published atomically): never a broken file
        if out.exists():
            assert same_frames(frames(out), clean)
        # a SIGKILL can leave a temporary file beside the outputs, never one still being written
        # by a live process (`storyrender.atomic.sweep` removes them; the next build does so)
        if out.parent.exists():
            for part in out.parent.glob(".*.part*"):
                assert not is_running(int(part.name.split(".part")[0].rsplit(".", 1)[1].split("-")[0])), part
        if killed:
            landed += 1
            kills_here += 1
        if not killed or kills_here == KILLS_PER_CACHE:
            # a rerun of this cache finishes the job: no finished call repeated, same frames as a clean build
            before = completed_idents(cache)
            n0 = len(calls(log))
            res = run(["build", "-q", "b.yaml"], cwd=d, env=env)
            assert res.returncode == 0, res.stderr
            assert not [c for c in calls(log)[n0:] if c["ident"] in before]
            assert same_frames(frames(out), clean)
            assert not list(out.parent.glob(".*.part*")), "the rerun sweeps what a killed build left"
            d = None


def test_killed_final_encode_leaves_no_broken_output(tmp_path, clean):
    """SIGKILL while ffmpeg writes the final MP4: the output path keeps the previous complete video."""
    from storyrender.media.ffmpeg import ffmpeg_exe

    real = ffmpeg_exe()
    marker = tmp_path / "final-started"
    wrapper = tmp_path / "slow-ffmpeg"
    # a stand-in ffmpeg: the final join (the only call with -f concat) announces itself and is slow to finish
    wrapper.write_text(f"""#!{sys.executable}
import os, sys, time
args = sys.argv[1:]
if "concat" in args:
    open({str(marker)!r}, "w").close()
    time.sleep(30)
os.execv({real!r}, [{real!r}] + args)
""")
    wrapper.chmod(0o755)
    (tmp_path / "b.yaml").write_text(board_text(PROMPTS))
    log = tmp_path / "calls.jsonl"
    env = env_for(log)
    out = tmp_path / "out" / "b.mp4"
    # first a complete video of an earlier version of the board
    (tmp_path / "b.yaml").write_text(board_text(PROMPTS[:2]))
    assert run(["build", "-q", "b.yaml"], cwd=tmp_path, env=env).returncode == 0
    old = frames(out)
    (tmp_path / "b.yaml").write_text(board_text(PROMPTS))
    proc = start(tmp_path, {**env, "STORYRENDER_FFMPEG": str(wrapper)}, "-q")
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), (tmp_path / "stderr.txt").read_text()
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert same_frames(frames(out), old)  # still the previous, complete video
    assert not list(out.parent.glob(".*.part"))
    served_artifacts_are_complete(tmp_path / ".storyrender")
    n0 = len(calls(log))
    res = run(["build", "-q", "b.yaml"], cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    assert calls(log)[n0:] == []  # every provider result survived the kill
    assert same_frames(frames(out), clean)


def test_ctrl_c_stops_cleanly_says_what_finished_and_exits_130(tmp_path, clean):
    (tmp_path / "b.yaml").write_text(board_text(PROMPTS))
    log = tmp_path / "calls.jsonl"
    hold = tmp_path / "release"
    env = env_for(log, FAULTY_HOLD=hold)
    proc = start(tmp_path, env)
    deadline = time.monotonic() + 60
    while len(calls(log)) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole foreground group
    time.sleep(0.3)
    hold.touch()  # the call in flight at Ctrl-C now completes
    assert proc.wait(timeout=60) == 130
    err = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in err
    assert "interrupted" in err
    assert " made" in err  # says what finished
    assert not (tmp_path / "out" / "b.mp4").exists()
    done = completed_idents(tmp_path / ".storyrender")
    assert done, "the calls that finished before Ctrl-C are kept"
    # calls in flight at Ctrl-C were allowed to finish and were recorded: no paid result is thrown away
    assert {c["ident"] for c in calls(log)} <= done
    n0 = len(calls(log))
    res = run(["build", "-q", "b.yaml"], cwd=tmp_path, env=env_for(log))
    assert res.returncode == 0, res.stderr
    assert not [c for c in calls(log)[n0:] if c["ident"] in done]
    assert same_frames(frames(tmp_path / "out" / "b.mp4"), clean)
