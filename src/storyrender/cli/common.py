"""Shared CLI plumbing: error handling and exit codes.

Exit status: 0 done, 1 a node failed (everything that finished stays cached), 2 bad input
(storyboard, options, missing key, budget), 130 interrupted.
"""

from __future__ import annotations

import functools
import glob
import sys

import click

from ..errors import BoardError, MissingKeyError, StoryrenderError

__all__ = ["expand_boards", "handle_errors", "InstalledChoice", "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT",
           "EXIT_INTERRUPTED"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def handle_errors(fn):
    """Turn storyrender errors into a clear message on stderr and the documented exit status."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BoardError as exc:
            click.echo(f"error: {exc.format()}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except MissingKeyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except StoryrenderError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def expand_boards(patterns) -> list[str]:
    """Paths and globs (quoted globs are expanded here, for CI) -> board paths, in order, unique."""
    out: list[str] = []
    for p in patterns:
        matches = sorted(glob.glob(p, recursive=True)) if any(c in p for c in "*?[") else [p]
        if not matches:
            matches = [p]  # let the loader report it
        for m in matches:
            if m not in out:
                out.append(m)
    return out


class InstalledChoice(click.Choice):
    """A choice among what installed plugins offer, looked up only when an option is used or shown."""

    def __init__(self, names) -> None:
        self._names = names
        super().__init__(())

    @property
    def choices(self):
        return tuple(self._names())

    @choices.setter
    def choices(self, value) -> None:
        pass
