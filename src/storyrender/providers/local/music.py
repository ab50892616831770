"""Music beds and sound effects for the ``local`` provider: synthesised, deterministic, offline.

:func:`compose` makes a pad of chords that follows the prompt's mood words: minor or major
progressions (``dark``, ``sad``, ``tense`` ... against ``happy``, ``bright``, ``hopeful`` ...), a
tempo from ``calm``/``slow`` or ``upbeat``/``energetic`` words, a bass note under each chord and,
unless the mood is calm, a soft plucked arpeggio. The key and the progression come from
``sha256(prompt, seed)``, so the same request always gives the same bytes. Each distinct chord
is rendered once (a bar with its release tail) and the bars are overlap-added for the whole
length, so a ten-minute bed costs no more than a few bars.

:func:`effect` makes a placeholder sound effect (a thud, a chime or a whoosh, by the prompt's
words): previz, like everything ``local`` makes.

Both write 16-bit stereo WAV at 48 kHz.
"""

from __future__ import annotations

import hashlib
import random
import wave
from pathlib import Path

import numpy as np

__all__ = ["compose", "effect", "mood_of", "RATE"]

RATE = 48000

_MINOR = ("sad", "dark", "melanchol", "tense", "somber", "sombre", "myster", "night", "rain", "lonely", "eerie",
          "suspense", "grim", "cold", "ominous", "tragic", "haunt", "noir", "storm", "fear")
_MAJOR = ("happy", "bright", "joy", "uplift", "hope", "warm", "sunny", "playful", "triumph", "cheer", "fun",
          "magical", "whimsical", "festive", "romantic", "epic", "heroic")
_SLOW = ("calm", "slow", "ambient", "gentle", "peace", "soft", "dream", "lullaby", "quiet", "serene", "meditat",
         "relax", "drone", "pad")
_FAST = ("upbeat", "energetic", "fast", "action", "driving", "dance", "chase", "run", "exciting", "pulse", "rock")

#: progressions as (semitones above the key's root, minor chord?) per bar
_PROGRESSIONS = {
    "major": (((0, False), (7, False), (9, True), (5, False)),     # I V vi IV
              ((0, False), (5, False), (9, True), (7, False)),     # I IV vi V
              ((0, False), (9, True), (5, False), (7, False))),    # I vi IV V
    "minor": (((0, True), (8, False), (3, False), (10, False)),    # i VI III VII
              ((0, True), (5, True), (8, False), (7, False)),      # i iv VI V
              ((0, True), (10, False), (8, False), (10, False))),  # i VII VI VII
}


def _has(text: str, words: tuple[str, ...]) -> int:
    return sum(1 for w in words if w in text)


