"""What a provider call is given and gives back: its :class:`RunContext`, the :class:`JobJournal`
recording a vendor job, and the :class:`Result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["Result", "RunContext", "JobJournal"]


@dataclass
class Result:
    """What a provider returns: the artifact's path, and what it learnt about the job.

    :param cost_usd: the cost the vendor reported (None when it reports none).
    :param info: extra facts for the manifest (vendor job id, resolved model version...).
    """

    path: Path
    cost_usd: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


class RunContext:
    """Given to every provider call.

    :param output_path: where to write the artifact (its suffix says the expected type).
    :param log: a callable for progress notes (shown by the reporter, never printed directly).
    :param cancelled: returns True once the build is being stopped; long polls should check it.
    :param call: call-only options (timeouts, poll intervals; never part of the node's key).
    :param journal: where the vendor's job id is recorded (see :class:`JobJournal`); None when
        the executor has no store at hand (then a retry cannot resume).
    :param charge: reserves one submission's estimated cost against the build's budget; the
        hosted-job kit calls it before submitting again after a recorded job was lost.
    """

    def __init__(
        self,
        output_path: Path,
        *,
        log: Callable[[str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        work_dir: Path | None = None,
        call: Mapping[str, Any] | None = None,
        journal: "JobJournal | None" = None,
        charge: Callable[[], None] | None = None,
    ) -> None:
        self.output_path = Path(output_path)
        self.work_dir = Path(work_dir) if work_dir else self.output_path.parent
        self._log = log or (lambda message: None)
        self._cancelled = cancelled or (lambda: False)
        self.call: Mapping[str, Any] = dict(call or {})
        self.journal = journal
        self._charge = charge or (lambda: None)

    def charge(self) -> None:
        self._charge()

    def log(self, message: str) -> None:
        self._log(message)

    def cancelled(self) -> bool:
        return self._cancelled()

    def write(self, data: bytes) -> Path:
        """Write *data* to :attr:`output_path` and return it."""
        self.output_path.write_bytes(data)
        return self.output_path


class JobJournal:
    """Where a node's vendor job is recorded while it runs (the store keeps it per node key).

    ``get()`` returns the recorded ``{"provider", "job_id", ...}`` or None; ``record(job_id, **facts)``
    is called right after the vendor accepted a job; ``clear()`` once the job is known to be
    useless (failed, cancelled, expired). The runner clears it after the artifact is stored.
    """

    def __init__(self, get: Callable[[], Any], record: Callable[[dict], None], clear: Callable[[], None]) -> None:
        self._get, self._record, self._clear = get, record, clear

    def get(self) -> dict | None:
        value = self._get()
        return dict(value) if value else None

    def record(self, job_id: str, **facts: Any) -> None:
        self._record({"job_id": str(job_id), **facts})

    def clear(self) -> None:
        self._clear()

