"""OpenAI speech for ``say:`` lines: ``client.audio.speech.create`` (``POST /v1/audio/speech``).

The request is ``{model, voice, input, response_format: "wav", speed?, instructions?}``; the
answer is the audio itself (no job id: the call is synchronous, like the images endpoints, and
follows the same submission rule, :func:`storyrender_openai.calls.translate_error`: a lost
answer is :class:`SubmitUncertain`, never repeated). The WAV is decoded and written as 48 kHz
stereo (``kit.save_audio``).

Facts, from the installed SDK (openai 3.60.0, ``openai/resources/audio/speech.py`` and
``openai/types/audio/speech_model.py``, read 2026-12-04):

* models ``tts-1``, ``tts-1-hd``, ``gpt-4o-mini-tts``, ``gpt-4o-mini-tts-2025-12-15``, all marked
  deprecated with "Announced shutdown date: 2027-01-06" (the SDK names the Realtime API's
  ``gpt-realtime-2.1-mini`` as the way forward, which this plugin does not drive);
* voices ``alloy ash ballad coral echo fable onyx nova sage shimmer verse marin cedar`` (or a
  custom voice id ``voice_...``); ``speed`` 0.25 to 4.0 (default 1.0); ``instructions`` does not
  work with ``tts-1``/``tts-1-hd``; ``input`` at most 4096 characters.

Prices (USD), as listed on 2026-12-04: ``tts-1`` $15 and ``tts-1-hd`` $30 per million characters
(llmreference.com/model/tts-1, refreshed 2026-06-07); ``gpt-4o-mini-tts`` $0.60 per million text
tokens plus $12 per million audio tokens, which OpenAI estimates at $0.015 a minute
(developers.openai.com/api/docs/models/gpt-4o-mini-tts; community.openai.com pricing thread).
``plan`` estimates per second of speech (the line's length estimated from its words); the
recorded cost of a ``tts-1`` line is exact (its characters), of a ``gpt-4o-mini-tts`` line the
per-minute estimate times the audio returned.
"""

from __future__ import annotations

from typing import Any, Mapping

from storyrender.provider_api import Job, Lifecycle, ModelInfo, Option, Price, Result, RunContext, SpeechRequest, kit

__all__ = ["SPEECH_MODELS", "SPEECH_OPTIONS", "VOICES", "DEFAULT_VOICE", "speech_problems", "speak", "line_cost"]

VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin",
          "cedar")
DEFAULT_VOICE = "coral"
MAX_INPUT = 4096
#: characters of ordinary narration per second, to turn a per-character price into a per-second estimate
CHARS_PER_SECOND = 15.0

#: USD per character (tts-1, tts-1-hd) or per second of audio (gpt-4o-mini-tts), as of 2026-12-04
PER_CHARACTER = {"tts-1": 15.0e-6, "tts-1-hd": 30.0e-6}
PER_SECOND = {"gpt-4o-mini-tts": 0.015 / 60, "gpt-4o-mini-tts-2025-12-15": 0.015 / 60}
_AS_OF = "2026-12-04"
#: models that take ``instructions``
_STEERABLE = ("gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")

_LIFE = Lifecycle(status="deprecated", shut_down_on="2027-01-06", checked="2026-12-04",
                  source="openai SDK 3.60.0 openai/types/audio/speech_model.py")


def _speech_model(name: str, description: str) -> ModelInfo:
    per_second = PER_SECOND.get(name) or PER_CHARACTER[name] * CHARS_PER_SECOND
    return ModelInfo(name=name, jobs=frozenset({Job.SPEECH}), price=Price(per_second=round(per_second, 8),
                     as_of=_AS_OF), description=description, lifecycle=_LIFE)


SPEECH_MODELS = (
    _speech_model("gpt-4o-mini-tts", "speech for say: lines, steerable with instructions (~$0.015/min)"),
    _speech_model("gpt-4o-mini-tts-2025-12-15", "the gpt-4o-mini-tts snapshot of 2025-12-15"),
    _speech_model("tts-1", "speech for say: lines, fast ($15 per million characters)"),
    _speech_model("tts-1-hd", "speech for say: lines, higher quality ($30 per million characters)"),
)

SPEECH_OPTIONS = (
    Option("speed", float, None, "speech models: 0.25 to 4.0 (the vendor's default 1.0)"),
    Option("instructions", str, None, "gpt-4o-mini-tts: how to speak (tone, pace, accent), e.g. 'calm and warm'"),
)


def speech_problems(model: ModelInfo, options: Mapping[str, Any]) -> list[str]:
    """What is wrong with these options for speech model *model*, as sentences."""
    problems = []
    speed = options.get("speed")
    if speed is not None and not 0.25 <= float(speed) <= 4.0:
        problems.append(f"openai/{model.name}: speed must be between 0.25 and 4.0, not {speed!r}")
    if options.get("instructions") and model.name not in _STEERABLE:
        problems.append(f"openai/{model.name} takes no instructions: use gpt-4o-mini-tts, or remove them")
    unused = sorted(k for k in options if k in ("quality", "size", "input_fidelity", "moderation"))
    if unused:
        problems.append(f"openai/{model.name} is a speech model: {', '.join(unused)} are image options")
    return problems


def line_cost(model: str, text: str, seconds: float) -> float | None:
    """USD for one line of *text* that came back *seconds* long (None when no price is known)."""
    if model in PER_CHARACTER:
        return round(len(text) * PER_CHARACTER[model], 8)
    if model in PER_SECOND:
        return round(seconds * PER_SECOND[model], 8)
    return None


def speak(provider: Any, request: SpeechRequest, ctx: RunContext) -> Result:
    """Say ``request.text`` with ``request.voice`` (default :data:`DEFAULT_VOICE`) into ``ctx.output_path``."""
    from storyrender.provider_api import ProviderError

    who = f"openai/{request.model}"
    text = request.text.strip()
    if len(text) > MAX_INPUT:
        raise ProviderError(f"{who}: a say: line is at most {MAX_INPUT} characters, this one has {len(text)}")
    voice = request.voice or DEFAULT_VOICE
    kwargs: dict[str, Any] = {"model": request.model, "voice": voice if voice in VOICES or not voice.startswith(
        "voice_") else {"id": voice}, "input": text, "response_format": "wav"}
    options = dict(request.options)
    if options.get("speed") is not None:
        kwargs["speed"] = float(options["speed"])
    if options.get("instructions"):
        kwargs["instructions"] = str(options["instructions"])
    with provider._client(ctx) as client:
        ctx.log(f"{who}: speak {len(text)} characters as {voice}")
        response = provider._call(client.audio.speech.create, kwargs, who=who, ctx=ctx, made="speech")
        data = response.content
    seconds = kit.save_audio(data, ctx.output_path, who=who)
    info: dict[str, Any] = {"model": request.model, "voice": voice, "seconds": seconds, "price_as_of": _AS_OF}
    request_id = getattr(response, "request_id", None) or response.response.headers.get("x-request-id")
    if request_id:
        info["request_id"] = request_id
    return Result(ctx.output_path, cost_usd=line_cost(request.model, text, seconds), info=info)
