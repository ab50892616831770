"""How long each written beat lasts: the asked duration, cut into clips the video model can make."""

from __future__ import annotations

__all__ = ["beat_lengths", "DEFAULT_BEAT"]

#: the beat length when the video model takes any length and no --beats is given
DEFAULT_BEAT = 5.0


def beat_lengths(total: float, durations: tuple[float, ...] | None, beats: int | None = None) -> tuple[float, ...]:
    """Beat lengths for a video of about *total* seconds.

    *durations*: the clip lengths the video model makes (``None``: any length). With *beats*,
    that many beats; otherwise as many as fit. A model with fixed clip lengths may make the total
    differ from *total* (an 8 s-only model makes 32 s of a 30 s request): the caller says so.
    """
    if total <= 0:
        raise ValueError("the duration must be more than 0 seconds")
    if durations:
        allowed = sorted(float(d) for d in durations)
        if beats:
            d = min(allowed, key=lambda a: (abs(a - total / beats), a))
            return (d,) * beats
        # the clip length whose whole number of beats comes closest to *total*; ties: shorter clips
        best = min(allowed, key=lambda a: (abs(max(1, round(total / a)) * a - total), a))
        return (best,) * max(1, round(total / best))
    n = beats or max(1, round(total / DEFAULT_BEAT))
    each = round(total / n, 3)
    out = [each] * n
    out[-1] = round(total - each * (n - 1), 3)  # the last beat takes the rounding
    return tuple(out)
