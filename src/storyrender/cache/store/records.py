"""What the store keeps about an artifact (:class:`Record`), the prefixes of its index's keys, and
the small helpers around it (sizes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: prefixes of the index's keys: named state, artifact records, vendor jobs in flight
STATE = "state:"
RECORD = "node:"
JOB = "job:"


class CacheBusy(Exception):
    """The store is in use by a running build (so it cannot be pruned now)."""


def parse_size(text: str | int) -> int:
    """``500M``, ``2G``, ``1.5GB``, ``800k``, ``123`` (bytes) -> bytes (K/M/G/T are powers of 1024)."""
    if isinstance(text, int):
        return text
    t = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    mult = 1
    if t and t[-1] in "KMGT":
        mult = 1024 ** ("KMGT".index(t[-1]) + 1)
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a size (write e.g. 500M, 2G or a number of bytes)") from None
    if value < 0 or value != value:
        raise ValueError(f"{text!r} is not a size")
    return int(value * mult)


@dataclass(frozen=True)
class Record:
    """What the store knows about one artifact."""

    key: str
    kind: str
    suffix: str
    size: int
    created: float
    paid: bool = False
    cost: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: the artifact's digest (None in records made before digests were kept)
    sha256: str | None = None
    #: the artifact's mtime when it was stored (None in records made before mtimes were kept)
    mtime_ns: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)
