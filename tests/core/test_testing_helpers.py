"""storyrender.testing: the media helpers plugin tests use for their fake vendors."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

from storyrender.media.probe import probe
from storyrender.testing import first_last_pngs, png_bytes, tiny_mp4, write_png


def test_png_bytes_is_a_solid_png_of_the_given_size_and_colour():
    data = png_bytes(32, 18, (1, 2, 3))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as img:
        assert (img.format, img.mode, img.size) == ("PNG", "RGB", (32, 18))
        assert img.getextrema() == ((1, 1), (2, 2), (3, 3))


def test_png_bytes_default_colour_other_format_and_determinism():
    with Image.open(io.BytesIO(png_bytes(8, 8))) as img:
        assert img.getpixel((4, 4)) == (200, 80, 40)
    with Image.open(io.BytesIO(png_bytes(16, 16, fmt="JPEG"))) as img:
        assert img.format == "JPEG" and img.size == (16, 16)
    assert png_bytes(10, 10, (9, 9, 9)) == png_bytes(10, 10, (9, 9, 9))
    assert png_bytes(10, 10, (9, 9, 9)) != png_bytes(10, 10, (9, 9, 8))


def test_write_png_creates_the_folder_and_returns_the_path(tmp_path):
    path = write_png(str(tmp_path / "a" / "b" / "k.png"), 20, 10, (0, 255, 0))
    assert path == tmp_path / "a" / "b" / "k.png"
    assert path.read_bytes() == png_bytes(20, 10, (0, 255, 0))


def test_first_last_pngs_are_two_different_keyframes(tmp_path):
    first, last = first_last_pngs(tmp_path, 48, 24)
    assert (first.name, last.name) == ("first.png", "last.png")
    assert first.parent == last.parent == tmp_path
    assert first.read_bytes() != last.read_bytes()
    for p in (first, last):
        with Image.open(p) as img:
            assert img.size == (48, 24)


def test_tiny_mp4_defaults(tmp_path):
    path = tiny_mp4(tmp_path / "sub" / "clip.mp4")
    assert path == tmp_path / "sub" / "clip.mp4"
    info = probe(path)
    assert (info.width, info.height, info.frames) == (64, 36, 12)
    assert info.fps == pytest.approx(12)
    assert info.duration == pytest.approx(1.0, abs=0.1)


def test_tiny_mp4_sizes_rates_and_a_visible_ramp(tmp_path):
    av = pytest.importorskip("av")
    path = tiny_mp4(tmp_path / "clip.mp4", frames=9, fps=8, width=160, height=90)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (160, 90, 9)
    assert info.fps == pytest.approx(8)
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 9
    red = [float(f[..., 0].mean()) for f in decoded]
    blue = [float(f[..., 2].mean()) for f in decoded]
    assert red[0] < 20 and red[-1] > 235 and red == sorted(red)  # the ramp goes red-wards ...
    assert blue[0] > 235 and blue[-1] < 20  # ... from blue


@pytest.mark.slow
def test_fixtures_imported_into_two_conftests_work_in_one_session(tmp_path):
    """The documented way to enable storyrender.testing_fixtures, with both folders collected at once."""
    for plugin in ("a", "b"):
        tests = tmp_path / plugin / "tests"
        tests.mkdir(parents=True)
        (tests / "conftest.py").write_text(
            "from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401\n", "utf-8")
        (tests / f"test_{plugin}.py").write_text(textwrap.dedent("""\
            from storyrender.media.probe import probe


            def test_fixtures(frames, mp4_bytes, tmp_path):
                first, last = frames
                assert first.read_bytes() != last.read_bytes()
                clip = tmp_path / "clip.mp4"
                clip.write_bytes(mp4_bytes)
                assert probe(clip).frames == 12
            """), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
