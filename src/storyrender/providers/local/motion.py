"""Segments of the ``local`` provider: optical-flow interpolation and camera moves.

:func:`interpolate` computes dense optical flow (OpenCV DIS) once per segment, forward and
backward, on downscaled grey images; each in-between frame warps both keyframes toward its
time with :func:`cv2.remap` and blends them with weights ``(1 - t, t)``. The flow toward time
``t`` uses the quadratic approximation of Jiang et al. (Super SloMo, 2018)::

    F(t->0) = -(1 - t) t F(0->1) + t^2 F(1->0)
    F(t->1) = (1 - t)^2 F(0->1) - t (1 - t) F(1->0)

:func:`extend` (extend mode: a first frame only) applies the camera move of
:func:`storyrender.providers.local.draw.camera_matrix` progressively, with eased timing.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from . import draw

__all__ = ["interpolate", "extend", "flow_pair"]

#: the flow is computed on images at most this many pixels high
FLOW_HEIGHT = 288


def _grey(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if (g.shape[1], g.shape[0]) != size:
        g = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
    return g


def _consistent(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Confidence (0..1) of forward flow *f* given backward flow *g* (forward-backward check).

    Where the two disagree (content that appears, vanishes or changes), the flow is not a
    motion: those pixels are better cross-faded in place than dragged across the frame.
    """
    import cv2

    h, w = f.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    back = cv2.remap(g, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    err = np.sqrt(((f + back) ** 2).sum(axis=2))
    mag = np.sqrt((f**2).sum(axis=2))
    tol = 0.75 + 0.12 * mag
    conf = np.clip(1.5 - err / tol, 0.0, 1.0)
    conf = cv2.erode(conf, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(conf, (0, 0), 2.0)


def _fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    import cv2

    if len(src) < 6:
        return None
    m, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0,
                                             maxIters=1000, confidence=0.995, refineIters=10)
    if m is None or inliers is None or inliers.sum() < max(6, 0.25 * len(src)):
        return None
    return m


def _candidates(g0: np.ndarray, g1: np.ndarray) -> list[np.ndarray]:
    """Guesses of the global motion: phase correlation, Lucas-Kanade tracks, ORB matches."""
    import cv2

    h, w = g0.shape[:2]
    out: list[np.ndarray] = []
    win = cv2.createHanningWindow((w, h), cv2.CV_32F)
    (sx, sy), _ = cv2.phaseCorrelate(g0.astype(np.float32), g1.astype(np.float32), win)
    out.append(np.array([[1, 0, sx], [0, 1, sy]], np.float64))
    pts = cv2.goodFeaturesToTrack(g0, maxCorners=400, qualityLevel=0.005, minDistance=max(3, h // 40),
                                  blockSize=5)
    if pts is not None and len(pts) >= 6:
        lk = dict(winSize=(21, 21), maxLevel=4)
        shift = np.array([sx, sy], np.float32)
        for guess in (None, shift):
            if guess is None:
                nxt, st, _ = cv2.calcOpticalFlowPyrLK(g0, g1, pts, None, **lk)
                back, st2, _ = cv2.calcOpticalFlowPyrLK(g1, g0, nxt, None, **lk)
            else:
                flags = cv2.OPTFLOW_USE_INITIAL_FLOW
                nxt, st, _ = cv2.calcOpticalFlowPyrLK(g0, g1, pts, pts + guess, flags=flags, **lk)
                back, st2, _ = cv2.calcOpticalFlowPyrLK(g1, g0, nxt, nxt - guess, flags=flags, **lk)
            ok = (st.ravel() == 1) & (st2.ravel() == 1) & (np.abs(back - pts).reshape(-1, 2).max(axis=1) < 1.0)
            m = _fit(pts[ok], nxt[ok])
            if m is not None:
                out.append(m)
    orb = cv2.ORB_create(nfeatures=1500, fastThreshold=5, edgeThreshold=15, patchSize=15)
    k0, d0 = orb.detectAndCompute(g0, None)
    k1, d1 = orb.detectAndCompute(g1, None)
    if d0 is not None and d1 is not None and len(k0) >= 6 and len(k1) >= 6:
        matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d0, d1)
        if len(matches) >= 6:
            src = np.float32([k0[m.queryIdx].pt for m in matches])
            dst = np.float32([k1[m.trainIdx].pt for m in matches])
            m = _fit(src, dst)
            if m is not None:
                out.append(m)
    return out


def _global_affine(g0: np.ndarray, g1: np.ndarray) -> np.ndarray | None:
    """The camera-like (similarity) motion from *g0* to *g1* as a 2x3 matrix, or None.

    Several estimators propose a motion (phase correlation for plain pans, pyramidal
    Lucas-Kanade for small moves, ORB feature matching for large zooms and rotations); the one
    that best predicts *g1* from *g0* wins, and None (no global motion) when none beats
    standing still.
    """
    import cv2

    h, w = g0.shape[:2]
    if min(h, w) < 24:
        return None
    a = cv2.GaussianBlur(g0, (0, 0), 1.0).astype(np.float32)
    b = cv2.GaussianBlur(g1, (0, 0), 1.0).astype(np.float32)
    ones = np.ones_like(a)

    def score(m: np.ndarray) -> float:
        """Correlation of g0 moved by *m* with g1, where the moved g0 covers g1 (robust to grading)."""
        pred = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_LINEAR)
        valid = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_NEAREST) > 0
        if valid.mean() < 0.3:
            return -1.0
        p, q = pred[valid], b[valid]
        p, q = p - p.mean(), q - q.mean()
        den = float(np.sqrt((p * p).sum() * (q * q).sum()))
        return float((p * q).sum() / den) if den > 0 else -1.0

    best, best_score = None, score(np.array([[1, 0, 0], [0, 1, 0]], np.float64)) + 0.01
    for m in _candidates(g0, g1):
        sc = score(m)
        if sc > best_score:
            best, best_score = m, sc
    return None if best is None else best.astype(np.float32)


