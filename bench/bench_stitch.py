"""Benchmark of the piecewise stitch against one hand-written ffmpeg filtergraph.

12 synthetic segments, 1280x720, 24 fps, 5 s each (121 frames: the last is the next segment's first keyframe),
0.5 s transitions between them (xfade names cycled), x264 ``standard`` settings for both approaches.

Cases:
  (a) first full stitch: every piece encoded (two at a time: a ThreadPoolExecutor(2) stands in for the executor,
      which runs pieces as parallel graph nodes) then copy-joined, vs ONE ffmpeg command doing all the joins;
  (b) re-stitch after one segment changed: its body and its two junctions re-encoded, then the join, vs (a);
  (c) peak memory of the ffmpeg processes (``RUSAGE_CHILDREN`` max RSS, measured in a fresh Python process per
      case) stitching 12 vs 48 segments (48 = the 12 clips cycled).

Run: ``python bench/bench_stitch.py`` (prints a table; ``run()`` returns the numbers as a dict).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from storyrender.media.ffmpeg import encode_frames, run_ffmpeg
from storyrender.media.probe import probe
from storyrender.stitch import (
    XFADE_TRANSITIONS,
    EncodeSettings,
    Transition,
    concat_pieces,
    conform_filter,
    conform_spec,
    encode_piece,
    plan_pieces,
    total_frames,
    x264_args,
)

W, H, FPS, SECONDS, TRANSITION = 1280, 720, 24, 5, 0.5
N = SECONDS * FPS
T = int(TRANSITION * FPS)
SETTINGS = EncodeSettings(W, H, FPS, "standard")
WORKERS = 2


def make_segments(d: Path, count: int = 12) -> list[Path]:
    """Synthetic segments (a drifting textured gradient, a moving bar), near-lossless; reused when present."""
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    for k in range(count):
        path = d / f"seg{k:02d}.mp4"
        paths.append(path)
        if path.exists():
            continue
        tex = rng.random((H // 8, W // 8, 3), dtype=np.float32)
        tex = np.kron(tex, np.ones((8, 8, 1), np.float32))
        hue = np.array([(k * 53) % 255, (k * 97 + 80) % 255, (k * 151 + 160) % 255], np.float32)

        def frames():
            for i in range(N + 1):
                g = (np.sin((xx + 6 * i) / 90.0) * 0.5 + 0.5)[..., None] * hue
                f = 0.7 * g + 0.3 * 255 * np.roll(tex, 3 * i, axis=1)
                f[H // 3:H // 3 + 80, (i * 10) % (W - 60):(i * 10) % (W - 60) + 60] = 255
                yield f.astype(np.uint8)

        tmp = path.with_suffix(".part.mp4")
        encode_frames(frames(), tmp, fps=FPS, width=W, height=H, crf=10)
        os.replace(tmp, path)
    return paths


def board(segments: list[Path], count: int):
    clips = [(p, probe(p)) for p in segments]
    clips = [clips[k % len(clips)] for k in range(count)]
    n = [N] * count
    trs = [Transition(XFADE_TRANSITIONS[k % 6], T) for k in range(count - 1)]
    return clips, n, trs


def piecewise(clips, n, trs, work: Path, only: set[int] | None = None) -> float:
    """Encode the pieces (all, or those reading beat *only*), join them; returns wall seconds."""
    pieces = plan_pieces(n, trs)
    outs = [work / f"piece{i:03d}.mp4" for i in range(len(pieces))]
    todo = [i for i, p in enumerate(pieces) if only is None or set(p.beats) & only]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as ex:
        list(ex.map(lambda i: encode_piece(pieces[i], [clips[b] for b in pieces[i].beats], outs[i], SETTINGS),
                    todo))
    concat_pieces(outs, work / "final.mp4")
    return time.perf_counter() - t0


def single_graph(clips, n, trs, work: Path) -> float:
    """The same joins as one ffmpeg command: conformed inputs, chained xfades with cumulative offsets."""
    args: list[str] = []
    chains = []
    for i, ((path, info), nk) in enumerate(zip(clips, n)):
        args += ["-an", "-i", str(path)]
        chains.append(f"[{i}:v:0]{conform_filter(conform_spec(info, nk, SETTINGS), 0, nk)}[c{i}]")
    acc, length = "c0", n[0]
    for k, tr in enumerate(trs):
        chains.append(f"[{acc}][c{k + 1}]xfade=transition={tr.name}:duration={tr.frames / FPS:.6f}:"
                      f"offset={(length - tr.frames) / FPS:.6f}[j{k}]")
        acc, length = f"j{k}", length + n[k + 1] - tr.frames
    t0 = time.perf_counter()
    run_ffmpeg(args + ["-filter_complex", ";".join(chains), "-map", f"[{acc}]", *x264_args(SETTINGS),
                       "-movflags", "+faststart", str(work / "single.mp4")], what="single graph")
    return time.perf_counter() - t0


def _child(case: str, count: int, seg_dir: Path) -> dict:
    clips, n, trs = board(make_segments(seg_dir), count)
    with tempfile.TemporaryDirectory(prefix="bench-stitch-") as tmp:
        work = Path(tmp)
        secs = piecewise(clips, n, trs, work) if case == "piecewise" else single_graph(clips, n, trs, work)
        frames = probe(work / ("final.mp4" if case == "piecewise" else "single.mp4")).frames
    assert frames == total_frames(n, trs), (frames, total_frames(n, trs))
    return {"seconds": secs, "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "frames": frames}


def measure(case: str, count: int, seg_dir: Path) -> dict:
    """Run one case in a fresh Python process so RUSAGE_CHILDREN covers only its ffmpeg runs."""
    out = subprocess.run([sys.executable, __file__, "--child", case, str(count), str(seg_dir)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(seg_dir: Path | None = None, repeats: int = 3) -> dict:
    """Run the three cases; wall times are the best of *repeats* interleaved runs."""
    own = seg_dir is None
    tmp = tempfile.TemporaryDirectory(prefix="bench-segments-") if own else None
    seg_dir = Path(tmp.name) if own else Path(seg_dir)
    try:
        segments = make_segments(seg_dir)
        clips, n, trs = board(segments, 12)
        res: dict = {}
        times: dict[str, list[float]] = {"single_graph_s": [], "piecewise_full_s": [], "piecewise_restitch_s": []}
        with tempfile.TemporaryDirectory(prefix="bench-stitch-") as w:
            work = Path(w)
            single_graph(clips, n, trs, work)  # warm the page cache
            for _ in range(repeats):  # interleaved, best of `repeats`: wall time on a shared machine is noisy
                times["single_graph_s"].append(single_graph(clips, n, trs, work))
                times["piecewise_full_s"].append(piecewise(clips, n, trs, work))
                times["piecewise_restitch_s"].append(piecewise(clips, n, trs, work, only={5}))
        res.update({k: min(v) for k, v in times.items()})
        res["all_runs_s"] = times
        res["full_ratio"] = res["piecewise_full_s"] / res["single_graph_s"]
        res["restitch_ratio"] = res["piecewise_restitch_s"] / res["piecewise_full_s"]
        m12 = measure("piecewise", 12, seg_dir)
        m48 = measure("piecewise", 48, seg_dir)
        s12 = measure("single", 12, seg_dir)
        res.update({
            "rss_piecewise_12_mb": m12["peak_rss_mb"], "rss_piecewise_48_mb": m48["peak_rss_mb"],
            "rss_single_12_mb": s12["peak_rss_mb"],
            "rss_ratio_48_12": m48["peak_rss_mb"] / m12["peak_rss_mb"],
            "piecewise_48_s": m48["seconds"],
        })
        return res
    finally:
        if tmp is not None:
            tmp.cleanup()


def _table(r: dict) -> str:
    rows = [
        ("(a) one filtergraph, 12 segments (best of runs)", f"{r['single_graph_s']:.1f} s", ""),
        ("(a) piecewise first stitch (2 workers)", f"{r['piecewise_full_s']:.1f} s",
         f"{r['full_ratio']:.2f}x of one graph (target <= 1.1)"),
        ("(b) re-stitch, one segment changed", f"{r['piecewise_restitch_s']:.1f} s",
         f"{r['restitch_ratio']:.2f} of full (target <= 0.25)"),
        ("(c) peak ffmpeg RSS, piecewise 12", f"{r['rss_piecewise_12_mb']:.0f} MB", ""),
        ("(c) peak ffmpeg RSS, piecewise 48", f"{r['rss_piecewise_48_mb']:.0f} MB",
         f"{r['rss_ratio_48_12']:.2f}x of 12 (target <= 1.3); 48 took {r['piecewise_48_s']:.1f} s"),
        ("(c) peak ffmpeg RSS, one graph 12", f"{r['rss_single_12_mb']:.0f} MB", "for comparison"),
    ]
    width = max(len(a) for a, _, _ in rows)
    return "\n".join(f"{a:<{width}}  {b:>9}  {c}" for a, b, c in rows)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments-dir", type=Path, help="reuse/generate the synthetic segments here")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved runs of (a) and (b); the best counts")
    ap.add_argument("--child", nargs=3, metavar=("CASE", "COUNT", "DIR"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(_child(a.child[0], int(a.child[1]), Path(a.child[2]))))
    else:
        result = run(a.segments_dir, a.repeats)
        print(_table(result))
        print(json.dumps(result))
