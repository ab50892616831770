"""Seam scores: how well each join of the video fits, measured on the frames actually in it.

For the join into beat ``k + 1`` the two frames that meet are taken from the final video:
at a ``cut``, the last frame of beat ``k`` and the first of beat ``k + 1`` (``gap`` 1); across
a transition, the last frame before the overlap and the first after it (``gap`` = overlap + 1).
Their difference is measured after motion compensation (:func:`measure.compensated_mad`), so
a moving shot is not flagged for moving, and compared with the same measure on frame pairs the
same ``gap`` apart inside the two beats (up to :data:`PAIRS` pairs on each side): that is how
much the picture changes anyway. The excess is turned into a score::

    excess = max(0, residual_across - max(median_before, median_after))
    score  = exp(-excess / SCALE)        # 1: the join changes no more than the shots do

With ``SCALE`` 0.03 a score of 0.5 is an unexplained change of about 2% of full scale (5 of
255 levels) averaged over the picture: a visible pop. A colour cast, a different start image or
a cut to another scene scores far lower; codec noise and motion cancel out. :data:`MIN_SEAM` is
the default threshold (``storyrender check --min-seam``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..media import measure

__all__ = ["Join", "joins", "score_video", "score_frames", "SCALE", "MIN_SEAM", "PAIRS"]

SCALE = 0.03
MIN_SEAM = 0.5
PAIRS = 3


@dataclass(frozen=True)
class Join:
    """Where beat ``into`` (0-based) meets the one before it in the output frames."""

    into: int
    a: int  # the last frame of the previous beat before the join
    b: int  # the first frame of the next beat after it
    transition: str
    before: tuple[tuple[int, int], ...]  # reference frame pairs inside the previous beat
    after: tuple[tuple[int, int], ...]  # ... and inside the next one


def joins(pieces: Sequence[Mapping[str, Any]], n_beats: int,
          inner: Mapping[int, Sequence[int]] | None = None) -> list[Join]:
    """The joins of a timeline (:func:`storyrender.stitch.timeline.plan_pieces`, as dicts), plus
    the joins *inside* beats made of model-sized clips (*inner*: beat -> its clip frames where
    one clip meets the next; ``Join.into`` is then ``-1 - beat``)."""
    bodies = {p["beats"][0]: p for p in pieces if p["kind"] == "body"}
    junctions = {p["beats"][1]: p for p in pieces if p["kind"] == "junction"}
    out = []
    for k in range(1, n_beats):
        j = junctions.get(k)
        if j is not None:
            a, b, name = j["out_start"] - 1, j["out_start"] + j["frames"], j["transition"]
        elif k in bodies:
            b = bodies[k]["out_start"]
            a, name = b - 1, "cut"
        else:
            continue
        if a < 0:
            continue
        gap = b - a
        prev, nxt = bodies.get(k - 1), bodies.get(k)
        before = tuple((a - i - gap, a - i) for i in range(PAIRS)
                       if prev is not None and a - i - gap >= prev["out_start"])
        after = tuple((b + i, b + i + gap) for i in range(PAIRS)
                      if nxt is not None and b + i + gap < nxt["out_start"] + nxt["frames"])
        out.append(Join(k, a, b, name, before, after))
    for k, offsets in (inner or {}).items():
        body = bodies.get(int(k))
        if body is None:
            continue
        lo, hi = body["out_start"], body["out_start"] + body["frames"]
        for off in offsets:
            b = lo + int(off) - body["start"]
            if lo < b < hi:
                a = b - 1
                before = tuple((a - i - 1, a - i) for i in range(PAIRS) if a - i - 1 >= lo)
                after = tuple((b + i, b + i + 1) for i in range(PAIRS) if b + i + 1 < hi)
                out.append(Join(-1 - int(k), a, b, "clips", before, after))
    return out


def _frames(video: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """The frames of *video* at the indices *wanted*, small (see :func:`measure.small`)."""
    import av

    out: dict[int, np.ndarray] = {}
    last = max(wanted) if wanted else -1
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        w, h = stream.codec_context.width, stream.codec_context.height
        sw = min(w, measure.MEASURE_WIDTH)
        sh = max(2, round(h * sw / w)) // 2 * 2
        for i, frame in enumerate(c.decode(stream)):
            if i in wanted:
                out[i] = frame.to_ndarray(format="rgb24", width=sw, height=sh)
            if i >= last:
                break
    return out


def score_frames(join: Join, frames: Mapping[int, np.ndarray]) -> dict[str, Any]:
    """The seam record of *join* from its frames (indices missing from *frames* are skipped)."""
    a, b = frames.get(join.a), frames.get(join.b)
    if a is None or b is None:
        return {}
    residual, flow = measure.compensated_mad(a, b)

    def inside(pairs):
        vals = [measure.compensated_mad(frames[i], frames[j]) for i, j in pairs if i in frames and j in frames]
        return (statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals)) if vals else (0.0, 0.0)

    (rb, fb), (ra, fa) = inside(join.before), inside(join.after)
    ref = max(rb, ra)
    excess = max(0.0, residual - ref)
    return {
        "score": round(math.exp(-excess / SCALE), 4),
        "mad": round(measure.mad(a, b), 5),
        "residual": round(residual, 5),
        "residual_inside": round(ref, 5),
        "flow": round(flow, 5),
        "flow_inside": round(max(fb, fa), 5),
    }


def score_video(video: Path, pieces: Sequence[Mapping[str, Any]], beats: Sequence[Mapping[str, Any]],
                fps: int, *, min_seam: float = MIN_SEAM,
                inner: Mapping[int, Sequence[int]] | None = None) -> list[dict[str, Any]]:
    """A seam record per join of *video*: the beats it joins, its frames and time, its score.
    Joins inside a beat made of model-sized clips have ``from_beat == to_beat`` and ``inside``.

    :param beats: ``{"index", "id"}`` per beat, in order.
    """
    js = joins(pieces, len(beats), inner)
    wanted = {i for j in js for i in (j.a, j.b, *[x for p in j.before + j.after for x in p])}
    frames = _frames(video, wanted)
    out = []
    for j in js:
        rec = score_frames(j, frames)
        if not rec:
            continue
        prev, nxt = (beats[j.into - 1], beats[j.into]) if j.into > 0 else (beats[-1 - j.into],) * 2
        out.append({"from_beat": prev["index"], "to_beat": nxt["index"], "from": prev["id"], "to": nxt["id"],
                    "transition": j.transition, "frames": [j.a, j.b], "time": round(j.b / fps, 4),
                    **rec, "flagged": rec["score"] < min_seam, "inside": j.into < 0})
    return out


def as_dict(join: Join) -> dict:
    return asdict(join)