def _normalise(g: np.ndarray) -> np.ndarray:
    """Grey image stretched to a common mean and contrast, so a colour grade does not read as motion."""
    f = g.astype(np.float32)
    std = float(f.std()) or 1.0
    return np.clip((f - float(f.mean())) * (48.0 / std) + 128.0, 0, 255).astype(np.uint8)


def _affine_field(m: np.ndarray | None, w: int, h: int) -> np.ndarray:
    """Displacement field (h, w, 2) of the affine *m* (zeros when None)."""
    if m is None:
        return np.zeros((h, w, 2), np.float32)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    dx = m[0, 0] * gx + m[0, 1] * gy + m[0, 2] - gx
    dy = m[1, 0] * gx + m[1, 1] * gy + m[1, 2] - gy
    return np.dstack([dx, dy]).astype(np.float32)


def flow_pair(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward dense flow ``(F01, F10)`` at full resolution, float32 (H, W, 2), in pixels.

    A global camera-like motion is estimated first and seeds DIS; where the dense flow fails
    the forward-backward consistency check (content that appears or vanishes), the flow falls
    back to that global motion, so new elements ride along with the camera and fade in.
    """
    import cv2

    h, w = first.shape[:2]
    scale = min(1.0, FLOW_HEIGHT / float(h))
    sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
    g0, g1 = _normalise(_grey(first, (sw, sh))), _normalise(_grey(last, (sw, sh)))
    m01 = _global_affine(g0, g1)
    m10 = cv2.invertAffineTransform(m01).astype(np.float32) if m01 is not None else None
    base01, base10 = _affine_field(m01, sw, sh), _affine_field(m10, sw, sh)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    if min(sw, sh) < 64:  # tiny frames: small patches
        dis.setPatchSize(4)
        dis.setPatchStride(2)
    f01 = cv2.GaussianBlur(dis.calc(g0, g1, base01.copy()), (0, 0), 1.0)
    f10 = cv2.GaussianBlur(dis.calc(g1, g0, base10.copy()), (0, 0), 1.0)
    c01, c10 = _consistent(f01, f10), _consistent(f10, f01)
    out = []
    for f, c, base in ((f01, c01, base01), (f10, c10, base10)):
        f = f * c[..., None] + base * (1.0 - c[..., None])
        if (sw, sh) != (w, h):
            f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
            f[..., 0] *= w / float(sw)
            f[..., 1] *= h / float(sh)
        out.append(np.ascontiguousarray(f, dtype=np.float32))
    return out[0], out[1]


def interpolate(first: np.ndarray, last: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """Yield ``n + 1`` RGB frames from *first* (frame 0, identical) to *last* (frame n, identical).

    When both keyframes carry the previz bars, only the scene band is interpolated by flow;
    the bars (text) cross-fade to the last keyframe's over the first few frames, so the
    segment shows its own beat's text instead of two texts warped into each other.
    """
    import cv2

    n = int(n)
    if n < 1:
        raise ValueError("interpolate needs n >= 1")
    first = np.ascontiguousarray(first[..., :3], dtype=np.uint8)
    last = np.ascontiguousarray(last[..., :3], dtype=np.uint8)
    if first.shape != last.shape:
        raise ValueError(f"keyframes differ in size: {first.shape} vs {last.shape}")
    yield first.copy()
    if n == 1:
        yield last.copy()
        return
    h, w = first.shape[:2]
    lay = draw.layout(w, h)
    y0, y1 = lay.band
    bars = y1 - y0 > 8 and _has_bars(first, y0, y1) and _has_bars(last, y0, y1)
    if not bars:
        y0, y1 = 0, h
    a, b = first[y0:y1], last[y0:y1]
    bh = y1 - y0
    f01, f10 = flow_pair(a, b)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(bh, dtype=np.float32))
    grid = np.ascontiguousarray(np.dstack([gx, gy]))
    map0 = np.empty_like(grid)
    map1 = np.empty_like(grid)
    w0 = np.empty_like(a)
    w1 = np.empty_like(a)
    text_frames = max(1, min(n - 1, round(n * 0.12)))
    for k in range(1, n):
        t = k / n
        # map0 = grid + a0 * F01 + b0 * F10 ; map1 = grid + a1 * F01 + b1 * F10
        a0, b0 = -(1 - t) * t, t * t
        a1, b1 = (1 - t) * (1 - t), -t * (1 - t)
        cv2.scaleAdd(f01, a0, grid, map0)
        cv2.scaleAdd(f10, b0, map0, map0)
        cv2.scaleAdd(f01, a1, grid, map1)
        cv2.scaleAdd(f10, b1, map1, map1)
        cv2.remap(a, map0, None, cv2.INTER_LINEAR, dst=w0, borderMode=cv2.BORDER_REFLECT101)
        cv2.remap(b, map1, None, cv2.INTER_LINEAR, dst=w1, borderMode=cv2.BORDER_REFLECT101)
        if not bars:
            yield cv2.addWeighted(w0, 1 - t, w1, t, 0.0)
            continue
        frame = np.empty_like(first)
        cv2.addWeighted(w0, 1 - t, w1, t, 0.0, dst=frame[y0:y1])
        tt = min(1.0, k / text_frames)
        if tt >= 1.0:
            frame[:y0] = last[:y0]
            frame[y1:] = last[y1:]
        else:
            frame[:y0] = cv2.addWeighted(first[:y0], 1 - tt, last[:y0], tt, 0.0)
            frame[y1:] = cv2.addWeighted(first[y1:], 1 - tt, last[y1:], tt, 0.0)
        yield frame
    yield last.copy()


def _ease(t: float) -> float:
    """Smooth start and stop (smoothstep)."""
    return t * t * (3 - 2 * t)


def extend(first: np.ndarray, n: int, prompt: str, seed: int, *, camera: str | None,
           fps: float = 24.0) -> Iterator[np.ndarray]:
    """Yield ``n + 1`` frames: *first*, then a smooth camera move over its scene (extend mode).

    The move's size follows the segment's length (``n / fps`` seconds). When *first* has the
    previz bars, only the scene band moves and the bars (with the first frame's text) stay put.
    """
    import cv2

    n = int(n)
    if n < 1:
        raise ValueError("extend needs n >= 1")
    first = np.ascontiguousarray(first[..., :3], dtype=np.uint8)
    h, w = first.shape[:2]
    yield first.copy()
    lay = draw.layout(w, h)
    y0, y1 = lay.band
    if not _has_bars(first, y0, y1):
        y0, y1 = 0, h
    band = first[y0:y1]
    bh = y1 - y0
    move, strength = draw.camera_move(camera, int(seed), prompt)
    seconds = n / float(fps or 24.0)
    for k in range(1, n + 1):
        t = _ease(k / n)
        frame = first.copy()
        if move != "static" and bh > 1:
            m = draw.camera_matrix(move, strength, seconds, w, bh, t=t)
            frame[y0:y1] = cv2.warpAffine(band, m, (w, bh), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REFLECT101)
        yield frame


def _has_bars(img: np.ndarray, y0: int, y1: int) -> bool:
    """True when the rows outside ``[y0, y1)`` are mostly the previz bar colour."""
    h = img.shape[0]
    rows = []
    if y0 > 0:
        rows.append(img[: max(1, y0 // 3)])
    if y1 < h:
        rows.append(img[h - max(1, (h - y1) // 5):])
    if not rows:
        return False
    bars = np.concatenate([r.reshape(-1, 3) for r in rows]).astype(np.int16)
    close = np.abs(bars - np.array(draw.BAR_RGB, np.int16)).max(axis=1) <= 6
    return bool(close.mean() > 0.6)
