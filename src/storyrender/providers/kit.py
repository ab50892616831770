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

Errors are raised as :class:`~storyrender.errors.ProviderError` with *who* (``"vendor/model"``)
at the front of the message, except where a docstring says ``ValueError``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
import mimetypes
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ContextManager, Mapping

from ..errors import ProviderError, TransientError
from .base import Job

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

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
]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- sizes and ratios ---------------------------------------------------------------------------


def aspect_of(width: int, height: int) -> str:
    """``"W:H"`` in lowest terms (1280 x 720 -> ``"16:9"``)."""
    g = math.gcd(width, height) or 1
    return f"{width // g}:{height // g}"


def nearest_aspect(width: int, height: int, choices: tuple[str, ...]) -> str:
    """The ratio in *choices* (``"W:H"``) closest to width/height, compared on a log scale;
    the first of equally close ones."""
    target = math.log(width / height)

    def distance(choice: str) -> float:
        w, h = (float(x) for x in choice.split(":"))
        return abs(math.log(w / h) - target)

    return min(choices, key=distance)


# -- images -------------------------------------------------------------------------------------


def png_bytes(path: str | os.PathLike) -> bytes:
    """The file at *path* as PNG bytes: PNG files as they are, others re-encoded (RGB, or RGBA
    when the image has alpha)."""
    from PIL import Image

    data = Path(path).read_bytes()
    if data[:8] == _PNG_MAGIC:
        return data
    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.convert("RGBA" if "A" in img.getbands() else "RGB").save(out, format="PNG")
        return out.getvalue()


def data_uri(source: str | os.PathLike | bytes, mime: str | None = None) -> str:
    """A ``data:`` URI of a file or of bytes. *mime* defaults to the one the file name implies
    (``image/png`` when it implies none, and for bytes)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        mime = mime or "image/png"
    else:
        data = Path(source).read_bytes()
        mime = mime or mimetypes.guess_type(str(source))[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _decode(data: bytes) -> "Image":
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ValueError(f"the returned file is not an image ({len(data)} bytes)") from exc
    return img


def fit_image(image: "bytes | Image", width: int, height: int) -> "Image":
    """An RGB image of exactly *width* x *height*: *image* (encoded bytes or a Pillow image)
    scaled to cover that size, then centre-cropped. Transparent parts become black.

    :raises ValueError: when *image* is bytes Pillow cannot decode.
    """
    from PIL import Image, ImageOps

    img = _decode(image) if isinstance(image, (bytes, bytearray)) else image
    if img.mode != "RGB":
        if "A" in img.getbands():
            rgba = img.convert("RGBA")
            base = Image.new("RGB", img.size, (0, 0, 0))
            base.paste(rgba, mask=rgba.getchannel("A"))
            img = base
        else:
            img = img.convert("RGB")
    if img.size == (width, height):
        return img
    return ImageOps.fit(img, (width, height), method=Image.Resampling.LANCZOS)


def save_png_fitted(data: bytes, path: str | os.PathLike, width: int, height: int, *, who: str,
                    job_id: str | None = None) -> dict[str, Any]:
    """Decode *data* (any format Pillow reads), :func:`fit_image` it to width x height and write it
    as a PNG at *path* through a temporary file (nothing is left at *path* on failure).

    :param who: names the vendor and model in errors (``"fal/fal-ai/flux"``).
    :returns: ``{"native_size": [w, h]}``, the size the vendor returned, for the manifest.
    :raises ProviderError: when *data* is not an image.
    """
    try:
        img = _decode(data)
    except ValueError as exc:
        raise ProviderError(f"{who}: {exc}", job_id=job_id) from None
    native = img.size
    fitted = fit_image(img, width, height)
    with atomic_output(path, ".png") as tmp:
        fitted.save(tmp, format="PNG")
    return {"native_size": [native[0], native[1]]}


# -- videos -------------------------------------------------------------------------------------


def check_video(data: bytes, accept: tuple[str, ...] = ("mp4", "webm")) -> str:
    """The container of *data*: ``"mp4"`` or ``"webm"`` (sniffed from the first bytes).

    :raises ValueError: when *data* is neither, or is a container not in *accept*.
    """
    if len(data) >= 12 and data[4:8] == b"ftyp":
        kind = "mp4"
    elif data[:4] == b"\x1a\x45\xdf\xa3":
        kind = "webm"
    else:
        raise ValueError(f"the returned file is not an MP4 or WebM video ({len(data)} bytes)")
    if kind not in accept:
        raise ValueError(f"the returned clip is {kind}, not {' or '.join(a.upper() for a in accept)}")
    return kind


def save_video(data: bytes, path: str | os.PathLike, *, who: str, job_id: str | None = None,
               accept: tuple[str, ...] = ("mp4",)) -> str:
    """:func:`check_video` *data*, then write it to *path* through a temporary file.

    :returns: the container. :raises ProviderError: when the check fails (nothing is written).
    """
    try:
        kind = check_video(data, accept)
    except ValueError as exc:
        raise ProviderError(f"{who}: {exc}", job_id=job_id) from None
    with atomic_output(path, f".{kind}") as tmp:
        tmp.write_bytes(data)
    return kind


def save_fetched(data: bytes, request: Any, ctx: Any, *, video: bool, who: str, job_id: str) -> dict[str, Any]:
    """Save a finished hosted job's file to ``ctx.output_path``: a video as it is, an image fitted to
    the request's size. When the file is unusable the job's record is cleared (a new attempt must
    submit again) and ``ProviderError`` is raised. Returns the image's facts (empty for a video)."""
    try:
        if video:
            save_video(data, ctx.output_path, who=who, job_id=job_id)
            return {}
        return save_png_fitted(data, ctx.output_path, request.width, request.height, who=who, job_id=job_id)
    except ProviderError:
        if ctx.journal is not None:
            ctx.journal.clear()
        raise


