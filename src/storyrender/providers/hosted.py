"""One hosted-job loop for every vendor that takes a job, runs it and is polled for it.

``submit -> record the vendor's job id -> poll -> fetch -> (the runner verifies and stores)``,
written once. A plugin describes its vendor with a :class:`HostedJob` and calls
:func:`run_hosted`:

- **Recorded before waiting.** The job id is recorded (``ctx.journal``, kept by the store per
  node key) as soon as the vendor accepted the job. A retry after a failed poll or download, a
  Ctrl-C, a crash or a ``kill -9`` resumes that job on the next attempt or build instead of
  submitting (and paying for) a new one. The runner clears the record once the artifact is stored.
- **One retry layer.** Nothing here retries: a transient poll or fetch failure is raised as
  :class:`~storyrender.errors.TransientError` and the runner's retry resumes the recorded job.
  Plugins turn their SDK's own retries off.
- **Submissions that may have been accepted are never repeated blindly.** :meth:`HostedJob.submit`
  raises ``TransientError`` only when the vendor certainly did not accept the job (the connection
  was refused, HTTP 429, an HTTP error the vendor documents as "not created"), and
  :class:`SubmitUncertain` when it may have (the response timed out after the request was sent):
  that is not retried, and the error says where to look.
- **Stopping does not cancel.** When the build is stopped the vendor's job is left running and
  recorded, so the next build collects it; a timeout (the user's ``timeout`` option) cancels it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ProviderError, RefusedError, TransientError
from .context import Result, RunContext

__all__ = ["JobStatus", "HostedJob", "run_hosted", "SubmitUncertain", "JobGone", "Stopped"]


class SubmitUncertain(ProviderError):
    """The vendor may have accepted the job (e.g. the response to the submission timed out)."""


class JobGone(ProviderError):
    """The vendor no longer knows the recorded job (expired or deleted): submitting again is safe."""


class Stopped(ProviderError):
    """The build was stopped while the vendor's job ran; the job is recorded and left running."""


@dataclass
class JobStatus:
    """A vendor job's state: ``pending`` (queued or running), ``succeeded``, ``failed`` or ``canceled``.

    :param output: what :meth:`HostedJob.fetch` needs (URLs, the operation...)
    :param error: the vendor's reason for a failure
    :param refused: True when the failure is a content-policy refusal
    :param retry: True when the vendor says the failure is its own and transient (an internal
        error): the record is cleared and a retry submits again
    """

    state: str
    output: Any = None
    error: str = ""
    refused: bool = False
    retry: bool = False
    detail: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


class HostedJob(Protocol):
    """One vendor job, as a plugin describes it to :func:`run_hosted`."""

    #: ``"vendor/model"``, at the front of messages
    who: str

    def submit(self) -> str:
        """Create the job; return the vendor's job id (see the module docstring for the errors)."""

    def poll(self, job_id: str) -> JobStatus:
        """The job's state. Raise :class:`JobGone` when the vendor no longer has it,
        ``TransientError`` for a failed poll."""

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        """Download the finished job's output into ``ctx.output_path`` and return the result."""

    def cancel(self, job_id: str) -> bool | None:
        """Ask the vendor to cancel the job (best effort); return False when the vendor has no
        way to cancel (the job may then still finish and be billed)."""


def run_hosted(job: HostedJob, ctx: RunContext, *, provider: str, timeout: float, interval: float,
               sleep=time.sleep, clock=time.monotonic) -> Result:
    """Submit (or resume) *job*, wait for it, fetch its output (see the module docstring).

    :param provider: the provider's name, recorded with the job id
    :param timeout: seconds to wait for the vendor before cancelling the job
    :param interval: seconds between polls
    """
    journal = ctx.journal
    recorded = journal.get() if journal is not None else None
    job_id = None
    status: JobStatus | None = None
    if recorded and recorded.get("provider") == provider and recorded.get("job_id"):
        job_id = str(recorded["job_id"])
        try:
            status = job.poll(job_id)
            ctx.log(f"{job.who}: resuming job {job_id} ({status.state})")
        except JobGone:
            ctx.log(f"{job.who}: the recorded job {job_id} is gone at the vendor; submitting again")
            journal.clear()
            job_id = None
            ctx.charge()  # a new submission: reserve its cost against the budget
    if job_id is None:
        ctx.log(f"{job.who}: submitting")
        job_id = str(job.submit())
        if journal is not None:
            journal.record(job_id, provider=provider, submitted_at=time.time())
        ctx.log(f"{job.who}: job {job_id} accepted")
    started = clock()
    deadline = started + float(timeout)
    last_state = status.state if status else ""
    while status is None or status.state == "pending":
        if ctx.cancelled():
            raise Stopped(f"{job.who}: stopped by the build; job {job_id} is left running at the vendor and "
                          "recorded: the next build collects it", job_id=job_id)
        now = clock()
        if now >= deadline:
            what = "it was cancelled" if _cancel(job, job_id) else \
                "the vendor cannot cancel it, so it may still finish and be billed"
            if journal is not None:
                journal.clear()
            raise ProviderError(f"{job.who}: job {job_id} did not finish within {timeout:g} s; {what} "
                                "(raise the provider's timeout option for slow models)", job_id=job_id)
        if status is not None:
            sleep(max(0.0, min(interval, deadline - now)))
        try:
            status = job.poll(job_id)
        except JobGone:
            if journal is not None:
                journal.clear()
            raise TransientError(f"{job.who}: job {job_id} vanished at the vendor; it will be submitted again",
                                 job_id=job_id) from None
        if status.state != last_state:
            last_state = status.state
            ctx.log(f"{job.who}: job {job_id} is {status.detail or status.state}")
    if status.state != "succeeded":
        if journal is not None:
            journal.clear()  # the vendor will not make it: a new attempt must submit again
        reason = status.error or f"the job ended {status.state} without a reason"
        if status.retry and not status.refused:
            raise TransientError(f"{job.who}: job {job_id} failed at the vendor ({reason}); submitting again",
                                 job_id=job_id)
        cls = RefusedError if status.refused else ProviderError
        raise cls(f"{job.who} failed: {reason}", job_id=job_id)
    result = job.fetch(job_id, status)
    result.info.setdefault("job_id", job_id)
    return result


def _cancel(job: HostedJob, job_id: str) -> bool:
    """True unless the vendor cannot cancel (``cancel`` returned False)."""
    try:
        return job.cancel(job_id) is not False
    except Exception:  # best effort: the error that follows says what happened
        return True
