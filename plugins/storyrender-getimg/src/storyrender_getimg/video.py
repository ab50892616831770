"""getimg videos: one generation as a hosted job (``run_hosted``).

The generation id is recorded as soon as getimg answers the create, so a failed poll or
download, a Ctrl-C or a ``kill -9`` resumes it on the next attempt or build instead of paying
for a new one. A status poll answered 404 means the generation is gone (``JobGone``); other
failed polls and downloads raise ``TransientError``. The v2 API has no cancel: a job that
outlives ``timeout`` is abandoned (it may still finish and be billed).
"""

from __future__ import annotations

from typing import Any

from storyrender.provider_api import JobGone, JobStatus, ProviderError, Result, RunContext, kit, stainless

from .calls import REFUSAL, completed, field, submit, vendor

__all__ = ["VideoJob"]


class VideoJob:
    """One getimg video generation, as :func:`run_hosted` drives it."""

    def __init__(self, client: Any, model: str, kwargs: dict[str, Any], extra: dict[str, Any], ctx: RunContext,
                 read_timeout: float) -> None:
        self.client, self.model, self.kwargs, self.extra, self.ctx = client, model, kwargs, extra, ctx
        self.read_timeout = read_timeout
        self.who = f"getimg/{model}"

    def submit(self) -> str:
        created = submit(lambda: self.client.videos.generations.create(
            model=self.model, extra_body=self.extra or None, **self.kwargs), self.who, self.read_timeout,
            option="read_timeout")
        return field(created, "id", self.who)

    def poll(self, job_id: str) -> JobStatus:
        import getimg

        try:
            current = self.client.videos.generations.retrieve(job_id)
        except getimg.NotFoundError:
            raise JobGone(f"{self.who}: getimg no longer knows generation {job_id}", job_id=job_id) from None
        except getimg.GetimgAIError as exc:
            raise stainless.read_error(exc, vendor(self.who), job_id) from None
        status = getattr(current, "status", None)
        if not isinstance(status, str) or not status:
            raise ProviderError(f"{self.who}: unexpected response from the API (no status)", job_id=job_id)
        if status == "completed":
            return JobStatus("succeeded", output=current)
        if status == "failed":
            err = getattr(current, "error", None)
            code = str(getattr(err, "code", "") or "")
            message = str(getattr(err, "message", "") or "the generation failed without a reason")
            return JobStatus("failed", error=message + (f" ({code})" if code else ""),
                             refused=bool(REFUSAL.search(f"{code} {message}")))
        if status in ("canceled", "cancelled"):
            return JobStatus("canceled")
        return JobStatus("pending", detail=status)

    def fetch(self, job_id: str, status: JobStatus) -> Result:
        current = status.output
        _, url, cost = completed(current, self.who, job_id)
        data = kit.download(url, who=self.who, job_id=job_id)  # TransientError: the retry resumes this job
        ctx = self.ctx
        try:
            kit.save_video(data, ctx.output_path, who=self.who, job_id=job_id)
        except ProviderError:
            if ctx.journal is not None:
                ctx.journal.clear()  # not a video: a new attempt must submit again
            raise
        info: dict[str, Any] = {"job_id": job_id, "model": self.model}
        item = current.data[0]
        for k in ("duration", "fps", "width", "height"):
            if getattr(item, k, None) is not None:
                info[k] = getattr(item, k)
        return Result(ctx.output_path, cost_usd=cost, info=info)

    def cancel(self, job_id: str) -> bool:
        """The v2 API has no cancel endpoint (the SDK's ``videos.generations`` has create and retrieve
        only): the generation may still finish and be billed."""
        self.ctx.log(f"{self.who}: the API cannot cancel generation {job_id}; it may still finish and be billed")
        return False
