"""The plugin toolkit (storyrender.providers.kit) and the shared text wrap (storyrender.text)."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time
from email.utils import formatdate

import pytest
from PIL import Image

from storyrender.errors import ProviderError, TransientError
from storyrender.providers import kit
from storyrender.providers.base import ImageRequest, Job
from storyrender.text import wrap_text

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01"


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def stripes(width: int, height: int, colours: list[tuple[int, int, int]]) -> Image.Image:
    """Vertical stripes of equal width, left to right."""
    img = Image.new("RGB", (width, height))
    step = width // len(colours)
    for i, c in enumerate(colours):
        img.paste(c, (i * step, 0, (i + 1) * step, height))
    return img


# -- sizes and ratios ---------------------------------------------------------------------------


@pytest.mark.parametrize("size, ratio", [((1280, 720), "16:9"), ((720, 1280), "9:16"), ((500, 500), "1:1"),
                                         ((1366, 768), "683:384")])
def test_aspect_of_is_in_lowest_terms(size, ratio):
    assert kit.aspect_of(*size) == ratio


def test_nearest_aspect_compares_on_a_log_scale():
    choices = ("1:1", "16:9", "9:16", "3:4")
    assert kit.nearest_aspect(1280, 720, choices) == "16:9"
    assert kit.nearest_aspect(720, 1280, choices) == "9:16"
    # 1000x1200 (ratio 0.833): 3:4 is nearer than 1:1 on a log scale (0.105 against 0.182)
    assert kit.nearest_aspect(1000, 1200, choices) == "3:4"
    assert kit.nearest_aspect(1000, 1000, ("4:3", "1:1")) == "1:1"
    assert kit.nearest_aspect(1000, 1000, ("4:3", "3:4")) == "4:3"  # a tie: the first one


# -- images -------------------------------------------------------------------------------------


def test_fit_image_scales_to_cover_and_crops_the_centre():
    img = stripes(300, 100, [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    out = kit.fit_image(encode(img), 100, 100)
    assert out.size == (100, 100) and out.mode == "RGB"
    assert out.getpixel((0, 0)) == (0, 255, 0) and out.getpixel((99, 99)) == (0, 255, 0)


def test_fit_image_upscales_a_small_image_and_takes_a_pillow_image():
    out = kit.fit_image(Image.new("L", (10, 10), 200), 40, 20)
    assert out.size == (40, 20) and out.mode == "RGB" and out.getpixel((20, 10)) == (200, 200, 200)


def test_fit_image_puts_transparent_parts_on_black():
    img = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    img.paste((0, 0, 255, 255), (10, 0, 20, 20))
    out = kit.fit_image(img, 20, 20)
    assert out.getpixel((2, 10)) == (0, 0, 0) and out.getpixel((17, 10)) == (0, 0, 255)


def test_fit_image_rejects_bytes_that_are_not_an_image():
    with pytest.raises(ValueError, match="not an image"):
        kit.fit_image(b"<html>oops</html>", 10, 10)


def test_save_png_fitted_writes_a_png_and_reports_the_native_size(tmp_path):
    path = tmp_path / "deep" / "k0.png"
    facts = kit.save_png_fitted(encode(stripes(96, 54, [(0, 99, 0)]), "JPEG"), path, 64, 36, who="v/m")
    assert facts == {"native_size": [96, 54]}
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        assert img.size == (64, 36)
    assert sorted(p.name for p in path.parent.iterdir()) == ["k0.png"]  # no temporary file left


def test_save_png_fitted_on_bad_data_names_the_vendor_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "k0.png"
    path.write_bytes(b"old")
    with pytest.raises(ProviderError, match=r"^v/model: the returned file is not an image \(7 bytes\)") as err:
        kit.save_png_fitted(b"garbage", path, 8, 8, who="v/model", job_id="j1")
    assert err.value.job_id == "j1" and not isinstance(err.value, TransientError)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["k0.png"]


def test_png_bytes_keeps_a_png_and_re_encodes_other_formats(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(encode(Image.new("RGB", (4, 3), (1, 2, 3))))
    assert kit.png_bytes(png) == png.read_bytes()

    tiff = tmp_path / "b.tiff"
    tiff.write_bytes(encode(Image.new("RGBA", (5, 2), (9, 8, 7, 100)), "TIFF"))
    data = kit.png_bytes(tiff)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as img:
        assert img.mode == "RGBA" and img.size == (5, 2) and img.getpixel((0, 0)) == (9, 8, 7, 100)

    jpeg = tmp_path / "c.jpg"
    jpeg.write_bytes(encode(Image.new("RGB", (6, 6), (255, 255, 255)), "JPEG"))
    with Image.open(io.BytesIO(kit.png_bytes(jpeg))) as img:
        assert img.format == "PNG" and img.mode == "RGB"


def test_data_uri_of_a_file_and_of_bytes(tmp_path):
    jpg = tmp_path / "frame.jpg"
    jpg.write_bytes(b"\xff\xd8jpeg")
    assert kit.data_uri(jpg) == "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8jpeg").decode()
    odd = tmp_path / "frame.unknownext"
    odd.write_bytes(b"x")
    assert kit.data_uri(odd).startswith("data:image/png;base64,")
    assert kit.data_uri(b"abc", "video/mp4") == "data:video/mp4;base64,YWJj"


# -- videos -------------------------------------------------------------------------------------


def test_check_video_sniffs_mp4_and_webm():
    assert kit.check_video(MP4) == "mp4"
    assert kit.check_video(WEBM) == "webm"
    with pytest.raises(ValueError, match=r"not an MP4 or WebM video \(17 bytes\)"):
        kit.check_video(b"<html>oops</html>")
    with pytest.raises(ValueError, match="the returned clip is webm, not MP4"):
        kit.check_video(WEBM, accept=("mp4",))


def test_save_video_writes_an_mp4_and_refuses_anything_else(tmp_path):
    out = tmp_path / "seg" / "s.mp4"
    assert kit.save_video(MP4, out, who="v/m") == "mp4"
    assert out.read_bytes() == MP4
    other = tmp_path / "t.mp4"
    with pytest.raises(ProviderError, match=r"^v/m: the returned clip is webm, not MP4") as err:
        kit.save_video(WEBM, other, who="v/m", job_id="p1")
    assert err.value.job_id == "p1" and not other.exists() and list(tmp_path.iterdir()) == [tmp_path / "seg"]


def test_atomic_output_replaces_only_on_success(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with kit.atomic_output(path) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.bin"]
    with kit.atomic_output(path) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["x.bin"]


# -- HTTP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after-ms": "10", "retry-after": "3"}, 0.01),
    ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
    ({"retry-after": "-4"}, None),
    ({"retry-after": "not a date"}, None),
    ({}, None),
    (None, None),
])
def test_retry_after_seconds(headers, expected):
    assert kit.retry_after_seconds(headers) == (pytest.approx(expected) if expected is not None else None)


def test_retry_after_as_an_http_date():
    later = kit.retry_after_seconds({"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    assert later is not None and 110 < later <= 120
    assert kit.retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_retry_after_reads_httpx_headers():
    httpx = pytest.importorskip("httpx")
    assert kit.retry_after_seconds(httpx.Headers({"Retry-After": "12"})) == 12.0


def test_download_returns_the_body_and_decodes_data_uris(httpserver):
    pytest.importorskip("httpx")
    httpserver.expect_request("/r.png").respond_with_data(b"PNGDATA")
    assert kit.download(httpserver.url_for("/r.png"), who="v/m") == b"PNGDATA"
    assert kit.download("data:image/png;base64," + base64.b64encode(b"inline").decode(), who="v/m") == b"inline"


def test_download_tries_once_by_default_the_runner_retries(httpserver):
    pytest.importorskip("httpx")
    httpserver.expect_ordered_request("/r").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/r").respond_with_data(b"ok")
    with pytest.raises(TransientError):
        kit.download(httpserver.url_for("/r"), who="v/m")
    assert len(httpserver.log) == 1
    assert kit.download(httpserver.url_for("/r"), who="v/m") == b"ok"


def test_download_gives_up_on_5xx_as_transient(httpserver):
    pytest.importorskip("httpx")
    httpserver.expect_request("/r").respond_with_data("busy", status=503)
    with pytest.raises(TransientError, match=r"^v/m: downloading the result: HTTP 503") as err:
        kit.download(httpserver.url_for("/r"), who="v/m", job_id="j9", attempts=2)
    assert err.value.job_id == "j9" and len(httpserver.log) == 2


def test_download_4xx_is_not_retried(httpserver):
    pytest.importorskip("httpx")
    httpserver.expect_request("/r").respond_with_data("gone", status=404)
    with pytest.raises(ProviderError, match="HTTP 404") as err:
        kit.download(httpserver.url_for("/r"), who="v/m")
    assert not isinstance(err.value, TransientError) and len(httpserver.log) == 1


# -- prompts ------------------------------------------------------------------------------------


def test_prompt_helpers():
    assert kit.with_camera("A cat.", {"camera": "slow pan"}) == "A cat. Camera: slow pan."
    assert kit.with_camera("A cat.", {}) == "A cat." and kit.with_camera("A cat", None) == "A cat"
    assert kit.with_negative("A cat", " blur ") == "A cat Avoid: blur."
    assert kit.with_negative("A cat", "  ") == "A cat"
    assert kit.NEXT_KEYFRAME_PROMPT.format(seconds=2.5, prompt="rain") == "The same scene, 2.5 seconds later: rain"


# -- input mappings -----------------------------------------------------------------------------


def test_input_map_merged_and_jobs():
    base = kit.InputMap(first_frame="start", last_frame="end")
    assert base.jobs() == {Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO}
    merged = base.merged({"last_frame": "", "prompt": "text", "bogus": "x"})
    assert merged.last_frame is None and merged.prompt == "text" and merged.jobs() == {Job.FIRST_FRAME_VIDEO}
    assert kit.InputMap(image="img").jobs() == {Job.NEXT_KEYFRAME}
    assert kit.InputMap().jobs() == {Job.TEXT_TO_IMAGE}


def test_input_map_values():
    assert kit.InputMap(aspect_ratios=("1:1", "16:9")).aspect_value(1300, 700) == "16:9"
    assert kit.InputMap(aspect_ratios="match_input_image").aspect_value(1300, 700) == "match_input_image"
    assert kit.InputMap().aspect_value(1280, 720) == "16:9"
    assert kit.InputMap(duration_format="{:g}s").duration_value(6) == "6s"
    assert kit.InputMap().duration_value(5.0) == 5 and isinstance(kit.InputMap().duration_value(5.0), int)
    assert kit.InputMap().duration_value(5.5) == 5.5


def test_input_map_fill():
    m = kit.InputMap(seed="seed", aspect_ratio="ar", negative_prompt="neg", defaults={"fmt": "png", "n": 1})
    req = ImageRequest(model="m", prompt="p", seed=7, width=1280, height=720, negative_prompt="blur")
    args = m.fill({"keep": 1}, "the prompt", req, {"n": 2})
    assert args == {"keep": 1, "fmt": "png", "n": 2, "prompt": "the prompt", "neg": "blur", "seed": 7, "ar": "16:9"}
    with pytest.raises(ProviderError, match="options.params must be a mapping"):
        m.fill({}, "p", req, ["not", "a", "mapping"])


def test_input_key_problems():
    assert kit.input_key_problems("v/m", None, "{...}") == []
    assert kit.input_key_problems("v/m", {"prompt": "text"}, "{...}") == []
    assert kit.input_key_problems("v/m", "start", "{a: b}") == ["v/m: options.inputs must be a mapping such as {a: b}"]
    (problem,) = kit.input_key_problems("v/m", {"zeta": 1, "alpha": 2, "prompt": "p"}, "{...}")
    assert problem.startswith("v/m: options.inputs has unknown keys alpha, zeta; known keys: prompt, first_frame")


def test_importing_the_kit_loads_neither_pillow_nor_httpx():
    code = "import sys, storyrender.providers.kit; print(sorted({'PIL', 'httpx'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- text wrap ----------------------------------------------------------------------------------


def width(s: str) -> float:
    return float(len(s))  # one unit a character: easy to reason about


def test_wrap_text_is_greedy_and_breaks_overlong_words():
    assert wrap_text("aa bb cc dd", width, 5) == ["aa bb", "cc dd"]
    assert wrap_text("a\n\nb c", width, 10) == ["a", "b c"]
    assert wrap_text("abcdefghij k", width, 4) == ["abcd", "efgh", "ij k"]
    assert wrap_text("", width, 5) == []


def test_wrap_text_max_lines_ends_in_an_ellipsis_that_fits():
    lines = wrap_text("one two three four five six", width, 9, max_lines=2)
    assert lines == ["one two", "three…"]
    assert all(width(ln) <= 9 for ln in lines)
    assert wrap_text("one two", width, 9, max_lines=2) == ["one two"]
