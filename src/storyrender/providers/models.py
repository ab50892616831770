"""What a provider offers: its models, what each accepts, costs and where it is in its lifecycle."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..vocabulary import Job

__all__ = ["Price", "Limits", "STATUSES", "Lifecycle", "ModelInfo", "TIMED_JOBS"]


@dataclass(frozen=True)
class Price:
    """A model's list price, and the date it was taken (prices change: boards may override).

    ``per_image`` for image models, ``per_second`` for video models (times the beat's seconds),
    ``per_call`` for anything billed per request.
    """

    per_image: float | None = None
    per_second: float | None = None
    per_call: float | None = None
    as_of: str = ""

    @property
    def known(self) -> bool:
        """True when any price is set (an empty Price means "not known", not "free")."""
        return any(v is not None for v in (self.per_image, self.per_second, self.per_call))

    def estimate(self, seconds: float | None = None) -> float:
        total = 0.0
        if self.per_image is not None:
            total += self.per_image
        if self.per_call is not None:
            total += self.per_call
        if self.per_second is not None:
            total += self.per_second * float(seconds or 0)
        return total


@dataclass(frozen=True)
class Limits:
    """What a model accepts. ``None`` means anything goes.

    ``durations``: the clip lengths (seconds) a video model can make;
    ``aspect_ratios``: e.g. ("16:9", "9:16"); ``max_size``: (w, h) upper bound.
    """

    durations: tuple[float, ...] | None = None
    aspect_ratios: tuple[str, ...] | None = None
    max_size: tuple[int, int] | None = None


#: the lifecycle states a vendor gives its models, in order
STATUSES = ("preview", "ga", "deprecated", "shut_down")


@dataclass(frozen=True)
class Lifecycle:
    """Where a model is in its vendor's lifecycle, and where and when that was read.

    :param status: ``preview``, ``ga``, ``deprecated`` or ``shut_down`` as the vendor announced it
        ("" when the plugin does not know, e.g. a model id it accepts without a table entry)
    :param deprecated_on: ISO date the vendor deprecated it (announced the shutdown)
    :param shut_down_on: ISO date it stops (or stopped) answering; from that day on the model is
        shut down whatever ``status`` says, and before it a model with a date is deprecated
    :param replacement: the model id the vendor names instead (same provider)
    :param source: where the facts were read (SDK file, vendor page)
    :param checked: ISO date they were read

    ``validate`` refuses a shut-down model (naming the replacement) and warns on a deprecated one.
    """

    status: str = ""
    deprecated_on: str = ""
    shut_down_on: str = ""
    replacement: str = ""
    source: str = ""
    checked: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES + ("",):
            raise ValueError(f"lifecycle status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        for name in ("deprecated_on", "shut_down_on", "checked"):
            value = getattr(self, name)
            if value:
                _dt.date.fromisoformat(value)  # raises for a malformed date

    def status_on(self, day: _dt.date | None = None) -> str:
        """The status on *day* (default today): ``unknown`` when undeclared."""
        day = day or _dt.date.today()
        if self.status == "shut_down" or (self.shut_down_on and day >= _dt.date.fromisoformat(self.shut_down_on)):
            return "shut_down"
        if self.status == "deprecated" or self.shut_down_on or (
                self.deprecated_on and day >= _dt.date.fromisoformat(self.deprecated_on)):
            return "deprecated"
        return self.status or "unknown"

    def usable_on(self, day: _dt.date | None = None) -> bool:
        """False once the model is shut down."""
        return self.status_on(day) != "shut_down"

    def describe(self, day: _dt.date | None = None, *, sources: bool = True) -> str:
        """e.g. ``shut down on 2026-10-23 (use gpt-image-1.5; source: openai SDK ..., checked 2026-12-04)``."""
        state = self.status_on(day)
        words = {"shut_down": "shut down", "deprecated": "deprecated", "ga": "GA", "preview": "preview",
                 "unknown": "status unknown"}[state]
        if state == "shut_down" and self.shut_down_on:
            words += f" on {self.shut_down_on}"
        elif state == "deprecated" and self.shut_down_on:
            words += f", shuts down on {self.shut_down_on}"
        extra = [f"use {self.replacement}"] if self.replacement and state in ("shut_down", "deprecated") else []
        if self.source and sources:
            extra.append(f"source: {self.source}" + (f", checked {self.checked}" if self.checked else ""))
        return words + (f" ({'; '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class ModelInfo:
    """One model a provider offers: which jobs it does, its limits, price and lifecycle."""

    name: str
    jobs: frozenset[Job]
    limits: Limits = Limits()
    price: Price = Price()
    version: str = "1"
    description: str = ""
    lifecycle: Lifecycle = Lifecycle()

    @property
    def status(self) -> str:
        """The lifecycle status today (``preview``, ``ga``, ``deprecated``, ``shut_down`` or ``unknown``)."""
        return self.lifecycle.status_on()


#: jobs whose ``per_second`` price is times the seconds made (a speech's seconds are estimated from its text)
TIMED_JOBS = frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO, Job.SPEECH, Job.MUSIC, Job.SOUND})