def mood_of(prompt: str) -> dict:
    """The mode (major/minor), tempo (bpm) and whether an arpeggio plays, from the prompt's words."""
    text = prompt.lower()
    minor = _has(text, _MINOR) > _has(text, _MAJOR)
    slow, fast = _has(text, _SLOW), _has(text, _FAST)
    bpm = 72 if slow > fast else 118 if fast > slow else 92
    return {"mode": "minor" if minor else "major", "bpm": bpm, "arpeggio": not slow > fast}


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def _tone(freq: float, n: int, harmonics: int, bright: float, detune: float = 0.0) -> np.ndarray:
    """A few harmonics of *freq* (amplitudes falling with *bright*), with a slightly detuned twin."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for h in range(1, harmonics + 1):
        amp = bright ** (h - 1) / h
        out += amp * np.sin(2 * np.pi * freq * h * t)
        if detune:
            out += amp * np.sin(2 * np.pi * freq * h * (1 + detune) * t + h)
    return out


def _chord_bar(root: int, minor: bool, bar: int, tail: int, mood: dict, rng: random.Random) -> np.ndarray:
    """One bar of a chord (pad + bass + optional arpeggio) with its release tail, stereo (n, 2)."""
    n = bar + tail
    third = 3 if minor else 4
    notes = [root, root + third, root + 7, root + 12]
    left = np.zeros(n)
    right = np.zeros(n)
    for i, m in enumerate(notes):
        f = _hz(m)
        left += _tone(f, n, 4, 0.45, detune=0.0025 + 0.001 * i)
        right += _tone(f * 1.0015, n, 4, 0.45, detune=0.002 + 0.001 * i)
    pad_env = np.ones(n)
    attack = int(0.25 * bar)
    pad_env[:attack] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, attack))
    pad_env[bar:] = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, tail))
    pad = 0.12 * pad_env
    bass = 0.22 * _tone(_hz(root - 12), n, 3, 0.3) * pad_env
    left, right = left * pad + bass, right * pad + bass
    if mood["arpeggio"]:
        step = bar // 8
        t = np.arange(step + tail) / RATE
        pluck_env = np.exp(-t / 0.22)
        order = [0, 1, 2, 3, 2, 1, 2, 3] if rng.random() < 0.5 else [0, 2, 1, 3, 0, 2, 1, 3]
        for k, which in enumerate(order):
            f = _hz(notes[which] + 12)
            p = 0.06 * pluck_env * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t))
            a = k * step
            b = min(n, a + len(p))
            pan = 0.35 + 0.3 * (which / 3)
            left[a:b] += p[:b - a] * (1 - pan)
            right[a:b] += p[:b - a] * pan
    return np.stack([left, right], axis=1)


def compose(prompt: str, seconds: float, seed: int | None, out: Path) -> dict:
    """Write *seconds* of a chord bed following *prompt*'s mood to the WAV *out*; return facts."""
    mood = mood_of(prompt)
    rng = _rng("music", prompt.strip().lower(), seed or 0)
    key = rng.randrange(45, 53)  # A2 .. C#3 roots
    progression = rng.choice(_PROGRESSIONS[mood["mode"]])
    beats_per_chord = 8 if mood["bpm"] < 80 else 4
    bar = int(RATE * 60.0 / mood["bpm"] * beats_per_chord)
    tail = int(0.6 * RATE)
    total = max(1, int(round(float(seconds) * RATE)))
    rendered = {}
    mix = np.zeros((total + bar + tail, 2))
    for i, start in enumerate(range(0, total, bar)):
        chord = progression[i % len(progression)]
        if chord not in rendered:
            rendered[chord] = _chord_bar(key + chord[0], chord[1], bar, tail, mood, rng)
        buf = rendered[chord]
        mix[start:start + len(buf)] += buf
    mix = mix[:total]
    peak = float(np.max(np.abs(mix))) or 1.0
    mix *= 0.7 / peak
    _write_wav(mix, out)
    return {"seconds": total / RATE, "mode": mood["mode"], "bpm": mood["bpm"], "chords": len(rendered),
            "key_midi": key}


def effect(prompt: str, seconds: float | None, seed: int | None, out: Path) -> dict:
    """Write a placeholder sound effect for *prompt* (thud, chime or whoosh) to the WAV *out*."""
    text = prompt.lower()
    rng = _rng("sound", text.strip(), seed or 0)
    n = int(round(float(seconds or 1.5) * RATE))
    t = np.arange(n) / RATE
    noise = np.random.default_rng(rng.getrandbits(32)).standard_normal(n)
    if any(w in text for w in ("boom", "thud", "hit", "door", "explosion", "thunder", "crash", "knock", "slam")):
        kind = "thud"
        sweep = 2 * np.pi * (40 * t + 60 * (1 - np.exp(-t / 0.05)) * 0.05)
        sig = np.sin(sweep) * np.exp(-t / 0.35) + 0.3 * _smooth(noise, 40) * np.exp(-t / 0.08)
    elif any(w in text for w in ("bell", "chime", "ding", "bird", "chirp", "sparkle", "magic", "ping")):
        kind = "chime"
        f = _hz(rng.randrange(79, 91))
        sig = sum(np.sin(2 * np.pi * f * r * t) / r for r in (1, 2.76, 5.4)) * np.exp(-t / 0.6)
    else:
        kind = "whoosh"
        env = np.sin(np.pi * t / (t[-1] or 1)) ** 2
        sig = _smooth(noise, 6) * env
    sig = sig / (float(np.max(np.abs(sig))) or 1.0) * 0.6
    _write_wav(np.stack([sig, sig], axis=1), out)
    return {"seconds": n / RATE, "kind": kind}


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """A moving average (a gentle low-pass) of *x*."""
    return np.convolve(x, np.ones(width) / width, mode="same")


def _write_wav(stereo: np.ndarray, out: Path) -> None:
    pcm = (np.clip(stereo, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
