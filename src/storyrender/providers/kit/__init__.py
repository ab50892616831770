"""A toolkit for provider plugins: the checks and conversions every vendor plugin needs.

Nothing here talks to a vendor SDK. Pillow (and httpx, for :func:`download`) are imported inside
the functions that use them, so importing this module costs nothing at start-up.

Sizes and ratios
    :func:`aspect_of`, :func:`nearest_aspect`
Images
    :func:`png_bytes` (a file as PNG bytes, to send), :func:`data_uri`,
    :func:`fit_image` (scale to cover, crop the centre), :func:`save_png_fitted` (decode, fit and
    write a vendor's answer)
Videos
    :func:`check_video` (MP4 or WebM?), :func:`save_video` (check, then write)
Audio
    :func:`save_audio` (decode a vendor's MP3/WAV/... answer and write it as 48 kHz stereo WAV)
Files
    :func:`atomic_output` (write through a temporary file, so a failure leaves nothing behind)
HTTP
    :func:`retry_after_seconds` (``Retry-After`` / ``retry-after-ms``), :func:`download`
Prompts
    :func:`compose_prompt` (the one way a request's prompt, camera and negative prompt become the
    text sent), :data:`NEXT_KEYFRAME_PROMPT`, :func:`with_camera`, :func:`with_negative`
Input mappings (for marketplaces of models whose parameters a board names)
    :data:`INPUT_KEYS`, :class:`InputMap`, :func:`input_key_problems`

Its modules: ``images`` (sizes, ratios, images), ``files`` (videos, audio, writing through a
temporary file), ``transfer`` (HTTP, downloads, shared URLs, a fetched result saved), ``prompts``,
``inputs`` (input mappings) and ``story`` (text models); import from the package itself.

Errors are raised as :class:`~storyrender.errors.ProviderError` with *who* (``"vendor/model"``)
at the front of the message, except where a docstring says ``ValueError``.
"""

from __future__ import annotations

from .files import atomic_output, check_video, save_audio, save_video
from .images import aspect_of, data_uri, fit_image, nearest_aspect, png_bytes, save_png_fitted
from .inputs import INPUT_KEYS, InputMap, input_key_problems
from .prompts import NEXT_KEYFRAME_PROMPT, compose_prompt, with_camera, with_negative
from .story import STORY_TOKENS, story_json, token_cost, token_price
from .transfer import SHARE_ENV, download, retry_after_seconds, save_fetched, shared_url

__all__ = [
    "aspect_of",
    "nearest_aspect",
    "png_bytes",
    "data_uri",
    "fit_image",
    "save_png_fitted",
    "check_video",
    "save_video",
    "save_audio",
    "atomic_output",
    "retry_after_seconds",
    "download",
    "NEXT_KEYFRAME_PROMPT",
    "compose_prompt",
    "with_camera",
    "with_negative",
    "INPUT_KEYS",
    "InputMap",
    "input_key_problems",
    "token_cost",
    "token_price",
    "story_json",
    "save_fetched",
    "shared_url",
    "SHARE_ENV",
    "STORY_TOKENS",
]
