"""Speech for the ``local`` provider: espeak-ng when installed, a short silence otherwise.

espeak-ng runs as an argv list with the text on stdin (``--stdin``), never through a shell,
so quotes, newlines and emoji in the text are harmless. Its output (22.05 kHz) is resampled
to 48 kHz mono 16-bit PCM with the bundled ffmpeg.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from ... import children
from ...errors import ProviderError
from ...media.ffmpeg import run_ffmpeg

__all__ = ["speak", "write_silence", "espeak_voices", "voice_problem", "MISSING_WARNING", "SILENCE_SECONDS"]

SILENCE_SECONDS = 0.5
MISSING_WARNING = (
    "espeak-ng is not installed: voice-over for this beat is silent "
    "(install it with: sudo apt-get install espeak-ng)"
)


def _table(exe: str, *extra: str) -> list[list[str]]:
    proc = children.run([exe, *(extra or ("--voices",))], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                        stdin=subprocess.DEVNULL, timeout=30)
    rows = proc.stdout.decode("utf-8", "replace").splitlines()[1:]
    return [r.split() for r in rows if len(r.split()) >= 5]


@functools.lru_cache(maxsize=1)
def espeak_voices() -> tuple[tuple[str, ...], frozenset[str], frozenset[str]] | None:
    """The voices the installed espeak-ng knows: ``(language codes, every accepted name, variants)``.

    Names are lower case: a voice is chosen by its language code (``en-us``), its file (``gmw/en-US`` or
    ``en-US``) or its name (``English (America)``); ``NAME+VARIANT`` adds a variant (``en+f3``, ``en+Alicia``).
    None when espeak-ng is not installed (speech is then silent, whatever the name).
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    try:
        rows, variant_rows = _table(exe), _table(exe, "--voices=variant")
    except (OSError, subprocess.SubprocessError):
        return None
    langs = tuple(r[1] for r in rows)
    # the table writes a name's spaces as underscores; espeak-ng takes the name with its spaces
    names = {n.lower() for r in rows for n in (r[1], r[3].replace("_", " "), r[4], r[4].rsplit("/", 1)[-1])}
    variants = {n.lower() for r in variant_rows for n in (r[3], r[4].rsplit("/", 1)[-1])}
    return langs, frozenset(names), frozenset(variants)


def voice_problem(name: str) -> str | None:
    """Why espeak-ng cannot speak with voice *name* (a sentence listing the voices that exist), or None."""
    known = espeak_voices()
    if known is None or not name:
        return None
    langs, names, variants = known
    base, _, variant = name.lower().partition("+")
    if base in names and (not variant or variant in variants):
        return None
    if base in names:
        return (f"espeak-ng has no voice variant {variant!r}: use one of "
                f"{', '.join(sorted(variants)[:12])}, ... (espeak-ng --voices=variant lists them all)")
    import difflib

    close = difflib.get_close_matches(base, langs, n=3)
    return (f"espeak-ng has no voice {name!r}" + (f" (did you mean {', '.join(close)}?)" if close else "")
            + f": use a language code such as {', '.join(langs[:40])}, ... (espeak-ng --voices lists all "
            f"{len(langs)}; add +VARIANT for another speaker, e.g. en+f3)")


def write_silence(path: Path, seconds: float = SILENCE_SECONDS, *, rate: int = 48000) -> None:
    """Write *seconds* of mono 16-bit silence at *rate* Hz to *path*."""
    frames = max(1, round(seconds * rate))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * frames)


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate() or 1)


def _espeak(exe: str, text: str, out: Path, voice: str | None) -> subprocess.CompletedProcess:
    argv = [exe, "--stdin", "-w", str(out)]
    if voice:
        argv += ["-v", voice]
    return children.run(argv, input=text.encode("utf-8", "replace"), stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, timeout=300)


def speak(text: str, path: Path, *, voice: str | None = None, rate: int = 48000) -> dict:
    """Say *text* into a WAV at *path* (mono, *rate* Hz, 16-bit).

    :returns: ``{"silent": False, "seconds": d}``; without espeak-ng, a 0.5 s silence and
        ``{"silent": True, "seconds": 0.5, "warning": ...}``.
    :raises ProviderError: when espeak-ng is installed but fails.
    """
    path = Path(path)
    exe = shutil.which("espeak-ng")
    if exe is None:
        write_silence(path, SILENCE_SECONDS, rate=rate)
        return {"silent": True, "seconds": SILENCE_SECONDS, "warning": MISSING_WARNING}
    text = (text or "").replace("\x00", " ")
    if not text.strip():
        write_silence(path, SILENCE_SECONDS, rate=rate)
        return {"silent": False, "seconds": SILENCE_SECONDS}
    fd, raw_name = tempfile.mkstemp(suffix=".wav", prefix=".espeak-", dir=str(path.parent))
    os.close(fd)
    raw = Path(raw_name)
    try:
        proc = _espeak(exe, text, raw, voice)
        warning = None
        if proc.returncode != 0 and voice:
            # an unknown voice name: say it with the default voice rather than fail the build
            proc = _espeak(exe, text, raw, None)
            warning = f"espeak-ng has no voice {voice!r}: used its default voice"
        if proc.returncode != 0 or raw.stat().st_size <= 44:
            tail = proc.stderr.decode("utf-8", "replace").strip()[-300:]
            raise ProviderError(f"espeak-ng failed (exit {proc.returncode}): {tail or 'no audio written'}")
        run_ffmpeg(["-i", raw, "-ac", "1", "-ar", str(int(rate)), "-c:a", "pcm_s16le", "-map_metadata", "-1",
                     "-fflags", "+bitexact", "-flags:a", "+bitexact", path], what="resampling espeak-ng output")
    finally:
        raw.unlink(missing_ok=True)
    info: dict = {"silent": False, "seconds": round(_duration(path), 4)}
    if warning:
        info["warning"] = warning
    return info
