"""Gemini image models through the real ``google-genai`` SDK, against a fake Gemini API on 127.0.0.1."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from google_fakes import (
    TEST_KEY,
    b64,
    blocked_answer,
    google_error,
    image_answer,
    image_request,
    inline,
    keyframe_request,
    run,
)
from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.providers.base import RunContext
from storyrender.providers.hosted import SubmitUncertain
from storyrender.testing import png_bytes
from storyrender_google import PRICES
from storyrender_google.images import nearest_aspect


def _no_leftovers(ctx: RunContext) -> None:
    folder = ctx.output_path.parent
    assert not ctx.output_path.exists()
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


# -- success ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_text_to_image_sends_documented_parameters_and_writes_board_sized_png(env, fake, provider, ctx):
    fake.push("generate", image_answer(1344, 768))
    result = run(provider.text_to_image, image_request(), ctx)

    (seen,) = fake.seen
    assert seen.path.endswith("/models/gemini-3.1-flash-image:generateContent")
    assert "publishers" not in seen.path  # Gemini Developer API mode
    assert seen.headers["x-goog-api-key"] == TEST_KEY
    assert seen.json["contents"] == [{"role": "user", "parts": [{"text": "A cat steps into a magical forest at dusk"}]}]
    config = seen.json["generationConfig"]
    assert config["responseModalities"] == ["IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9"}
    assert config["seed"] == 42

    with Image.open(ctx.output_path) as img:
        assert img.format == "PNG" and img.size == (320, 180) and img.mode == "RGB"
        assert img.getpixel((160, 90)) == (10, 120, 200)
    assert result.cost_usd == PRICES["images"]["gemini-3.1-flash-image"]["1K"]
    assert result.info["vendor_image_size"] == [1344, 768]
    assert result.info["usage"]["total_token_count"] == 1302
    assert result.info["mode"] == "gemini-api"


@pytest.mark.slow
def test_next_keyframe_sends_instruction_previous_keyframe_and_references(env, fake, provider, ctx, tmp_path):
    previous = tmp_path / "k0.png"
    previous.write_bytes(png_bytes(320, 180, (1, 2, 3)))
    ref = tmp_path / "mia.jpg"
    ref.write_bytes(png_bytes(48, 48, (250, 250, 0), fmt="JPEG"))
    fake.push("generate", image_answer(1344, 768, (5, 6, 7), text="Here is the scene."))

    result = run(provider.next_keyframe, keyframe_request(previous, references=(ref,)), ctx)

    parts = fake.seen[0].json["contents"][0]["parts"]
    assert len(parts) == 3
    text = parts[0]["text"]
    assert text.startswith("The same scene 6 seconds later: The cat approaches a glowing ancient tree.")
    assert "Keep the characters, style, lighting and camera consistent." in text
    assert "Camera: push-in." in text
    assert inline(parts[1]) == ("image/png", previous.read_bytes())  # byte for byte
    mime, ref_sent = inline(parts[2])
    assert mime == "image/png"  # the JPEG reference is sent as PNG
    with Image.open(io.BytesIO(ref_sent)) as sent:
        assert sent.format == "PNG" and sent.size == (48, 48)
    with Image.open(ctx.output_path) as img:
        assert img.size == (320, 180) and img.getpixel((10, 10)) == (5, 6, 7)
    assert result.cost_usd == 0.045


def test_image_size_option_and_pro_price(env, fake, provider, ctx):
    fake.push("generate", image_answer(1024, 1024))
    req = image_request("gemini-3-pro-image", width=512, height=512,
                        image_size="4k")
    result = run(provider.text_to_image, req, ctx)
    assert fake.seen[0].json["generationConfig"]["imageConfig"] == {"aspectRatio": "1:1", "imageSize": "4K"}
    assert result.cost_usd == 0.24


@pytest.mark.parametrize("size, ratio", [
    ((1280, 720), "16:9"), ((720, 1280), "9:16"), ((640, 480), "4:3"), ((1080, 1350), "3:4"),
    ((2560, 1080), "21:9"), ((512, 512), "1:1"), ((1500, 1000), "3:2"), ((854, 480), "16:9"),
])
def test_board_aspect_maps_to_the_nearest_supported_ratio(size, ratio):
    assert nearest_aspect(*size) == ratio


def test_vertex_mode_for_images_when_asked(env, fake, provider, ctx):
    fake.push("generate", image_answer())
    result = run(provider.text_to_image, image_request(vertexai=True), ctx)
    assert fake.seen[0].path == "/v1beta1/publishers/google/models/gemini-3.1-flash-image:generateContent"
    assert result.info["mode"] == "vertex"


def test_vertex_mode_for_images_from_the_sdks_env_var(env, fake, provider, ctx, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    fake.push("generate", image_answer())
    run(provider.text_to_image, image_request(), ctx)
    assert fake.seen[0].path == "/v1beta1/publishers/google/models/gemini-3.1-flash-image:generateContent"


def test_gemini_base_url_env_var_is_honoured(env, fake, provider, ctx, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    fake.push("generate", image_answer())
    run(provider.text_to_image, image_request(), ctx)
    assert len(fake.seen) == 1


@pytest.mark.slow
def test_gemini_api_key_is_used_and_google_api_key_wins(clean_env, fake, provider, ctx, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-1234567890")
    fake.push("generate", image_answer())
    run(provider.text_to_image, image_request(), ctx)
    assert fake.seen[-1].headers["x-goog-api-key"] == "gemini-key-1234567890"

    monkeypatch.setenv("GOOGLE_API_KEY", TEST_KEY)
    fake.push("generate", image_answer())
    run(provider.text_to_image, image_request(), ctx)
    assert fake.seen[-1].headers["x-goog-api-key"] == TEST_KEY


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "PROHIBITED_CONTENT", "NO_IMAGE", "SAFETY"])
def test_blocked_image_is_refused_with_the_reason(env, fake, provider, ctx, reason):
    # (google-genai 3.4 does not carry finishMessage over from the Gemini API: the reason is the code)
    fake.push("generate", blocked_answer(reason, "Unable to show the generated image."))
    with pytest.raises(RefusedError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert f"made no image ({reason})" in str(info.value)
    _no_leftovers(ctx)


def test_refusal_carries_the_models_own_words(env, fake, provider, ctx):
    answer = blocked_answer("IMAGE_SAFETY")
    answer["candidates"][0]["content"]["parts"] = [{"text": "I can't make that image: it shows real violence."}]
    fake.push("generate", answer)
    with pytest.raises(RefusedError, match=r"IMAGE_SAFETY\): I can't make that image: it shows real violence"):
        run(provider.text_to_image, image_request(), ctx)


def test_blocked_prompt_is_refused(env, fake, provider, ctx):
    fake.push("generate", {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT",
                                              "blockReasonMessage": "The prompt was blocked."}})
    with pytest.raises(RefusedError, match="PROHIBITED_CONTENT.*The prompt was blocked"):
        run(provider.text_to_image, image_request(), ctx)


def test_no_image_for_a_reason_that_is_not_a_policy_is_a_provider_error(env, fake, provider, ctx):
    fake.push("generate", blocked_answer("MAX_TOKENS"))
    with pytest.raises(ProviderError, match=r"made no image \(MAX_TOKENS\)") as info:
        run(provider.text_to_image, image_request(), ctx)
    assert type(info.value) is ProviderError
    _no_leftovers(ctx)


# -- transient faults -------------------------------------------------------------------------------


def test_429_is_transient_with_retry_delay_then_success(env, fake, provider, ctx):
    retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "13s"}]
    fake.push("generate", google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for images.", retry_info),
              status=429)
    fake.push("generate", image_answer())
    req = image_request()
    with pytest.raises(TransientError) as info:
        run(provider.text_to_image, req, ctx)
    assert info.value.retry_after == 13.0
    assert "RESOURCE_EXHAUSTED" in str(info.value) and "Quota exceeded" in str(info.value)
    assert len(fake.seen) == 1  # the SDK does not retry
    _no_leftovers(ctx)
    run(provider.text_to_image, req, ctx)  # the executor's retry
    assert len(fake.seen) == 2 and ctx.output_path.exists()


def test_429_retry_after_header_wins(env, fake, provider, ctx):
    fake.push("generate", google_error(429, "RESOURCE_EXHAUSTED", "slow down"), status=429,
              headers={"Retry-After": "4"})
    with pytest.raises(TransientError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert info.value.retry_after == 4.0


def test_500_is_transient_then_success(env, fake, provider, ctx):
    fake.push("generate", google_error(500, "INTERNAL", "An internal error has occurred."), status=500)
    fake.push("generate", image_answer())
    req = image_request()
    with pytest.raises(TransientError, match="500 INTERNAL"):
        run(provider.text_to_image, req, ctx)
    run(provider.text_to_image, req, ctx)
    assert len(fake.seen) == 2 and ctx.output_path.exists()


def test_read_timeout_after_sending_is_submit_uncertain_and_not_retried(env, fake, provider, ctx):
    """The image may have been made (and billed) although the answer never came: not asked again."""
    fake.push("generate", image_answer(), delay=1.0)
    with pytest.raises(SubmitUncertain) as info:
        run(provider.text_to_image, image_request(http_timeout=0.2), ctx)
    text = str(info.value)
    assert "did not answer within 0.2 s (the http_timeout option) after the request was sent" in text
    assert "aistudio.google.com/usage" in text and "Billing" in text
    assert not isinstance(info.value, TransientError)
    assert len(fake.seen) == 1
    _no_leftovers(ctx)


def test_connection_refused_is_transient(env, provider, ctx, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientError, match="could not be reached"):
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"http://127.0.0.1:{port}/")
        run(provider.text_to_image, image_request(), ctx)


# -- other failures -----------------------------------------------------------------------------------


def test_other_client_error_is_a_provider_error_with_code_status_message(env, fake, provider, ctx):
    fake.push("generate", google_error(400, "INVALID_ARGUMENT", "Unsupported aspect ratio."), status=400)
    with pytest.raises(ProviderError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert type(info.value) is ProviderError
    assert "400 INVALID_ARGUMENT" in str(info.value) and "Unsupported aspect ratio." in str(info.value)


@pytest.mark.parametrize("code, status, message", [
    (400, "INVALID_ARGUMENT", f"API key not valid. Please pass a valid API key. ({TEST_KEY})"),
    (403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
], ids=["400-key-not-valid", "403-permission-denied"])
def test_refused_key_names_the_variables_and_never_the_key(env, fake, provider, ctx, code, status, message):
    fake.push("generate", google_error(code, status, message), status=code)
    with pytest.raises(ProviderError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert "GOOGLE_API_KEY" in str(info.value)
    assert TEST_KEY not in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("body, raw", [
    ({"candidates": []}, None),
    ({}, None),
    ({"candidates": [{"content": {"parts": [{"text": "I cannot draw."}]}, "finishReason": "STOP"}]}, None),
    ({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png",
                                                            "data": b64(b"not a picture")}}]}}]}, None),
    ({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png",
                                                            "data": "%%%not base64%%%"}}]}}]}, None),
    (None, b"<html>proxy error page</html>"),
])
def test_malformed_answer_is_a_provider_error_and_leaves_no_file(env, fake, provider, ctx, body, raw):
    fake.push("generate", body, raw=raw)
    with pytest.raises(ProviderError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert not isinstance(info.value, (TransientError, RefusedError))
    _no_leftovers(ctx)


def test_missing_key_fails_before_any_request(clean_env, fake, provider, ctx):
    with pytest.raises(MissingKeyError) as info:
        run(provider.text_to_image, image_request(), ctx)
    assert "GOOGLE_API_KEY" in str(info.value) and "GEMINI_API_KEY" in str(info.value)
    assert fake.seen == []
    assert not provider.has_key()


def test_importing_the_plugin_does_not_import_the_sdk():
    code = "import sys, storyrender_google; sys.exit(1 if 'google.genai' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
