"""The openai provider, through the real ``openai`` SDK, against a fake images API on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys

import pytest
from PIL import Image

from openai_fakes import TEST_KEY, error_body, image_request, image_response, keyframe_request, make_ctx
from storyrender.errors import MissingKeyError, ProviderError, RefusedError, TransientError
from storyrender.providers.hosted import SubmitUncertain
from storyrender.providers.base import Job, RunContext
from storyrender.testing import png_bytes
from storyrender_openai import PRICES
from storyrender_openai.calls import USAGE_URL, translate_error
from storyrender_openai.catalogue import price_per_image, vendor_size

GEN = "/v1/images/generations"
EDIT = "/v1/images/edits"


def _no_leftovers(ctx: RunContext) -> None:
    folder = ctx.output_path.parent
    assert not ctx.output_path.exists()
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


# -- success ------------------------------------------------------------------------------------


def test_text_to_image_sends_documented_parameters_and_writes_board_sized_png(env, fake, provider, ctx):
    fake.push(GEN, body=image_response(1536, 1024))
    result = provider.text_to_image(image_request(), ctx)

    assert len(fake.seen) == 1
    seen = fake.seen[0]
    assert seen.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert "idempotency-key" not in seen.headers  # the SDK sends none on the images endpoints
    assert seen.headers.get("x-stainless-retry-count") == "0"
    assert seen.json == {
        "model": "gpt-image-1.5",
        "prompt": "A cat steps into a magical forest at dusk",
        "size": "1536x1024",
        "quality": "medium",
        "output_format": "png",
        "n": 1,
    }
    assert result.path == ctx.output_path
    with Image.open(ctx.output_path) as img:
        assert img.format == "PNG" and img.size == (320, 180) and img.mode == "RGB"
        assert img.getpixel((160, 90)) == (10, 120, 200)
    # price: medium 1024x1024 price scaled by area (1536x1024 is 1.5x)
    assert result.cost_usd == pytest.approx(PRICES["models"]["gpt-image-1.5"]["medium"] * 1.5)
    assert result.info["usage"]["output_tokens"] == 1056
    assert result.info["vendor_image_size"] == [1536, 1024]
    assert result.info["price_as_of"] == PRICES["as_of"]


def test_quality_and_portrait_size_are_passed(env, fake, provider, ctx):
    fake.push(GEN, body=image_response(1024, 1536))
    req = image_request("gpt-image-1-mini", width=180, height=320, quality="high")
    result = provider.text_to_image(req, ctx)
    assert fake.seen[0].json["size"] == "1024x1536"
    assert fake.seen[0].json["quality"] == "high"
    assert fake.seen[0].json["model"] == "gpt-image-1-mini"
    assert result.cost_usd == pytest.approx(0.036 * 1.5)
    with Image.open(ctx.output_path) as img:
        assert img.size == (180, 320)


def test_next_keyframe_sends_previous_keyframe_then_references_with_high_fidelity(env, fake, provider, ctx,
                                                                                   tmp_path):
    previous = tmp_path / "k0.png"
    previous.write_bytes(png_bytes(320, 180, (1, 2, 3)))
    ref = tmp_path / "mia.jpg"  # a JPEG reference is sent as PNG
    ref.write_bytes(png_bytes(64, 64, (250, 250, 0), fmt="JPEG"))
    fake.push(EDIT, body=image_response(1536, 1024, (9, 9, 9)))

    req = keyframe_request(previous, references=(ref,))
    result = provider.next_keyframe(req, ctx)

    seen = fake.seen[0]
    assert seen.path == EDIT
    assert seen.headers["content-type"].startswith("multipart/form-data")
    assert seen.form["model"] == ["gpt-image-1.5"]
    assert seen.form["input_fidelity"] == ["high"]
    assert seen.form["size"] == ["1536x1024"]
    assert seen.form["quality"] == ["medium"]
    assert seen.form["output_format"] == ["png"]
    prompt = seen.form["prompt"][0]
    assert prompt.startswith("The same scene, 6 seconds later: The cat approaches a glowing ancient tree.")
    assert "consistent" in prompt and "characters" in prompt
    assert "Camera: push-in." in prompt
    images = seen.files["image[]"]
    assert images[0] == previous.read_bytes()  # the previous keyframe first, byte for byte
    with Image.open(io.BytesIO(images[1])) as sent_ref:
        assert sent_ref.format == "PNG" and sent_ref.size == (64, 64)
    with Image.open(ctx.output_path) as img:
        assert img.size == (320, 180)
    assert result.cost_usd == pytest.approx(0.034 * 1.5)


def test_camera_and_negative_prompt_are_composed_into_the_prompt(env, fake, provider, ctx):
    fake.push(GEN, body=image_response())
    req = image_request(camera="slow push-in", negative_prompt="text, watermarks")
    provider.text_to_image(req, ctx)
    assert fake.seen[0].json["prompt"] == ("A cat steps into a magical forest at dusk. Camera: slow push-in. "
                                           "Avoid: text, watermarks.")
    assert "negative_prompt" not in fake.seen[0].json and "seed" not in fake.seen[0].json


def test_reads_no_seed_and_references_only_for_next_keyframes(provider):
    assert provider.reads_for(Job.TEXT_TO_IMAGE) == {"camera", "negative_prompt"}
    assert provider.reads_for(Job.NEXT_KEYFRAME) == {"camera", "negative_prompt", "references"}
    identity = {o.name for o in provider.options_schema if o.identity}
    call = {o.name for o in provider.options_schema if not o.identity}
    assert identity == {"quality", "size", "input_fidelity", "moderation", "speed", "instructions"}
    assert provider.reads_for(Job.SPEECH) == frozenset()
    assert call == {"timeout"}


def test_next_keyframe_without_references_sends_one_image(env, fake, provider, ctx, tmp_path):
    previous = tmp_path / "k0.png"
    previous.write_bytes(png_bytes(320, 180))
    fake.push(EDIT, body=image_response())
    provider.next_keyframe(keyframe_request(previous), ctx)
    assert fake.seen[0].files == {"image": [previous.read_bytes()]}


def test_gpt_image_2_gets_the_board_size_and_no_input_fidelity(env, fake, provider, ctx, tmp_path):
    previous = tmp_path / "k0.png"
    previous.write_bytes(png_bytes(640, 360))
    fake.push(EDIT, body=image_response(640, 368))
    req = keyframe_request(previous, "gpt-image-2", width=640, height=360)
    result = provider.next_keyframe(req, ctx)
    assert fake.seen[0].form["size"] == ["640x368"]  # 360 rounded to a multiple of 16
    assert "input_fidelity" not in fake.seen[0].form
    assert result.cost_usd is None  # no published price in the table
    with Image.open(ctx.output_path) as img:
        assert img.size == (640, 360)


def test_openai_base_url_env_var_is_honoured(env, fake, provider, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    fake.push(GEN, body=image_response())
    provider.text_to_image(image_request(), make_ctx(tmp_path / "k.png"))
    assert len(fake.seen) == 1


def test_sizes():
    assert vendor_size("gpt-image-1.5", 1280, 720) == "1536x1024"
    assert vendor_size("gpt-image-1", 720, 1280) == "1024x1536"
    assert vendor_size("gpt-image-1-mini", 512, 512) == "1024x1024"
    assert vendor_size("gpt-image-2", 1280, 720) == "1280x720"
    assert vendor_size("gpt-image-2", 1366, 768) == "1360x768"
    assert vendor_size("gpt-image-2", 7680, 4320) == "3840x2160"
    assert vendor_size("gpt-image-2", 2160, 3840) == "2160x3840"
    assert vendor_size("gpt-image-2", 1280, 720, {"size": "1024x1024"}) == "1024x1024"
    assert price_per_image("gpt-image-1", "low", "1024x1024") == 0.011
    assert price_per_image("gpt-image-1", "auto", "1024x1024") == 0.167  # auto priced as high


# -- transient faults: the SDK never retries (max_retries=0); the runner does -------------------


@pytest.mark.slow
@pytest.mark.parametrize("headers, expected", [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after-ms": "1500"}, 1.5),
    ({}, None),
])
def test_rate_limit_raises_transient_with_retry_after_then_next_attempt_succeeds(env, fake, provider, ctx,
                                                                                headers, expected):
    fake.push(GEN, status=429, headers=headers,
              body=error_body("Rate limit reached for images per minute", "rate_limit_exceeded", "requests"))
    fake.push(GEN, body=image_response())
    req = image_request()

    with pytest.raises(TransientError) as info:
        provider.text_to_image(req, ctx)
    assert info.value.retry_after == expected
    assert "Rate limit reached" in str(info.value)
    assert len(fake.seen) == 1  # no retry inside the SDK
    _no_leftovers(ctx)

    provider.text_to_image(req, ctx)  # what the runner's retry does
    assert len(fake.seen) == 2
    assert ctx.output_path.exists()


@pytest.mark.parametrize("status", [500, 503])
def test_documented_server_errors_are_transient_then_success(env, fake, provider, ctx, status):
    fake.push(GEN, status=status, body=error_body("The server had an error", None, "server_error"))
    fake.push(GEN, body=image_response())
    req = image_request()
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        provider.text_to_image(req, ctx)
    assert len(fake.seen) == 1
    provider.text_to_image(req, ctx)
    assert len(fake.seen) == 2 and ctx.output_path.exists()


def test_the_sdk_never_retries_even_when_the_vendor_says_it_may(env, fake, provider, ctx):
    fake.push(GEN, status=429, headers={"retry-after-ms": "10", "x-should-retry": "true"},
              body=error_body("slow down", None))
    fake.push(GEN, body=image_response())
    with pytest.raises(TransientError):
        provider.text_to_image(image_request(), ctx)
    assert len(fake.seen) == 1
    assert provider.option("max_retries") is None  # not an option any more: the runner retries


def test_insufficient_quota_is_not_transient(env, fake, provider, ctx):
    fake.push(GEN, status=429, body=error_body("You exceeded your current quota", "insufficient_quota"))
    with pytest.raises(ProviderError) as info:
        provider.text_to_image(image_request(), ctx)
    assert not isinstance(info.value, TransientError)
    assert "quota" in str(info.value)


def test_answer_timing_out_after_the_request_was_sent_is_uncertain_and_not_repeated(env, fake, provider,
                                                                                    tmp_path):
    fake.push(GEN, body=image_response(), delay=1.0)
    ctx = make_ctx(tmp_path / "out" / "k.png", timeout=0.3)
    with pytest.raises(SubmitUncertain) as info:
        provider.text_to_image(image_request(), ctx)
    assert not isinstance(info.value, TransientError)
    message = str(info.value)
    assert "did not answer in time after 0.3 s" in message and USAGE_URL in message
    assert "may have made and billed" in message
    assert len(fake.posts(GEN)) == 1
    _no_leftovers(ctx)


def test_a_gateway_timeout_is_uncertain(env, fake, provider, ctx):
    fake.push(GEN, status=504, raw=b"<html>504 Gateway Time-out</html>")
    with pytest.raises(SubmitUncertain, match="HTTP 504"):
        provider.text_to_image(image_request(), ctx)
    assert len(fake.seen) == 1


def test_connection_dropped_after_the_request_was_sent_is_uncertain(env, provider, tmp_path, monkeypatch):
    import threading

    received = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            received.append(data)
        # closed without an answer

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}/v1")
        ctx = make_ctx(tmp_path / "k.png")
        with pytest.raises(SubmitUncertain, match="connection was lost"):
            provider.text_to_image(image_request(), ctx)
    finally:
        t.join(5)
        server.close()
    assert len(received) == 1 and received[0].startswith(b"POST /v1/images/generations")


def test_connect_timeout_is_transient_nothing_was_sent():
    import httpx2
    import openai

    request = httpx2.Request("POST", "https://api.openai.com/v1/images/generations")
    for cause in (httpx2.ConnectTimeout("timed out"), httpx2.PoolTimeout("pool")):
        exc = openai.APITimeoutError(request=request)
        exc.__cause__ = cause
        err = translate_error(exc, who="openai/gpt-image-1.5")
        assert type(err) is TransientError and "nothing was sent" in str(err)
    exc = openai.APITimeoutError(request=request)
    exc.__cause__ = httpx2.ReadTimeout("read")
    assert isinstance(translate_error(exc, timeout=5), SubmitUncertain)


def test_connection_refused_is_transient(env, provider, ctx, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientError, match="could not reach"):
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
        provider.text_to_image(image_request(), make_ctx(ctx.output_path))


# -- refusals and other failures ------------------------------------------------------------------


def test_moderation_block_is_refused_with_the_vendors_reason(env, fake, provider, ctx, tmp_path):
    previous = tmp_path / "k0.png"
    previous.write_bytes(png_bytes(320, 180))
    reason = "Your request was rejected by the safety system."
    fake.push(EDIT, status=400, body=error_body(reason, "moderation_blocked"))
    with pytest.raises(RefusedError) as info:
        provider.next_keyframe(keyframe_request(previous), ctx)
    assert reason in str(info.value) and "moderation_blocked" in str(info.value)
    assert len(fake.seen) == 1
    _no_leftovers(ctx)


def test_other_bad_request_is_a_provider_error(env, fake, provider, ctx):
    fake.push(GEN, status=400, body=error_body("Invalid size '999x999'.", "invalid_value"))
    with pytest.raises(ProviderError) as info:
        provider.text_to_image(image_request(), ctx)
    assert type(info.value) is ProviderError
    assert "Invalid size" in str(info.value)


def test_refused_key_says_which_variable_and_never_the_key(env, fake, provider, ctx):
    fake.push(GEN, status=401, body=error_body(f"Incorrect API key provided: {TEST_KEY}.", "invalid_api_key"))
    with pytest.raises(ProviderError) as info:
        provider.text_to_image(image_request(), ctx)
    assert "OPENAI_API_KEY" in str(info.value)
    assert TEST_KEY not in str(info.value) and TEST_KEY[-8:] not in str(info.value)


@pytest.mark.parametrize("body, raw", [
    ({"created": 1, "data": []}, None),
    ({"created": 1}, None),
    ({"created": 1, "data": [{"url": "https://example.invalid/x.png"}]}, None),
    ({"created": 1, "data": [{"b64_json": "%%% not base64 %%%"}]}, None),
    ({"created": 1, "data": [{"b64_json": base64.b64encode(b"this is not a picture").decode()}]}, None),
    (None, b"<html>gateway says hello</html>"),
])
def test_malformed_answer_is_a_provider_error_and_leaves_no_file(env, fake, provider, ctx, body, raw):
    fake.push(GEN, body=body, raw=raw)
    with pytest.raises(ProviderError):
        provider.text_to_image(image_request(), ctx)
    _no_leftovers(ctx)


def test_missing_key_fails_before_any_request(fake, provider, ctx, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        provider.text_to_image(image_request(), ctx)
    assert fake.seen == []
    assert not provider.has_key()


# -- description, validation, plugin discovery ----------------------------------------------------


def test_check_reports_bad_options(provider):
    model = provider.resolve_model("gpt-image-1.5")
    assert provider.check(Job.TEXT_TO_IMAGE, model, seconds=None, width=1280, height=720, options={}) == []
    problems = provider.check(Job.TEXT_TO_IMAGE, model, seconds=None, width=1280, height=720,
                              options={"quality": "ultra"})
    assert any("quality must be one of low, medium, high, auto" in p for p in problems)
    m2 = provider.resolve_model("gpt-image-2")
    problems = provider.check(Job.TEXT_TO_IMAGE, m2, seconds=None, width=4000, height=1000, options={})
    assert any("1:3 and 3:1" in p for p in problems)


def test_unknown_gpt_image_snapshot_resolves_without_a_price(provider):
    info = provider.resolve_model("gpt-image-2.9-snapshot")
    assert info.jobs == {Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME} and not info.price.known
    assert info.status == "unknown"
    with pytest.raises(KeyError):
        provider.resolve_model("whisper-1")


def test_discovered_through_the_entry_point_with_the_right_jobs():
    from storyrender.plugins.manager import load_registry

    registry = load_registry()
    assert "openai" in registry.names()
    openai_provider = registry.get("openai")
    names = {m.name for m in openai_provider.models if Job.WRITE_STORY not in m.jobs}
    assert openai_provider.default_model(Job.WRITE_STORY) == "gpt-5.4-mini"
    assert names == {"gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini", "gpt-image-2", "gpt-image-2.5-sunburst",
                     "gpt-image-2.5-flare", "dall-e-2", "dall-e-3", "tts-1", "tts-1-hd", "gpt-4o-mini-tts",
                     "gpt-4o-mini-tts-2025-12-15"}
    for m in openai_provider.models:
        if Job.WRITE_STORY in m.jobs:  # a text model: it draws nothing
            assert m.jobs == {Job.WRITE_STORY}, m.name
            continue
        if m.jobs == {Job.SPEECH}:  # every speech model the SDK lists is deprecated (shutdown 2027-01-06)
            assert m.status == "deprecated" and m.lifecycle.shut_down_on == "2027-01-06", m.name
            continue
        if m.name.startswith("dall-e"):  # listed so validate can name the replacement
            assert m.status == "shut_down" and m.jobs == {Job.TEXT_TO_IMAGE}
        else:
            assert m.jobs == {Job.TEXT_TO_IMAGE, Job.NEXT_KEYFRAME}, m.name
        assert m.price.as_of == PRICES["as_of"]
    assert openai_provider.model_info("gpt-image-1").status == "shut_down"
    assert openai_provider.model_info("gpt-image-1").lifecycle.replacement == "gpt-image-2.5-sunburst"
    assert openai_provider.default_model(Job.TEXT_TO_IMAGE) == "gpt-image-1.5"
    assert openai_provider.default_model(Job.FIRST_LAST_VIDEO) is None
    assert openai_provider.default_model(Job.SPEECH) is None  # no GA speech model: a board names one


def test_importing_the_plugin_does_not_import_the_sdk():
    code = "import sys, storyrender_openai; sys.exit(1 if 'openai' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
