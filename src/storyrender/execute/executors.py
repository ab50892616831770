"""Executors: where a build's nodes are made (``storyrender build --executor NAME``).

The built-in ``threads`` (this process) and ``ray`` (a Ray cluster, docs/scale-out.md) register
through the ``register_executors`` hook like any plugin's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..hooks import hookimpl
from .scheduler import Executor, ThreadExecutor

__all__ = ["ExecutorEntry", "register_executors", "DEFAULT_JOBS"]

#: nodes made at once when ``--jobs`` is not given
DEFAULT_JOBS = 8


@dataclass(frozen=True)
class ExecutorEntry:
    """An executor ``--executor`` may name: *make(jobs, address)* returns it (*address*: ``--ray-address``)."""

    name: str
    make: Callable[[int | None, str | None], Executor]
    description: str = ""


def _threads(jobs: int | None, address: str | None) -> Executor:
    return ThreadExecutor(jobs or DEFAULT_JOBS)


def _ray(jobs: int | None, address: str | None) -> Executor:
    from .ray_executor import RayExecutor

    return RayExecutor(jobs, address=address)


@hookimpl
def register_executors(register):
    register(ExecutorEntry("threads", _threads, "threads in this process (the default)"))
    register(ExecutorEntry("ray", _ray, "a Ray cluster (--ray-address, else $RAY_ADDRESS, else a local one)"))
