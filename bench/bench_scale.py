"""Benchmark scale-out: the Ray executor's overhead and the shared (remote) cache.

1. The same board (8 beats, 160x90, 8 fps, the test provider ``fake`` with no latency, so
   the numbers are the executor's own cost) built by the in-process thread executor and by
   the Ray executor on a local 2-CPU Ray cluster (started once, warmed up, not timed):
   ``ray_over_threads`` is the ratio of the wall times, ``ray_overhead_ms_per_node`` the extra
   time per node made.
2. A build on a fresh machine (an empty local cache) with a warm remote cache (a local S3
   emulator, moto) against a rebuild with a warm local cache: ``remote_over_local``.

Run: ``python bench/bench_scale.py`` (needs the ``ray`` and ``test`` extras; what is missing is
reported, not fatal).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEATS = 8
BOARD = ("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
         "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\nbeats:\n"
         + "".join(f"  - {{prompt: beat {i} of the bench}}\n" for i in range(BEATS)))


def _board(tmp: Path) -> Path:
    p = tmp / "board.yaml"
    p.write_text(BOARD, "utf-8")
    return p


def _timed_build(board: Path, cache: Path, **kw) -> tuple[float, object]:
    from storyrender.api import build, prepare
    from storyrender.cache.store import Store

    prepared = prepare(board)
    remote = kw.pop("remote", None)
    with Store(cache, remote=remote) as store:
        t0 = time.perf_counter()
        report = build(prepared, store, **kw)
        seconds = time.perf_counter() - t0
    assert report.status == "ok", [n.error for n in report.failures]
    return seconds, report


def bench_ray(tmp: Path, repeats: int = 2) -> dict:
    try:
        import ray
    except Exception as exc:
        return {"skipped": f"ray cannot be imported ({exc.__class__.__name__})"}
    from storyrender.execute.ray_executor import RayExecutor
    from storyrender.execute.scheduler import ThreadExecutor

    board = _board(tmp)
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, namespace="storyrender", log_to_driver=False,
             logging_level="WARNING")
    start_s = time.perf_counter() - t0
    try:
        ex = RayExecutor()
        _timed_build(board, tmp / "warm-ray", executor=ex)  # start the workers, import storyrender there
        _timed_build(board, tmp / "warm-threads", executor=ThreadExecutor(8))
        threads = ray_s = float("inf")
        nodes = 0
        for i in range(repeats):
            s, report = _timed_build(board, tmp / f"threads-{i}", executor=ThreadExecutor(8))
            threads = min(threads, s)
            nodes = report.totals()["rendered"]
            s, _ = _timed_build(board, tmp / f"ray-{i}", executor=ex)
            ray_s = min(ray_s, s)
    finally:
        ray.shutdown()
    return {"nodes": nodes, "threads_s": round(threads, 3), "ray_s": round(ray_s, 3),
            "ray_over_threads": round(ray_s / threads, 2),
            "ray_overhead_ms_per_node": round(1000 * (ray_s - threads) / max(1, nodes), 1),
            "cluster_start_s": round(start_s, 2)}


def bench_remote(tmp: Path, repeats: int = 3) -> dict:
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except Exception as exc:
        return {"skipped": f"boto3 / moto[server] cannot be imported ({exc.__class__.__name__})"}
    from storyrender.cache.remote import S3Remote

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
        url = f"s3://{bucket}/bench"
        board = _board(tmp)
        cold_s, _ = _timed_build(board, tmp / "machine-a", remote=S3Remote(url, endpoint=endpoint))
        warm_local = warm_remote = float("inf")
        for i in range(repeats):
            s, report = _timed_build(board, tmp / f"machine-b{i}", remote=S3Remote(url, endpoint=endpoint))
            assert report.totals()["rendered"] == 0
            warm_remote = min(warm_remote, s)
            s, _ = _timed_build(board, tmp / "machine-a")
            warm_local = min(warm_local, s)
    finally:
        server.stop()
    from storyrender.cache.store import Store

    with Store(tmp / "machine-a") as a, Store(tmp / "machine-b0") as b:
        made, pulled = len(list(a.records())), len(list(b.records()))
    return {"cold_build_s": round(cold_s, 3), "warm_local_s": round(warm_local, 3),
            "warm_remote_s": round(warm_remote, 3), "remote_over_local": round(warm_remote / warm_local, 2),
            "artifacts_made": made, "artifacts_downloaded": pulled}


def run() -> dict:
    """Measure both; return the numbers (each part says ``skipped`` when its extra is missing)."""
    os.environ["STORYRENDER_PLUGINS"] = "tests.plugins.fakeprov"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    os.environ.pop("FAKE_CALLS", None)
    os.environ.pop("STORYRENDER_CACHE", None)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "ray").mkdir()
        (base / "remote").mkdir()
        return {"ray": bench_ray(base / "ray"), "remote_cache": bench_remote(base / "remote")}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
