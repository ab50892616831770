"""``storyrender studio``: a local web app for one board.

The board stays the source of truth: the page shows its beats as cards and its plan (re-planned
whenever the file changes on disk), builds it with live per-node status over server-sent events,
plays each segment as soon as it is made, and every action (new take, edit prompt, pin a frame,
delete, add beats) is an edit of the YAML that keeps its comments and layout and is validated
before it replaces the file (:mod:`.edits`). Only the Build button calls providers (and
``--budget`` holds). The server binds 127.0.0.1 unless told otherwise, and every request needs
the random token in the address it prints (:mod:`.app`).

Needs the ``studio`` extra (``pip install 'storyrender[studio]'``: starlette, uvicorn, ruamel.yaml).
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Callable

__all__ = ["serve", "make_server", "new_token"]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def make_server(board: Path | None, *, folder: Path, offline: bool = False, budget: float | None = None,
                host: str = "127.0.0.1", port: int = 0, token: str | None = None, jobs: int = 4):
    """(uvicorn server, session, token), not started; port 0 picks a free port once started."""
    import uvicorn

    from .app import make_app
    from .session import Session

    token = token or new_token()
    session = Session(board, folder=folder, offline=offline, budget=budget, jobs=jobs)
    config = uvicorn.Config(make_app(session, token), host=host, port=port, log_level="warning",
                            access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    return uvicorn.Server(config), session, token


def serve(board: Path | None, *, folder: Path, offline: bool = False, budget: float | None = None,
          host: str = "127.0.0.1", port: int = 8765, on_ready: Callable[[str], None] | None = None,
          jobs: int = 4) -> None:
    """Run the studio until interrupted; *on_ready* gets the address (with its token) once listening."""
    import time

    server, session, token = make_server(board, folder=folder, offline=offline, budget=budget, host=host,
                                         port=port, jobs=jobs)
    watcher = threading.Thread(target=session.watch, name="storyrender-studio-watch", daemon=True)
    watcher.start()
    thread = threading.Thread(target=server.run, name="storyrender-studio-http", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not server.started:
        raise OSError(f"could not listen on {host}:{port} (in use? try --port)")
    bound = server.servers[0].sockets[0].getsockname()[1] if port == 0 else port
    shown = host if ":" not in host else f"[{host}]"
    if on_ready:
        on_ready(f"http://{shown}:{bound}/?token={token}")
    try:
        while thread.is_alive():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
        server.should_exit = True
        thread.join(timeout=5)
