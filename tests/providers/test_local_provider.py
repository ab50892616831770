"""The built-in offline ``local`` provider: keyframes, camera moves, interpolation, video, voice."""

from __future__ import annotations

import shutil
import struct
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from storyrender.media.probe import probe, read_frames
from storyrender.providers.base import ImageRequest, KeyframeRequest, RunContext, SpeechRequest, VideoRequest
from storyrender.providers.local import draw, motion, voice
from storyrender.providers.local.plugin import LocalProvider

W, H = 160, 90
PROMPT = "A cat steps into a magical forest at dusk"
NEXT = "The cat approaches a glowing ancient tree"


def kf(prompt: str = PROMPT, seed: int = 42, w: int = W, h: int = H, **kw) -> np.ndarray:
    kw.setdefault("label", "beat 1")
    kw.setdefault("timecode", "00:00")
    return draw.draw_keyframe(prompt, seed, w, h, **kw)


def band(img: np.ndarray) -> np.ndarray:
    y0, y1 = draw.layout(img.shape[1], img.shape[0]).band
    return img[y0:y1]


def grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Translation (dx, dy) that moves the content of *a* onto *b* (phase correlation)."""
    ga, gb = grey(a), grey(b)
    win = cv2.createHanningWindow((ga.shape[1], ga.shape[0]), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(ga, gb, win)
    return dx, dy


def flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from *a* to *b* (a plain OpenCV DIS measurement, independent of the renderer)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(grey(a).astype(np.uint8), grey(b).astype(np.uint8), None)


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# --------------------------------------------------------------------------------------------
# keyframes


def test_keyframe_shape_and_determinism(tmp_path):
    a, b = kf(), kf()
    assert a.shape == (H, W, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    draw.save_png(a, tmp_path / "a.png")
    draw.save_png(b, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_seed_and_prompt_change_the_picture():
    base = kf()
    assert mae(band(base), band(kf(seed=43))) > 3
    assert mae(band(base), band(kf("A lighthouse on a stormy sea at night"))) > 3


def test_prompt_label_and_timecode_are_drawn():
    with_text = kf()
    without = kf("")
    lay = draw.layout(W, H)
    y0, y1 = lay.band
    assert mae(with_text[y1:], without[y1:]) > 1.0  # the prompt is in the bottom bar
    other_label = kf(label="beat 12", timecode="01:40")
    assert not np.array_equal(with_text[:y0], other_label[:y0])  # label and time code in the top bar


def test_previz_mark_and_legible_sizes_at_720p():
    img = kf(w=1280, h=720)
    lay = draw.layout(1280, 720)
    top = img[: lay.top]
    bar = np.array(draw.BAR_RGB)
    # the right half of the top bar holds the PREVIZ badge (accent-filled) and its text
    ink = np.abs(top[:, 640:].astype(int) - bar).max(axis=2) > 40
    assert ink.mean() > 0.05
    assert draw.PREVIZ_MARK == "PREVIZ · animatic, not AI imagery"


@pytest.mark.parametrize("prompt", [
    "",
    "🐱🌲✨ emoji only",
    "مرحبا بالعالم — שלום עולם",
    "quotes \"and\" 'apostrophes'\nnew\tline \x00 nul \ud800 surrogate",
    "word " * 400,
    "Supercalifragilisticexpialidocious" * 10,
])
@pytest.mark.parametrize("size", [(160, 90), (32, 18), (4, 4)])
def test_odd_prompts_and_tiny_sizes_never_crash(prompt, size):
    w, h = size
    img = kf(prompt, w=w, h=h, label="beat 9999 with a very long label", timecode="123:45:67")
    assert img.shape == (h, w, 3)
    nxt = draw.next_keyframe(img, prompt, 1, camera="orbit", seconds=5, label="b", timecode="t")
    assert nxt.shape == (h, w, 3)


# --------------------------------------------------------------------------------------------
# camera moves


CW, CH = 320, 180  # camera tests measure motion: a little more room than 160x90


@pytest.fixture(scope="module")
def prev_frame():
    return kf(w=CW, h=CH)


def next_of(prev, camera, seconds=5.0, prompt=NEXT, seed=42):
    return draw.next_keyframe(prev, prompt, seed, camera=camera, seconds=seconds, label="beat 2", timecode="00:05")


@pytest.mark.parametrize("camera, sign_x, sign_y", [
    ("pan-left", +1, 0),   # the camera turns left: the scene slides right
    ("Slow PAN RIGHT across the trees", -1, 0),
    ("tilt-up", 0, +1),    # the camera tilts up: the scene slides down
    ("tilt down", 0, -1),
])
def test_pan_and_tilt_directions(prev_frame, camera, sign_x, sign_y):
    dx, dy = shift(band(prev_frame), band(next_of(prev_frame, camera)))
    for d, sign in ((dx, sign_x), (dy, sign_y)):
        if sign:
            assert d * sign > 5, (camera, dx, dy)
        else:
            assert abs(d) < 2, (camera, dx, dy)


def test_move_grows_with_seconds(prev_frame):
    short, _ = shift(band(prev_frame), band(next_of(prev_frame, "pan-left", seconds=1)))
    long, _ = shift(band(prev_frame), band(next_of(prev_frame, "pan-left", seconds=5)))
    assert 0 < short < long - 5


def _divergence_and_curl(a, b):
    f = flow(band(a), band(b))
    h, w = f.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    rx, ry = xs - w / 2, ys - h / 2
    div = float((f[..., 0] * rx + f[..., 1] * ry).mean() / (rx**2 + ry**2).mean())
    curl = float((f[..., 1] * rx - f[..., 0] * ry).mean() / (rx**2 + ry**2).mean())
    return div, curl


def test_push_in_scales_up_and_pull_out_scales_down(prev_frame):
    div_in, _ = _divergence_and_curl(prev_frame, next_of(prev_frame, "zoom-in"))
    div_out, _ = _divergence_and_curl(prev_frame, next_of(prev_frame, "pull-out"))
    assert div_in > 0.12, div_in      # content moves away from the centre
    assert div_out < -0.06, div_out   # content moves toward the centre


def test_orbit_rotates(prev_frame):
    _, curl = _divergence_and_curl(prev_frame, next_of(prev_frame, "orbit left"))
    _, curl_static = _divergence_and_curl(prev_frame, next_of(prev_frame, "static"))
    # the next keyframe carries the previous one at draw.CARRY (the rest is drawn fresh), which dilutes the
    # measured flow: the rotation is judged against a static camera's
    assert abs(curl) > 0.025 and abs(curl) > 5 * abs(curl_static), (curl, curl_static)


def test_static_keeps_the_scene_in_place(prev_frame):
    nxt = next_of(prev_frame, "static")
    dx, dy = shift(band(prev_frame), band(nxt))
    assert abs(dx) < 1 and abs(dy) < 1
    assert not np.array_equal(band(prev_frame), band(nxt))  # new elements from the new prompt


def test_next_keyframe_is_deterministic_and_moves_without_hint(prev_frame):
    a, b = next_of(prev_frame, None), next_of(prev_frame, None)
    assert np.array_equal(a, b)
    f = flow(band(prev_frame), band(a))
    assert np.abs(f).mean() > 1.0  # a gentle move is picked from the seed
    assert not np.array_equal(a, next_of(prev_frame, None, prompt="Something else entirely"))


def test_next_keyframe_moves_the_scene_not_the_old_text(prev_frame):
    nxt = next_of(prev_frame, "pan-left")
    y0, y1 = draw.layout(CW, CH).band
    fresh = kf(NEXT, w=CW, h=CH, label="beat 2", timecode="00:05")
    assert np.array_equal(nxt[y1:], fresh[y1:])  # bottom bar: exactly the new prompt
    assert np.array_equal(nxt[:y0], draw.next_keyframe(kf("other", w=CW, h=CH), NEXT, 42, camera="pan-left",
                                                       seconds=5, label="beat 2", timecode="00:05")[:y0])


# --------------------------------------------------------------------------------------------
# interpolation


def test_interpolate_endpoints_are_the_keyframes():
    a = kf()
    b = draw.next_keyframe(a, NEXT, 42, camera="push-in", seconds=5, label="beat 2", timecode="00:05")
    frames = list(motion.interpolate(a, b, 8))
    assert len(frames) == 9
    assert frames[0].tobytes() == a.tobytes() and frames[-1].tobytes() == b.tobytes()
    assert all(f.shape == a.shape and f.dtype == np.uint8 for f in frames)
    assert len(list(motion.interpolate(a, b, 1))) == 2


def test_interpolate_is_deterministic():
    a = kf(w=CW, h=CH)
    b = draw.next_keyframe(a, NEXT, 42, camera="orbit", seconds=5, label="beat 2", timecode="00:05")
    one, two = list(motion.interpolate(a, b, 6)), list(motion.interpolate(a, b, 6))
    assert all(x.tobytes() == y.tobytes() for x, y in zip(one, two))
    assert mae(one[3], cv2.addWeighted(a, 0.5, b, 0.5, 0)) > 1  # not a plain cross-fade


def _square_scene(x: int, w: int = W, h: int = H) -> np.ndarray:
    rng = np.random.default_rng(5)
    img = np.full((h, w, 3), 90, np.uint8)
    blobs = rng.integers(110, 255, size=(6, 6, 3)).astype(np.float32)
    tex = np.clip(cv2.resize(blobs, (24, 24), interpolation=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)
    y = (h - 24) // 2
    img[y:y + 24, x:x + 24] = tex
    return img


def test_interpolation_follows_motion_better_than_a_crossfade():
    a, b, truth = _square_scene(30), _square_scene(70), _square_scene(50)
    frames = list(motion.interpolate(a, b, 8))
    mid = frames[4]
    fade = cv2.addWeighted(a, 0.5, b, 0.5, 0)
    err_mid, err_fade = mae(mid, truth), mae(fade, truth)
    assert err_mid < 0.5 * err_fade, (err_mid, err_fade)
    # and the square's centre is near the midpoint
    ink = np.abs(mid.astype(int) - 90).max(axis=2) > 25
    xs = np.nonzero(ink)[1]
    assert abs(xs.mean() - (50 + 12)) < 3


# --------------------------------------------------------------------------------------------
# extend mode


def test_extend_starts_on_the_frame_and_moves_smoothly():
    a = kf(w=CW, h=CH)
    frames = list(motion.extend(a, 12, NEXT, 3, camera="pan-right"))
    assert len(frames) == 13 and frames[0].tobytes() == a.tobytes()
    xs = [shift(band(a), band(f))[0] for f in frames[1:]]
    assert xs[-1] < -5  # camera pans right: the scene slides left
    assert all(x1 <= x0 + 0.5 for x0, x1 in zip(xs, xs[1:]))  # monotonic
    assert np.array_equal(frames[-1][:draw.layout(CW, CH).top], a[:draw.layout(CW, CH).top])  # bars stay
    again = list(motion.extend(a, 12, NEXT, 3, camera="pan-right"))
    assert all(np.array_equal(x, y) for x, y in zip(frames, again))


# --------------------------------------------------------------------------------------------
# PNG I/O


def _chunks(data: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return out


def test_png_has_no_metadata_and_round_trips(tmp_path):
    img = kf()
    draw.save_png(img, tmp_path / "k.png")
    assert _chunks((tmp_path / "k.png").read_bytes()) == [b"IHDR", b"IDAT", b"IEND"]
    assert np.array_equal(draw.load_png(tmp_path / "k.png", W, H), img)


def test_load_png_letterboxes_any_image(tmp_path):
    Image.new("RGBA", (50, 100), (255, 0, 0, 255)).save(tmp_path / "tall.png")
    Image.new("RGB", (640, 360), (0, 200, 0)).save(tmp_path / "big.jpg", quality=95)
    tall = draw.load_png(tmp_path / "tall.png", W, H)
    assert tall.shape == (H, W, 3)
    assert tall[H // 2, W // 2].tolist() == [255, 0, 0] and tall[H // 2, 2].tolist() == [0, 0, 0]
    big = draw.load_png(tmp_path / "big.jpg", W, H)
    assert big.shape == (H, W, 3) and abs(int(big[H // 2, W // 2, 1]) - 200) < 4


# --------------------------------------------------------------------------------------------
# the provider end to end


def test_provider_renders_keyframes_and_a_segment(tmp_path):
    # 320x180: at 160x90 the 4:2:0 chroma of tiny coloured text alone costs about 3 levels of error
    p = LocalProvider()
    k0 = p.text_to_image(ImageRequest(model="animatic", prompt=PROMPT, seed=42, width=CW, height=CH,
                                      hints={"label": "beat 1", "timecode": "00:00"}),
                         RunContext(tmp_path / "k0.png")).path
    k1 = p.next_keyframe(KeyframeRequest(model="animatic", prompt=NEXT, seed=42, width=CW, height=CH, previous=k0,
                                         seconds=1, hints={"label": "beat 2", "timecode": "00:01",
                                                           "camera": "push-in"}),
                         RunContext(tmp_path / "k1.png")).path
    res = p.video(VideoRequest(model="animatic", prompt=NEXT, seed=42, width=CW, height=CH, first=k0, last=k1,
                               seconds=1, fps=8), RunContext(tmp_path / "seg.mp4"))
    assert res.info["frames"] == 9
    info = probe(res.path)
    assert (info.width, info.height, info.frames) == (CW, CH, 9)
    frames = list(read_frames(res.path))
    assert len(frames) == 9
    assert mae(frames[0], draw.load_png(k0, CW, CH)) < 3
    assert mae(frames[-1], draw.load_png(k1, CW, CH)) < 3


def test_provider_extend_segment(tmp_path):
    k0 = tmp_path / "k0.png"
    draw.save_png(kf(w=CW, h=CH), k0)
    res = LocalProvider().video(VideoRequest(model="animatic", prompt=NEXT, seed=1, width=CW, height=CH, first=k0,
                                             last=None, seconds=1, fps=8, hints={"camera": "tilt-up"}),
                                RunContext(tmp_path / "ext.mp4"))
    assert probe(res.path).frames == 9
    assert mae(next(iter(read_frames(res.path))), kf(w=CW, h=CH)) < 3


# --------------------------------------------------------------------------------------------
# voice


def _wav(path: Path) -> tuple[int, int, int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return w.getframerate(), w.getsampwidth(), w.getnchannels(), data


def test_voice_falls_back_to_silence_without_espeak(tmp_path, monkeypatch):
    monkeypatch.setattr(voice.shutil, "which", lambda name: None)
    info = voice.speak("Every forest has a heart.", tmp_path / "say.wav")
    assert info == {"silent": True, "seconds": 0.5, "warning": voice.MISSING_WARNING}
    assert "sudo apt-get install espeak-ng" in info["warning"]
    rate, width, channels, data = _wav(tmp_path / "say.wav")
    assert (rate, width, channels, len(data)) == (48000, 2, 1, 24000) and not data.any()
    logs: list[str] = []
    LocalProvider().speech(SpeechRequest(model="espeak", text="hi"), RunContext(tmp_path / "p.wav", log=logs.append))
    assert logs == [voice.MISSING_WARNING]


@pytest.mark.skipif(shutil.which("espeak-ng") is None,
                    reason="espeak-ng is not installed (sudo apt-get install espeak-ng); only the silent "
                           "fallback is tested")
def test_voice_speaks_with_espeak(tmp_path):
    text = 'She said "hello"\nand then; left -- $(echo nope) 🐱'
    info = voice.speak(text, tmp_path / "say.wav")
    assert info["silent"] is False and info["seconds"] > 1.0
    rate, width, channels, data = _wav(tmp_path / "say.wav")
    assert (rate, width) == (48000, 2) and channels in (1, 2)
    assert abs(len(data) / channels / rate - info["seconds"]) < 0.01
    assert np.abs(data.astype(np.int32)).max() > 1000  # not silence
    assert not (tmp_path / "nope").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["say.wav"]  # no temporary files left behind
