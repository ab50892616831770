"""Child processes (ffmpeg, espeak-ng) that never outlive the build.

Every child is started here, from an argv list (never a shell), in its own session (a terminal's
Ctrl-C reaches storyrender only, which decides), and, on Linux, with ``PR_SET_PDEATHSIG`` set to
SIGKILL: the kernel kills the child when the thread that started it dies, so a build stopped by
SIGTERM, SIGKILL or a crash leaves no ffmpeg behind. A child started after its parent already
died exits at once. :func:`kill_all` kills every running child (a second Ctrl-C does, so a hung
ffmpeg cannot hold the build).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
from typing import Any, Sequence

__all__ = ["popen", "run", "done", "kill_all", "running"]

_PR_SET_PDEATHSIG = 1
_lock = threading.Lock()
_live: set[subprocess.Popen] = set()
_libc: Any = None
if os.uname().sysname == "Linux":  # loaded before any fork: the child only calls it
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:  # pragma: no cover - no libc to load
        _libc = None


def _die_with_parent(parent: int):
    def setup() -> None:  # runs in the child between fork and exec: keep it tiny
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def popen(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """Start *argv* as a child that dies with the build; the caller waits (use :func:`run` when it can)."""
    kwargs.pop("shell", None)
    proc = subprocess.Popen(list(argv), start_new_session=True, preexec_fn=_die_with_parent(os.getpid()),
                            **kwargs)
    with _lock:
        _live.add(proc)
    return proc


def run(argv: Sequence[str], *, input: bytes | None = None, timeout: float | None = None,
        **kwargs: Any) -> subprocess.CompletedProcess:
    """Like :func:`subprocess.run`, for a child that dies with the build. A child past *timeout*
    is killed and :class:`subprocess.TimeoutExpired` raised."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    proc = popen(argv, **kwargs)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:
        _kill(proc)
        proc.wait()
        raise
    finally:
        with _lock:
            _live.discard(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group holds anything it started
    except (ProcessLookupError, PermissionError):
        pass


def done(proc: subprocess.Popen) -> None:
    """Forget *proc* once it was waited for (for callers of :func:`popen`)."""
    with _lock:
        _live.discard(proc)


def running() -> int:
    with _lock:
        return sum(1 for p in _live if p.poll() is None)


def kill_all() -> int:
    """SIGKILL every child still running; returns how many there were."""
    with _lock:
        procs = [p for p in _live if p.poll() is None]
    for p in procs:
        _kill(p)
    return len(procs)
