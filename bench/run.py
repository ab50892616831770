"""``make bench``: run every benchmark in one process, print a table, write JSON.

Each ``bench/bench_*.py`` module has ``run() -> dict``. Ratios are measured within one run
(the machine is noisy; absolute seconds vary, ratios much less). Results go to
``bench/results/latest.json``.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

#: (module, what it measures); modules that are missing are reported, not fatal
BENCHES = [
    ("bench_core", "no-op rebuilds vs CLI start-up; parallel efficiency"),
    ("bench_local", "local interpolation frames/s at 1280x720"),
    ("bench_stitch", "piecewise stitch vs one filtergraph; one-beat re-stitch; memory 12 vs 48"),
    ("bench_scale", "Ray executor overhead; warm remote vs warm local cache"),
    ("bench_continuity", "anchored vs chained keyframes: wall time against the critical path, 24 beats"),
    ("bench_animatic", "local animatic legibility over 200 chained keyframes (edge energy vs keyframe 0)"),
]


def _flatten(prefix: str, value, rows: list) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, rows)
    else:
        rows.append((prefix, value))


def main(argv: list[str]) -> int:
    only = set(argv)
    results: dict = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
    failed = []
    for name, what in BENCHES:
        if only and name not in only:
            continue
        print(f"== {name}: {what}", flush=True)
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            results[name] = {"skipped": f"not available: {exc}"}
            print(f"   skipped ({exc})")
            continue
        t0 = time.perf_counter()
        try:
            results[name] = mod.run()
        except Exception as exc:  # report and go on: one bench must not hide the others
            results[name] = {"error": f"{exc.__class__.__name__}: {exc}"}
            traceback.print_exc()
            failed.append(name)
        results[name]["_bench_seconds"] = round(time.perf_counter() - t0, 1) if isinstance(results[name], dict) else 0
    rows: list = []
    for name, _ in BENCHES:
        if name in results:
            _flatten(name, results[name], rows)
    width = max((len(k) for k, _ in rows), default=10)
    print()
    print(f"{'metric':<{width}}  value")
    print(f"{'-' * width}  -----")
    for k, v in rows:
        mark = ""
        if k.endswith(".ok"):
            mark = "  PASS" if v else "  MISS"
        print(f"{k:<{width}}  {v}{mark}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {out / 'latest.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
