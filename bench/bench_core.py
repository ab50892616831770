"""Core benchmarks: no-op rebuilds against CLI start-up, and parallel efficiency.

1. No-op rebuild: boards of 12, 60, 240 and 960 beats are built once, then rebuilt with nothing
   to do; the time beyond the bare CLI start-up (``storyrender --version``, same run) is the
   work a no-op costs (targets: under 0.5 s at 240 beats, under 0.25 s at 960), and a no-op must
   leave every output file's mtime unchanged. The timed runs are remembered no-ops
   (``storyrender.uptodate``); at 960 beats a no-op whose stamp was removed is timed too, for
   comparison (no target). Every run keeps its bytecode (in a temporary
   ``PYTHONPYCACHEPREFIX``, whatever ``PYTHONDONTWRITEBYTECODE`` says), as an installed package does:
   the timed runs measure the work, not compiling the modules the first builds imported.
2. Parallel efficiency: a provider that only sleeps (fixed latency per keyframe and per
   segment) on a 12-beat board; wall time of the executor against the graph's critical path
   (the longest chain of measured node times) and against the sum of all node times
   (target: within 10% of the critical path).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TINY = "version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
PROV = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def _board(n: int, *, transition: str = "cut") -> str:
    beats = "".join(f"  - prompt: beat number {i} walks on\n" for i in range(n))
    return TINY + PROV + f"transition: {transition}\nbeats:\n" + beats


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["STORYRENDER_PLUGINS"] = "tests.plugins.fakeprov"
    env.update(extra)
    return env


def _time(argv, cwd, env, repeats=5) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of *argv*: on a busy machine the
    wall time is mostly waiting for a core, the CPU time is the work."""
    times, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


#: no-op targets: board size -> seconds beyond the CLI's start-up
NOOP_TARGETS = {240: 0.5, 960: 0.25}


def noop_rebuild(sizes=(12, 60, 240, 960)) -> dict:
    exe = [sys.executable, "-m", "storyrender"]
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(exe + ["--version"], cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL)
        startup, startup_cpu = _time(exe + ["--version"], tmp, env)
        out["cli_startup_s"] = round(startup, 3)
        out["cli_startup_cpu_s"] = round(startup_cpu, 3)
        for n in sizes:
            board = Path(tmp) / f"b{n}.yaml"
            board.write_text(_board(n))
            subprocess.run(exe + ["build", "-q", board.name], cwd=tmp, env=env, check=True)
            subprocess.run(exe + ["build", "-q", board.name], cwd=tmp, env=env, check=True)  # settles the manifest
            before = _mtimes(Path(tmp) / "out")
            t, cpu = _time(exe + ["build", "-q", board.name], tmp, env, repeats=3 if n >= 960 else 5)
            out[f"noop_{n}_outputs_unchanged"] = _mtimes(Path(tmp) / "out") == before
            out[f"noop_{n}_beats_s"] = round(t, 3)
            out[f"noop_{n}_beats_beyond_startup_s"] = round(t - startup, 3)
            out[f"noop_{n}_beats_cpu_beyond_startup_s"] = round(cpu - startup_cpu, 3)
            if n >= 960:  # for comparison: a no-op that checks everything (its stamp removed before each run)
                forget = [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)",
                          str(Path(tmp) / ".storyrender" / "stamps")]
                checked = []
                for _ in range(3):
                    subprocess.run(forget, check=True)
                    checked.append(_time(exe + ["build", "-q", board.name], tmp, env, repeats=1)[0])
                out[f"noop_{n}_beats_not_remembered_beyond_startup_s"] = round(statistics.median(checked) - startup, 3)
    for n, target in NOOP_TARGETS.items():
        beyond = out.get(f"noop_{n}_beats_beyond_startup_s")
        out[f"noop_{n}_target"] = {"beyond_startup_s": beyond, "target_s": target,
                                   "outputs_unchanged": out.get(f"noop_{n}_outputs_unchanged", False),
                                   "ok": beyond is not None and beyond < target
                                   and out.get(f"noop_{n}_outputs_unchanged", False)}
    out["ok"] = (all(out[f"noop_{n}_target"]["ok"] for n in NOOP_TARGETS)
                 and all(v for k, v in out.items() if k.endswith("_outputs_unchanged")))
    return out


def parallel_efficiency(beats: int = 12, image_s: float = 0.2, video_s: float = 1.5, jobs: int = 16) -> dict:
    os.environ.update(_env(FAKE_SLEEP_IMAGE=str(image_s), FAKE_SLEEP_VIDEO=str(video_s)))
    from storyrender.api import build, open_store, prepare
    from storyrender.plugins.manager import load_registry

    with tempfile.TemporaryDirectory() as tmp:
        board = Path(tmp) / "board.yaml"
        board.write_text(_board(beats, transition="{type: dissolve, seconds: 0.25}"))
        p = prepare(board, registry=load_registry())
        with open_store(p.board, None) as store:
            report = build(p, store, jobs=jobs)
        assert report.status == "ok", report.failures
        secs = {n.key: n.seconds for n in report.nodes}
        graph = p.graph
        longest: dict[str, float] = {}
        for node in graph:  # graph.order is a topological order
            longest[node.key] = secs.get(node.key, 0.0) + max((longest[i] for i in node.inputs), default=0.0)
        critical = max(longest.values())
        total = sum(secs.values())
        wall = report.seconds
    for k in ("FAKE_SLEEP_IMAGE", "FAKE_SLEEP_VIDEO"):
        os.environ.pop(k, None)
    return {
        "beats": beats, "latency_image_s": image_s, "latency_video_s": video_s, "jobs": jobs,
        "wall_s": round(wall, 3), "critical_path_s": round(critical, 3), "sum_of_node_times_s": round(total, 3),
        "wall_over_critical_path": round(wall / critical, 3), "wall_over_sum": round(wall / total, 3),
        "target_wall_over_critical_path": 1.10, "ok": wall / critical <= 1.10,
    }


def run() -> dict:
    return {"noop_rebuild": noop_rebuild(), "parallel": parallel_efficiency()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
