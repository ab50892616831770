"""The ``elevenlabs`` provider: voices for ``say:`` lines, music beds and sound effects.

Jobs, through the official SDK (``elevenlabs`` 2.78.0, read 2026-12-04):

* ``speech``: ``client.text_to_speech.convert(voice_id, text=, model_id=, output_format=, seed=,
  voice_settings=)`` -> ``POST /v1/text-to-speech/{voice_id}`` (``text_to_speech/raw_client.py``).
  ``audio.voice.name`` is a voice id, or a voice name looked up once per build with
  ``client.voices.search(search=NAME)`` -> ``GET /v2/voices`` (exact name, case-insensitive).
  Without a name the SDK's own example voice ``JBFqnCBsd6RMkjVDRZzb`` speaks.
* ``music``: ``client.music.compose(prompt=, music_length_ms=, model_id=, force_instrumental=,
  output_format=)`` -> ``POST /v1/music`` (``music/raw_client.py``: length 3000..600000 ms; a seed
  "cannot be used in conjunction with prompt", so none is sent). ``force_instrumental`` is pinned
  to true (a bed under a voice), an option may turn it off.
* ``sound-effect``: ``client.text_to_sound_effects.convert(text=, duration_seconds=,
  prompt_influence=, loop=, model_id=, output_format=)`` -> ``POST /v1/sound-generation``
  (``text_to_sound_effects/raw_client.py``: 0.5..30 s, or the vendor chooses).

``storyrender providers --check`` asks ``client.models.list()`` -> ``GET /v1/models``
(``models/raw_client.py``), which lists the speech models only.

Every answer is the audio itself (no job to poll): ``output_format`` is pinned to
``mp3_44100_128`` (every plan may ask for it; PCM/WAV at 44.1 kHz need the Pro tier, the SDK's
docstrings say), decoded and written as 48 kHz stereo WAV (``kit.save_audio``). The vendor's
``request-id`` / ``history-item-id`` / ``song-id`` headers are recorded in the manifest.

One retry layer: the SDK retries 429, 408, 409 and 5xx twice by default (``core/http_client.py``
``_should_retry``, ``max_retries`` default 2 from ``request_options``); every call here passes
``request_options={"max_retries": 0}``. Submission rule (a synchronous, billed call):
``TransientError`` only when nothing was made (connection refused, HTTP 429, 503);
``SubmitUncertain`` when the request was sent and the answer lost (read timeout, dropped
connection, 500/502/504); a content refusal (``detail.status`` ``bad_prompt`` or a policy status) is
``RefusedError``.

Host: the SDK reads no base-URL variable, so this plugin reads ``ELEVENLABS_BASE_URL`` from the
environment (a gateway, a residency host such as ``https://api.eu.residency.elevenlabs.io``, or a
test fake); a board cannot set it. The key is ``ELEVENLABS_API_KEY``.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from storyrender.provider_api import (
    AudioRequest,
    Job,
    Lifecycle,
    ModelInfo,
    Option,
    Price,
    Provider,
    ProviderError,
    RefusedError,
    Result,
    RunContext,
    SpeechRequest,
    SubmitUncertain,
    TransientError,
    kit,
)

__all__ = ["ElevenLabsProvider", "OPTIONS", "PRICES", "BASE_URL_ENV", "translate_error"]

BASE_URL_ENV = "ELEVENLABS_BASE_URL"
OUTPUT_FORMAT = "mp3_44100_128"
#: the voice of the SDK's own ``text_to_speech.convert`` example, used when a board names none
DEFAULT_VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"
_VOICE_ID = re.compile(r"^[A-Za-z0-9]{20}$")
#: characters of ordinary narration per second, to turn a per-character price into a per-second estimate
CHARS_PER_SECOND = 15.0
USAGE_URL = "https://elevenlabs.io/app/usage"

#: List prices (USD), developer.puter.com/tutorials/elevenlabs-api-pricing (June 2026), read 2026-12-04:
#: speech per character, music per second (per minute / 60), sound effects per generation.
PRICES: dict[str, Any] = {
    "as_of": "2026-12-04",
    "per_character": {"eleven_multilingual_v2": 0.10 / 1000, "eleven_v3": 0.10 / 1000,
                      "eleven_flash_v2_5": 0.05 / 1000},
    "per_second": {"music_v1": 0.30 / 60, "music_v2": 0.30 / 60, "music_v2_5": 0.30 / 60},
    "per_call": {"eleven_text_to_sound_v2": 0.12, "eleven_text_to_sound_v3": 0.12},
}

_SOURCE = {Job.SPEECH: "elevenlabs SDK 2.78.0 types/text_to_speech_generation_request.py",
           Job.MUSIC: "elevenlabs SDK 2.78.0 types/music_model_id.py",
           Job.SOUND: "elevenlabs SDK 2.78.0 types/sfx_model_id.py"}


def _model(name: str, job: Job, description: str) -> ModelInfo:
    # The SDK lists these ids and states no lifecycle for them: status left undeclared.
    life = Lifecycle(source=_SOURCE[job], checked="2026-12-04")
    if job is Job.SPEECH:
        price = Price(per_second=round(PRICES["per_character"][name] * CHARS_PER_SECOND, 8), as_of=PRICES["as_of"])
    elif job is Job.MUSIC:
        price = Price(per_second=round(PRICES["per_second"][name], 8), as_of=PRICES["as_of"])
    else:
        price = Price(per_call=PRICES["per_call"][name], as_of=PRICES["as_of"])
    return ModelInfo(name=name, jobs=frozenset({job}), price=price, description=description, lifecycle=life)


OPTIONS: tuple[Option, ...] = (
    Option("speed", float, None, "speech: 0.7 to 1.2 (the vendor's default 1.0)"),
    Option("stability", float, None, "speech: 0 to 1, voice stability"),
    Option("similarity_boost", float, None, "speech: 0 to 1, closeness to the original voice"),
    Option("style", float, None, "speech: 0 to 1, style exaggeration"),
    Option("language_code", str, None, "speech: ISO 639-1 language to enforce (e.g. en)"),
    Option("force_instrumental", bool, True, "music: no vocals (default true: a bed under the voice)"),
    Option("prompt_influence", float, None, "sound effects: 0 to 1 (the vendor's default 0.3)"),
    Option("loop", bool, False, "sound effects: make one that loops smoothly"),
    Option("timeout", float, None, "seconds to wait for the answer (the SDK's default 240 s); a request whose "
           "answer times out is not repeated", identity=False),
)
_SPEECH_ONLY = ("speed", "stability", "similarity_boost", "style", "language_code")


class ElevenLabsProvider(Provider):
    """ElevenLabs: text to speech, music and sound effects (see the module docstring)."""

    name = "elevenlabs"
    version = "1"
    description = "ElevenLabs: voices for say: lines, music from a prompt, sound effects"
    key_env = ("ELEVENLABS_API_KEY",)
    concurrency = 2  # the lowest paid plans allow 2-3 concurrent requests
    reads = frozenset({"seed"})
    options_schema = OPTIONS
    models = (
        _model("eleven_multilingual_v2", Job.SPEECH, "speech, 29 languages ($0.10 per 1000 characters)"),
        _model("eleven_v3", Job.SPEECH, "speech, most expressive ($0.10 per 1000 characters)"),
        _model("eleven_flash_v2_5", Job.SPEECH, "speech, fast and cheaper ($0.05 per 1000 characters)"),
        _model("music_v1", Job.MUSIC, "Eleven Music: 3 s to 10 min from a prompt ($0.30 a minute)"),
        _model("music_v2", Job.MUSIC, "Eleven Music v2 ($0.30 a minute)"),
        _model("music_v2_5", Job.MUSIC, "Eleven Music v2.5 ($0.30 a minute)"),
        _model("eleven_text_to_sound_v2", Job.SOUND, "sound effects, 0.5 to 30 s ($0.12 each)"),
        _model("eleven_text_to_sound_v3", Job.SOUND, "sound effects v3 ($0.12 each)"),
    )

    def __init__(self) -> None:
        self._voices: dict[str, str] = {}

    def load(self) -> None:
        import elevenlabs  # noqa: F401
        from elevenlabs.client import ElevenLabs  # noqa: F401
        from elevenlabs.core.api_error import ApiError  # noqa: F401

    def reads_for(self, job: Job, model: ModelInfo | None = None) -> frozenset[str]:
        # music takes no seed together with a prompt; sound effects take none at all
        return frozenset({"seed"}) if job is Job.SPEECH else frozenset()

    def check(self, job: Job, model: ModelInfo, *, seconds: float | None, width: int, height: int,
              options: Mapping[str, Any]) -> list[str]:
        who = f"elevenlabs/{model.name}"
        problems = []
        if options.get("speed") is not None and not 0.7 <= float(options["speed"]) <= 1.2:
            problems.append(f"{who}: speed must be between 0.7 and 1.2, not {options['speed']!r}")
        for name in ("stability", "similarity_boost", "style", "prompt_influence"):
            if options.get(name) is not None and not 0 <= float(options[name]) <= 1:
                problems.append(f"{who}: {name} must be between 0 and 1, not {options[name]!r}")
        if job is not Job.SPEECH and any(k in options for k in _SPEECH_ONLY):
            problems.append(f"{who}: {', '.join(k for k in _SPEECH_ONLY if k in options)} are speech options")
        return problems

    def ask_vendor(self, models: list[str]) -> dict[str, dict[str, Any]]:
        """``GET /v1/models`` (``client.models.list()``, SDK ``models/raw_client.py``: a list of
        ``Model`` with ``model_id``): the speech models this key may use. Music and sound-effect
        models are not in that list, so they are not answered."""
        from pathlib import Path

        with self._client(RunContext(Path("check"))) as client:
            try:
                listed = {m.model_id for m in client.models.list(request_options={"max_retries": 0})}
            except Exception as exc:
                raise translate_error(exc, who="elevenlabs: the model list", lookup=True) from None
        speech = {m.name for m in self.models if Job.SPEECH in m.jobs}
        return {name: {"served": name in listed} for name in models if name in speech or name in listed}

    # -- jobs ------------------------------------------------------------------------------------
    def speech(self, request: SpeechRequest, ctx: RunContext) -> Result:
        who = f"elevenlabs/{request.model}"
        options = dict(request.options)
        settings = {k: options[k] for k in ("speed", "stability", "similarity_boost", "style") if options.get(k) is not None}
        with self._client(ctx) as client:
            voice_id = self._voice_id(client, request.voice, who=who, ctx=ctx)
            kwargs: dict[str, Any] = {"text": request.text, "model_id": request.model, "output_format": OUTPUT_FORMAT}
            if request.seed is not None:
                kwargs["seed"] = int(request.seed) % 4294967296
            if settings:
                from elevenlabs import VoiceSettings

                kwargs["voice_settings"] = VoiceSettings(**settings)
            if options.get("language_code"):
                kwargs["language_code"] = str(options["language_code"])
            ctx.log(f"{who}: speak {len(request.text)} characters")
            data, headers = self._fetch(client.text_to_speech.with_raw_response.convert, ctx, who, voice_id, **kwargs)
        seconds = kit.save_audio(data, ctx.output_path, who=who)
        cost = round(len(request.text) * PRICES["per_character"].get(request.model, 0.0), 8) or None
        return Result(ctx.output_path, cost_usd=cost, info={"voice_id": voice_id, "seconds": seconds,
                                                              **_ids(headers), "price_as_of": PRICES["as_of"]})

    def music(self, request: AudioRequest, ctx: RunContext) -> Result:
        who = f"elevenlabs/{request.model}"
        seconds = min(600.0, max(3.0, float(request.seconds or 30.0)))
        options = dict(request.options)
        kwargs = {"prompt": request.prompt, "music_length_ms": int(round(seconds * 1000)), "model_id": request.model,
                  "force_instrumental": bool(options.get("force_instrumental", True)), "output_format": OUTPUT_FORMAT}
        with self._client(ctx) as client:
            ctx.log(f"{who}: compose {seconds:g} s")
            data, headers = self._fetch(client.music.with_raw_response.compose, ctx, who, **kwargs)
        made = kit.save_audio(data, ctx.output_path, who=who)
        return Result(ctx.output_path, cost_usd=round(made * PRICES["per_second"].get(request.model, 0.0), 8) or None,
                      info={"seconds": made, **_ids(headers), "price_as_of": PRICES["as_of"]})

    def sound(self, request: AudioRequest, ctx: RunContext) -> Result:
        who = f"elevenlabs/{request.model}"
        options = dict(request.options)
        kwargs: dict[str, Any] = {"text": request.prompt, "model_id": request.model, "output_format": OUTPUT_FORMAT,
                                  "loop": bool(options.get("loop", False))}
        if request.seconds is not None:
            kwargs["duration_seconds"] = min(30.0, max(0.5, float(request.seconds)))
        if options.get("prompt_influence") is not None:
            kwargs["prompt_influence"] = float(options["prompt_influence"])
        with self._client(ctx) as client:
            ctx.log(f"{who}: sound effect")
            data, headers = self._fetch(client.text_to_sound_effects.with_raw_response.convert, ctx, who, **kwargs)
        made = kit.save_audio(data, ctx.output_path, who=who)
        return Result(ctx.output_path, cost_usd=PRICES["per_call"].get(request.model),
                      info={"seconds": made, **_ids(headers), "price_as_of": PRICES["as_of"]})

    # -- helpers ---------------------------------------------------------------------------------
    def _client(self, ctx: RunContext):
        """An SDK client on ``ELEVENLABS_BASE_URL`` (else ElevenLabs'); raises MissingKeyError first."""
        key = self.api_key()
        import httpx
        from elevenlabs.client import ElevenLabs

        timeout = float(ctx.call["timeout"]) if ctx.call.get("timeout") is not None else 240.0
        http = httpx.Client(timeout=timeout, follow_redirects=True)
        client = ElevenLabs(api_key=key, base_url=os.environ.get(BASE_URL_ENV) or None, httpx_client=http,
                            timeout=timeout)
        return _Closing(client, http)

    def _fetch(self, method, ctx: RunContext, who: str, *args, **kwargs) -> tuple[bytes, dict]:
        """Call a streaming SDK method with retries off; the whole answer and its headers."""
        timeout = ctx.call.get("timeout")
        options = {"max_retries": 0, **({"timeout_in_seconds": float(timeout)} if timeout is not None else {})}
        try:
            with method(*args, request_options=options, **kwargs) as response:
                return b"".join(response.data), dict(response.headers)
        except Exception as exc:
            raise translate_error(exc, who=who, timeout=timeout) from None

    def _voice_id(self, client, voice: str, *, who: str, ctx: RunContext) -> str:
        """*voice* if it is an id, else the id of the voice with that name (looked up once)."""
        voice = (voice or "").strip()
        if not voice:
            return DEFAULT_VOICE_ID
        if _VOICE_ID.match(voice):
            return voice
        if voice.lower() not in self._voices:
            try:
                found = client.voices.search(search=voice, page_size=100, request_options={"max_retries": 0})
            except Exception as exc:
                raise translate_error(exc, who=who, timeout=ctx.call.get("timeout"), lookup=True) from None
            for v in found.voices:
                if v.name and v.name.lower() == voice.lower():
                    self._voices[voice.lower()] = v.voice_id
                    break
            else:
                near = ", ".join(sorted(v.name for v in found.voices if v.name)[:8]) or "none"
                raise ProviderError(f"{who}: no voice named {voice!r} in this account (matches: {near}); set "
                                    "audio.voice.name to a voice name or id from the ElevenLabs voice library")
        return self._voices[voice.lower()]


class _Closing:
    """The client, closing its HTTP pool when the ``with`` block ends."""

    def __init__(self, client, http) -> None:
        self.client, self.http = client, http

    def __enter__(self):
        return self.client

    def __exit__(self, *exc) -> None:
        self.http.close()


def _ids(headers: Mapping[str, str]) -> dict[str, str]:
    h = {k.lower(): v for k, v in headers.items()}
    return {k.replace("-", "_"): h[k] for k in ("request-id", "history-item-id", "song-id") if h.get(k)}


def _detail(body: Any) -> tuple[str, str]:
    """(status, message) of an ElevenLabs error body ``{"detail": {"status", "message"}}``."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        return str(detail.get("status") or ""), str(detail.get("message") or "")[:300]
    return "", str(detail or body or "")[:300]


def translate_error(exc: Exception, *, who: str, timeout: float | None = None, lookup: bool = False) -> ProviderError:
    """Map an SDK or httpx exception to a storyrender error (never with the key in it), following
    the submission rule in the module docstring. *lookup*: a voice search (a GET: safe to repeat)."""
    import httpx
    from elevenlabs.core.api_error import ApiError

    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return TransientError(f"{who}: could not reach ElevenLabs ({type(exc).__name__}): nothing was sent")
    if isinstance(exc, (httpx.TimeoutException, httpx.TransportError)):
        if lookup:
            return TransientError(f"{who}: the voice lookup failed ({type(exc).__name__})")
        what = f"did not answer in time (after {float(timeout):g} s)" if isinstance(exc, httpx.TimeoutException) \
            and timeout is not None else f"did not answer ({type(exc).__name__})"
        return SubmitUncertain(f"{who}: the request was sent but ElevenLabs {what}; it may have been made and "
                               f"billed: check {USAGE_URL} before building again")
    if isinstance(exc, ApiError):
        status_code = exc.status_code or 0
        status, message = _detail(exc.body)
        text = f"{message} ({status})" if status else message
        if status_code == 429 or status_code == 503 or (lookup and status_code >= 500):
            return TransientError(f"{who}: ElevenLabs is busy (HTTP {status_code}): {text}",
                                  retry_after=kit.retry_after_seconds(exc.headers or {}))
        if status_code >= 500:
            return SubmitUncertain(f"{who}: ElevenLabs answered HTTP {status_code} ({text}); the request may have "
                                   f"been made and billed: check {USAGE_URL} before building again")
        if status == "bad_prompt" or "policy" in status or "moderat" in status or "violation" in status:
            return RefusedError(f"{who}: ElevenLabs refused the prompt: {text}")
        if status_code == 401:
            return ProviderError(f"{who}: ElevenLabs refused the API key (HTTP 401): check ELEVENLABS_API_KEY")
        return ProviderError(f"{who}: ElevenLabs rejected the request (HTTP {status_code}): {text}")
    return ProviderError(f"{who}: ElevenLabs SDK error: {type(exc).__name__}: {exc}"[:400])