# -- audio --------------------------------------------------------------------------------------


def save_audio(data: bytes, path: str | os.PathLike, *, who: str, job_id: str | None = None) -> float:
    """Decode a vendor's audio answer (MP3, WAV, Opus, ...) with ffmpeg and write it to *path* as
    a 48 kHz stereo 16-bit WAV through a temporary file.

    :returns: its length in seconds. :raises ProviderError: when *data* is not decodable audio
        (nothing is written).
    """
    import tempfile
    import wave

    from ..errors import StitchError
    from ..media.ffmpeg import run_ffmpeg

    if not data:
        raise ProviderError(f"{who}: answered with no audio", job_id=job_id)
    with tempfile.TemporaryDirectory(prefix="storyrender-audio-") as tmp, atomic_output(path, ".wav") as out:
        src = Path(tmp) / "answer"
        src.write_bytes(data)
        try:
            run_ffmpeg(["-i", str(src), "-vn", "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le",
                        "-map_metadata", "-1", "-f", "wav", str(out)], what="decoding the vendor's audio")
        except StitchError:
            raise ProviderError(f"{who}: answered with something that is not audio ({len(data)} bytes)",
                                job_id=job_id) from None
        with wave.open(str(out)) as w:
            frames = w.getnframes()
        if frames == 0:
            raise ProviderError(f"{who}: answered with empty audio", job_id=job_id)
    return frames / 48000


# -- files --------------------------------------------------------------------------------------


def atomic_output(path: str | os.PathLike, suffix: str | None = None) -> ContextManager[Path]:
    """Yield a temporary path beside *path* (its folder is made); when the block ends without an
    error the file is moved onto *path* (``os.replace``), otherwise it is deleted. *suffix* is the
    temporary file's extension (default *path*'s). See :mod:`storyrender.atomic`."""
    from ..atomic import atomic_path

    return atomic_path(path, suffix)


