"""Frame arithmetic shared by the board model and the stitch: the frame nearest a running time,
beat and transition lengths in frames (:func:`frame_exact`), a :class:`Transition`.

Pure and frozen: the results go into cache keys.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from .vocabulary import TRANSITIONS

__all__ = ["Transition", "frame_exact", "frames_for_seconds"]


def frames_for_seconds(seconds: float, fps: int) -> int:
    """``round(seconds * fps)``: the frame count of a beat or a transition."""
    return int(round(float(seconds) * fps))


def _frame_at(seconds: Fraction, fps: int) -> int:
    """The frame nearest *seconds* (a half frame rounds up, so the result never depends on float noise)."""
    return math.floor(seconds * fps + Fraction(1, 2))


def frame_exact(beat_seconds: Sequence[float], transitions: Sequence[tuple[str, float]],
                fps: int) -> tuple[list[int], list["Transition"]]:
    """Beat frame counts ``n`` and transitions placed on the frame nearest their running time.

    Beat ``k``'s clip enters the output at ``sum(beat seconds before k) - sum(transition seconds up to k)`` and
    leaves it ``seconds_k`` later; each of those instants is rounded to the nearest frame on its own, so no cut or
    transition is ever more than half a frame from its storyboard time and the whole video lasts
    ``round(total seconds * fps)`` frames (rounding each beat instead lets the error pile up: 1.25 s beats at
    10 fps would be 12 frames each).

    :param transitions: ``(name, seconds)`` of the transition into each beat after the first.
    """
    if len(transitions) != max(0, len(beat_seconds) - 1):
        raise ValueError(f"{len(beat_seconds)} beats need {len(beat_seconds) - 1} transitions, got {len(transitions)}")
    n, trans = _frame_exact(tuple(float(s) for s in beat_seconds),
                            tuple((name, 0.0 if name == "cut" else float(t)) for name, t in transitions), fps)
    return list(n), list(trans)


@functools.lru_cache(maxsize=4)  # loading a board and building its graph place the same beats
def _frame_exact(beat_seconds: tuple[float, ...], transitions: tuple[tuple[str, float], ...],
                 fps: int) -> tuple[tuple[int, ...], tuple["Transition", ...]]:
    secs = [Fraction(str(s)) for s in beat_seconds]
    tsecs = [Fraction(0)] + [Fraction(0) if name == "cut" else Fraction(str(t)) for name, t in transitions]
    enter: list[int] = []
    leave: list[int] = []
    at = Fraction(0)
    for k, sk in enumerate(secs):
        at -= tsecs[k]
        enter.append(_frame_at(at, fps))
        leave.append(_frame_at(at + sk, fps))
        at += sk
    n = tuple(b - a for a, b in zip(enter, leave))
    trans = tuple(Transition(name, leave[k] - enter[k + 1]) if name != "cut" else Transition()
                  for k, (name, _) in enumerate(transitions))
    return n, trans


@dataclass(frozen=True)
class Transition:
    """A transition into a beat: an ffmpeg xfade name (or ``cut``) and its length in frames (0 for ``cut``)."""

    name: str = "cut"
    frames: int = 0

    def __post_init__(self) -> None:
        if self.name not in TRANSITIONS:
            raise ValueError(f"unknown transition {self.name!r}; known: {', '.join(TRANSITIONS)}")
        if self.frames < 0:
            raise ValueError(f"transition {self.name!r}: negative length ({self.frames} frames)")
        if self.name == "cut" and self.frames:
            raise ValueError("transition 'cut' has no length; give 0 frames")
        if self.name != "cut" and self.frames == 0:
            # A zero-length xfade is a cut; normalise so the plan (and its keys) do not depend on the name.
            object.__setattr__(self, "name", "cut")

    @classmethod
    def of(cls, name: str, seconds: float, fps: int) -> "Transition":
        """Build from a name and a length in seconds (``cut`` ignores the length)."""
        if name == "cut":
            return cls("cut", 0)
        return cls(name, frames_for_seconds(seconds, fps))
