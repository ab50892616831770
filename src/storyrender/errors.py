"""Exceptions raised by storyrender.

The tree::

    StoryrenderError                 base of everything raised on purpose
    ├── BoardError                   bad input: the user must fix a file (exit status 2)
    │   └── (carries file, line, column, JSON pointer, what to do)
    ├── ProviderError                one node failed inside a provider (exit status 1)
    │   ├── TransientError           worth retrying: rate limit, 5xx, timeout, dropped connection
    │   ├── RefusedError             the provider refused the content (policy); never retried
    │   └── MissingKeyError          no API key in the environment; names the variable
    ├── ArtifactError                a provider returned something that is not a valid image/video
    └── StitchError                  ffmpeg failed while joining the pieces

Messages never contain API keys: providers pass only the vendor's reason text, and
:func:`redact` scrubs anything that looks like a key from text taken from elsewhere.
"""

from __future__ import annotations

import os
import re

__all__ = [
    "StoryrenderError",
    "BoardError",
    "BoardErrors",
    "ProviderError",
    "TransientError",
    "RefusedError",
    "MissingKeyError",
    "ArtifactError",
    "StitchError",
    "redact",
    "looks_like_key",
    "KEY_SHAPE",
    "secret_values",
    "shorten",
    "MAX_SHOWN",
]

#: a list of board problems shows this many, then counts the rest
MAX_SHOWN = 8
#: longer messages (an echoed 100 000-digit number, a pasted essay) are cut to this many characters
MAX_MESSAGE = 600


def shorten(text: str, limit: int = 60) -> str:
    """*text* cut to about *limit* characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 20]}... ({len(text)} characters)"


class StoryrenderError(Exception):
    """Base class of every error storyrender raises on purpose."""

    exit_code = 1


class BoardError(StoryrenderError):
    """A storyboard (or a file it names) is wrong; the message says where and what to do."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = shorten(message, MAX_MESSAGE)
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        where = self.file or "<storyboard>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: "
        if self.pointer:
            text += f"{self.pointer}: "
        text += self.message
        if self.hint:
            if not text.endswith((".", "!", "?", ":")):
                text += "."
            text += f" {shorten(self.hint, MAX_MESSAGE)}"
        return text


class BoardErrors(BoardError):
    """Several :class:`BoardError` found at once (all are reported, one paragraph each)."""

    def __init__(self, errors: list[BoardError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, line=first.line, column=first.column,
                         pointer=first.pointer, hint=first.hint)

    def format(self) -> str:  # type: ignore[override]
        errors = getattr(self, "errors", [])
        shown = [e.format() for e in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            shown.append(f"... and {len(errors) - MAX_SHOWN} more problems (fix these and run again to see them)")
        return "\n".join(shown) or super().format()


class ProviderError(StoryrenderError):
    """A provider could not produce a node's artifact.

    :param message: the provider's reason, in words a user can act on (never a key).
    :param job_id: the vendor's id for a long-running job, so the user can look it up.
    """

    retryable = False

    def __init__(self, message: str, *, job_id: str | None = None, retry_after: float | None = None):
        self.message = redact(message)
        self.job_id = job_id
        self.retry_after = retry_after
        text = self.message + (f" (job id {job_id})" if job_id else "")
        super().__init__(text)


class TransientError(ProviderError):
    """A fault worth retrying (rate limit, server error, timeout, dropped connection)."""

    retryable = True


class RefusedError(ProviderError):
    """The provider refused the request (content policy, safety filter). Not retried."""


class MissingKeyError(ProviderError):
    """A provider needs an API key that is not set. Found before any call is made."""

    exit_code = 2


class ArtifactError(StoryrenderError):
    """A produced file is not a valid image or video (truncated download, wrong size...)."""


class StitchError(StoryrenderError):
    """ffmpeg failed while encoding a piece or joining the final file."""


_KEY_ENV_HINTS = ("KEY", "TOKEN", "SECRET", "PASSWORD")

#: what an API key looks like (a bearer token, a vendor's key shape): scrubbed from every message
#: (:func:`redact`) and refused as a value anywhere in a board (:func:`looks_like_key`)
KEY_SHAPE = re.compile(r"(?P<bearer>Bearer\s+)[A-Za-z0-9._~+/=\-]{8,}|\b(sk|rk|pk|r8|key)[-_][A-Za-z0-9_\-]{12,}"
                       r"|\bAIza[0-9A-Za-z_\-]{30,}|\bxai-[A-Za-z0-9]{16,}")


def looks_like_key(text: str) -> bool:
    """*text* (surrounding spaces aside) is one API key."""
    return KEY_SHAPE.fullmatch(text.strip()) is not None


def secret_values() -> dict[str, str]:
    """The values of the key-like environment variables (``*KEY*``, ``*TOKEN*``, ...), by value,
    naming their variable: what :func:`redact` scrubs and what a storyboard may never contain."""
    return {value: name for name, value in os.environ.items()
            if value and len(value) >= 8 and any(h in name.upper() for h in _KEY_ENV_HINTS)}


def redact(text: str) -> str:
    """Replace the value of every key-like environment variable found in *text* with ``***``."""
    if not text:
        return text
    for value in sorted(secret_values(), key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    # Bearer tokens and vendors' key shapes that may come back in vendor error bodies.
    return KEY_SHAPE.sub(lambda m: (m.group("bearer") or "") + "***", text)