# -- HTTP ---------------------------------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds to wait from response headers: ``retry-after-ms`` (milliseconds), else
    ``Retry-After`` as seconds or as an HTTP date (0 when the date has passed). Header names
    are matched in any case; missing, malformed or negative values give None."""
    if not headers:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lower.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except (TypeError, ValueError):
            if name == "retry-after":
                return _http_date_delay(str(value))
            continue
        if seconds >= 0 and math.isfinite(seconds):
            return seconds
    return None


def _http_date_delay(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def download(url: str, *, who: str, job_id: str | None = None, attempts: int = 1) -> bytes:
    """The body at *url* (a vendor's public or signed result URL: sent without credentials,
    redirects followed); a ``data:`` URI is decoded instead.

    HTTP 429, 5xx, timeouts and dropped connections raise ``TransientError`` (after *attempts*
    tries; default one: the runner is the retry layer, and it resumes the recorded job).

    :raises TransientError: when the last attempt failed that way.
    :raises ProviderError: on another HTTP error (4xx).
    """
    import httpx

    if url.startswith("data:"):
        return base64.b64decode(url.split(",", 1)[1])
    prefix = f"{who}: downloading the result"
    last: TransientError | None = None
    for attempt in range(attempts):
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=True) as http:
                response = http.get(url)
            status = response.status_code
            if status >= 500 or status == 429:
                last = TransientError(f"{prefix}: HTTP {status}", job_id=job_id)
            elif status >= 400:
                raise ProviderError(f"{prefix}: HTTP {status}", job_id=job_id)
            else:
                return response.content
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            last = TransientError(f"{prefix}: {type(exc).__name__}", job_id=job_id)
        time.sleep(0.2 * (attempt + 1))
    assert last is not None
    raise last


# -- prompts ------------------------------------------------------------------------------------

#: a next-keyframe prompt for models that take one plain prompt (``str.format`` with
#: ``seconds`` and ``prompt``); boards override it with ``options.keyframe_prompt``
NEXT_KEYFRAME_PROMPT = "The same scene, {seconds:g} seconds later: {prompt}"


#: the variable naming the remote cache whose bucket lends vendors presigned URLs of frames
SHARE_ENV = "STORYRENDER_REMOTE_CACHE"


def shared_url(path: str | os.PathLike, *, who: str, expires: int = 3600) -> str:
    """A presigned HTTPS URL of *path* in the remote cache's bucket (``$STORYRENDER_REMOTE_CACHE``,
    ``s3://BUCKET/PREFIX``), valid for *expires* seconds: for vendors that fetch input images by
    URL and take no upload or data URI. Nothing is served from this machine.

    :raises ProviderError: when no remote cache is set, or the upload fails (``TransientError``).
    """
    from ..cache.remote import open_remote

    url = os.environ.get(SHARE_ENV)
    if not url:
        raise ProviderError(f"{who} fetches frames by URL: set {SHARE_ENV}=s3://BUCKET/PREFIX (frames are "
                            "uploaded there and sent as presigned URLs)")
    try:
        remote = open_remote(url)
    except Exception as exc:  # a malformed URL, boto3 missing
        raise ProviderError(f"{who}: {SHARE_ENV}: {exc}") from None
    try:
        return remote.share(Path(path), expires=expires)
    except Exception as exc:  # storage errors: the runner's retry tries again (nothing was submitted)
        raise TransientError(f"{who}: could not upload a frame to {url} ({type(exc).__name__})") from None
    finally:
        remote.close()


def compose_prompt(request: Any, *, negative_inline: bool = False, prompt: str | None = None) -> str:
    """The text to send for *request*: its prompt (or *prompt*, e.g. a next-keyframe template
    already applied), then ``" Camera: <camera>."`` when the request carries a camera hint, then
    ``" Avoid: <negative>."`` when *negative_inline* (for models without a negative-prompt
    parameter). Camera and negative prompt arrive only to providers that declare they read them
    (``Provider.reads``), so they are in the node's key exactly when they are in this text."""
    text = request.prompt if prompt is None else prompt
    camera = getattr(request, "camera", "")
    if camera:
        text = f"{text.strip().rstrip('.')}. Camera: {camera}."
    if negative_inline:
        text = with_negative(text, getattr(request, "negative_prompt", ""))
    return text


def with_camera(prompt: str, camera: "str | Mapping[str, Any] | None") -> str:
    """*prompt* with a camera hint appended (``"... Camera: slow pan left."``); prefer
    :func:`compose_prompt`."""
    if isinstance(camera, Mapping):
        camera = camera.get("camera")
    return f"{prompt.strip().rstrip('.')}. Camera: {camera}." if camera else prompt


def with_negative(prompt: str, negative: str) -> str:
    """*prompt* with ``" Avoid: <negative>."`` appended, for models without a negative prompt."""
    return f"{prompt} Avoid: {negative.strip()}." if negative and negative.strip() else prompt


# -- input mappings -----------------------------------------------------------------------------

#: the keys of a board's ``options.inputs`` (what a model's parameters can take)
INPUT_KEYS = ("prompt", "first_frame", "last_frame", "image", "duration", "seed", "aspect_ratio",
              "negative_prompt")


