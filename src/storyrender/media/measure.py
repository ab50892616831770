"""Low-resolution image measures shared by seam scores, drift and colour match.

Everything works on small copies (at most :data:`MEASURE_WIDTH` pixels wide), values in 0..1:

* :func:`mad`: mean absolute difference of RGB, in units of full scale (1.0 = black vs white);
* :func:`compensated_mad`: the same after warping the first image onto the second with dense
  optical flow (OpenCV DIS, as the ``local`` provider's interpolation uses), so a frame pair that
  differs only by motion (a pan, a push-in, a walking figure) scores near 0, while a change of
  content or colour that no motion explains stays;
* :func:`ssim`: structural similarity of luma (Wang et al. 2004, Gaussian window);
* :func:`colour_distance`: Hellinger distance of per-channel 16-bin histograms (the palette,
  ignoring where colours are).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MEASURE_WIDTH", "small", "mad", "compensated_mad", "flow_magnitude", "ssim", "colour_distance",
           "edge_energy"]

#: images are measured at most this wide (height follows the aspect ratio)
MEASURE_WIDTH = 128


def small(img: np.ndarray, width: int = MEASURE_WIDTH) -> np.ndarray:
    """An RGB uint8 copy of *img* at most *width* pixels wide (area-averaged)."""
    import cv2

    img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    if w <= width:
        return img
    size = (width, max(2, round(h * width / w)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _grey(img: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute RGB difference, 0..1."""
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255.0)


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from *b* to *a*: for each pixel of *b*, where it is in *a* (pixels)."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    if min(a.shape[:2]) < 64:
        dis.setPatchSize(4)
        dis.setPatchStride(2)
    return dis.calc(_grey(b), _grey(a), None)


def compensated_mad(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``(residual, motion)``: the MAD left after warping *a* onto *b* by optical flow, and the
    flow's mean magnitude as a fraction of the image width. The residual is never above
    :func:`mad` (when the warp does not help, the plain difference is kept)."""
    import cv2

    f = _flow(a, b)
    h, w = b.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(a, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    motion = float(np.sqrt((f ** 2).sum(axis=2)).mean() / w)
    return min(mad(warped, b), mad(a, b)), motion


def flow_magnitude(a: np.ndarray, b: np.ndarray) -> float:
    """Mean optical-flow magnitude from *a* to *b*, as a fraction of the image width."""
    return compensated_mad(a, b)[1]


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of the luma of *a* and *b* (same size), -1..1 (1: identical)."""
    import cv2

    x, y = _grey(a).astype(np.float64), _grey(b).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return cv2.GaussianBlur(z, (0, 0), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def _hist(img: np.ndarray, bins: int = 16) -> np.ndarray:
    out = []
    for c in range(3):
        h = np.bincount((img[..., c].ravel() // (256 // bins)).astype(np.int64), minlength=bins).astype(np.float64)
        out.append(h / max(1.0, h.sum()))
    return np.array(out)


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Hellinger distance of the per-channel colour histograms of *a* and *b*, 0..1 (sizes may differ)."""
    ha, hb = _hist(a), _hist(b)
    per_channel = np.sqrt(np.clip(1.0 - np.sqrt(ha * hb).sum(axis=1), 0.0, 1.0))
    return float(per_channel.mean())


def edge_energy(img: np.ndarray) -> float:
    """Mean absolute Sobel gradient of the full-size luma (x plus y, 0..255 scale): the legibility measure of
    keyframes. Resampling artefacts (moire, piled-up silhouettes, ghost text) raise it; a clean panel keeps it
    near that of a fresh drawing, so a keyframe's ratio to keyframe 0 shows degradation over a long board."""
    import cv2

    g = cv2.cvtColor(np.ascontiguousarray(img[..., :3], dtype=np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)).mean() + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1)).mean())