@dataclass(frozen=True)
class InputMap:
    """Which parameter of a hosted model takes what (None: the model has no such parameter).

    :param duration_format: how seconds are written (``"{:g}s"`` gives "6s"); None sends a number.
    :param aspect_ratios: ``aspect_ratio`` is sent as the nearest of these to the board's size;
        a string is sent as it is (e.g. ``"match_input_image"``); None sends ``W:H`` in lowest terms.
    :param defaults: parameters always sent (a board's ``params`` override them).
    """

    prompt: str | None = "prompt"
    first_frame: str | None = None
    last_frame: str | None = None
    image: str | None = None
    duration: str | None = None
    seed: str | None = None
    aspect_ratio: str | None = None
    negative_prompt: str | None = None
    duration_format: str | None = None
    aspect_ratios: tuple[str, ...] | str | None = None
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def jobs(self) -> frozenset[Job]:
        """The jobs this mapping can do (a first and last frame, a first frame, an image, a prompt)."""
        if self.first_frame and self.last_frame:
            return frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
        if self.first_frame:
            return frozenset({Job.FIRST_FRAME_VIDEO})
        if self.image:
            return frozenset({Job.NEXT_KEYFRAME})
        return frozenset({Job.TEXT_TO_IMAGE})

    def merged(self, names: Mapping[str, Any]) -> "InputMap":
        """A copy with a board's ``options.inputs`` over these names (empty values unset one)."""
        return dataclasses.replace(self, **{k: (v or None) for k, v in names.items() if k in INPUT_KEYS})

    def aspect_value(self, width: int, height: int) -> str:
        """What to send as ``aspect_ratio`` for a board of width x height."""
        if isinstance(self.aspect_ratios, str):
            return self.aspect_ratios
        if self.aspect_ratios:
            return nearest_aspect(width, height, self.aspect_ratios)
        return aspect_of(width, height)

    def duration_value(self, seconds: float) -> Any:
        """What to send as ``duration``: :attr:`duration_format` applied, else an int when whole."""
        secs = float(seconds)
        if self.duration_format:
            return self.duration_format.format(secs)
        return int(secs) if secs.is_integer() else secs

    def fill(self, args: dict[str, Any], prompt: str, request: Any, params: Any) -> dict[str, Any]:
        """Put :attr:`defaults`, *prompt*, the request's negative prompt, seed and aspect ratio, then
        a board's *params* (extra values, sent as they are) into *args*; returns *args*.

        :raises ProviderError: when *params* is not a mapping.
        """
        args.update(self.defaults)
        if self.prompt and prompt:
            args[self.prompt] = prompt
        if self.negative_prompt and request.negative_prompt:
            args[self.negative_prompt] = request.negative_prompt
        if self.seed:
            args[self.seed] = int(request.seed)
        if self.aspect_ratio:
            args[self.aspect_ratio] = self.aspect_value(request.width, request.height)
        params = params or {}
        if not isinstance(params, Mapping):
            raise ProviderError("options.params must be a mapping of parameter names to values")
        args.update(params)
        return args


def input_key_problems(who: str, names: Any, example: str) -> list[str]:
    """Problems with a board's ``options.inputs`` (*names*): not a mapping, or unknown keys.

    :param example: a mapping to suggest, such as ``"{first_frame: start_image, ...}"``.
    """
    if names is None:
        return []
    if not isinstance(names, Mapping):
        return [f"{who}: options.inputs must be a mapping such as {example}"]
    unknown = sorted(set(names) - set(INPUT_KEYS))
    if unknown:
        return [f"{who}: options.inputs has unknown keys {', '.join(unknown)}; known keys: {', '.join(INPUT_KEYS)}"]
    return []


# ---- text models (the write-story job) --------------------------------------------------------------------------

#: tokens one story takes, for the estimate before the call: ~1.5k in (instructions and schema), up
#: to ~3k out (the JSON and a model's reasoning); the cost recorded is the answer's reported usage
STORY_TOKENS = (1500, 3000)


def token_cost(rates: tuple[float, float], tokens_in: int, tokens_out: int) -> float:
    """USD for *tokens_in* input and *tokens_out* output tokens at *rates* (USD per 1M tokens each)."""
    return round((tokens_in * rates[0] + tokens_out * rates[1]) / 1e6, 6)


def token_price(rates: tuple[float, float] | None, as_of: str) -> "Price":
    """A text model's per-call estimate for one story (:data:`STORY_TOKENS`); unknown without *rates*."""
    from .models import Price

    return Price(per_call=token_cost(rates, *STORY_TOKENS), as_of=as_of) if rates else Price()


def story_json(text: Any, who: str) -> bytes:
    """A writer's answer as UTF-8 bytes, once it is known to be JSON (else ``ProviderError``)."""
    import json

    from ..errors import ProviderError

    if not isinstance(text, str) or not text.strip():
        raise ProviderError(f"{who} answered with no text")
    try:
        json.loads(text)
    except ValueError:
        raise ProviderError(f"{who} answered with text that is not JSON: {text[:120]!r}") from None
    return text.encode("utf-8")
