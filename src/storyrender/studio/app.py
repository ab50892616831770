"""The studio's web app (Starlette): the page, its events, its actions, and the files it may show.

Security: every request needs the session's random token (``?token=`` or the
``X-Storyrender-Token`` header; compared in constant time), else 403. Files are served only from
the board's output folder and its cache (any other path, or one that escapes them, is 404). The
page receives plans, statuses and file URLs, never the environment or a key (error texts go
through :func:`storyrender.errors.redact`). Actions are POSTs; each edit of the YAML is validated
before it replaces the file, and none of them calls a provider (only Build does).
"""

from __future__ import annotations

import asyncio
import hmac
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import BoardError, StoryrenderError, redact
from . import edits
from .page import render_page, CSP
from .session import Session

__all__ = ["make_app"]

_KEY_CHARS = set("0123456789abcdef")


def _error(exc: Exception, status: int = 400) -> JSONResponse:
    text = exc.format() if isinstance(exc, BoardError) else str(exc)
    return JSONResponse({"ok": False, "error": redact(text)}, status_code=status)


def make_app(session: Session, token: str) -> Starlette:
    """The app for *session*; *token* is the secret every request must carry."""
    if len(token) < 16:
        raise ValueError("the studio token must be at least 16 characters")

    def guarded(handler):  # the token is checked by _TokenGuard, around every route
        async def wrapped(request: Request):
            try:
                return await handler(request)
            except StoryrenderError as exc:
                return _error(exc)
        return wrapped

    async def index(request: Request) -> Response:
        html = render_page(session.state_view())
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                           "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})

    async def state(request: Request) -> Response:
        return JSONResponse(session.state_view())

    async def events(request: Request) -> Response:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        session.hub.subscribe(loop, queue)
        import json

        first = f"event: hello\ndata: {json.dumps(session.state_view(), separators=(',', ':'))}\n\n"

        async def stream():
            try:
                yield first
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), timeout=15)
                    except asyncio.TimeoutError:
                        message = ": keep-alive\n\n"
                    if await request.is_disconnected():
                        break
                    yield message
            finally:
                session.hub.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def build(request: Request) -> Response:
        return JSONResponse(session.build())

    async def cancel(request: Request) -> Response:
        return JSONResponse(session.cancel())

    async def _form(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except Exception:
            data = {}
        return data if isinstance(data, dict) else {}

    def _beat_index(request: Request) -> int:
        try:
            return int(request.path_params["index"])
        except (KeyError, ValueError):
            raise BoardError("no such beat", file=str(session.board)) from None

    def _edit(fn):
        async def handler(request: Request) -> Response:
            if session.board is None:
                return JSONResponse({"ok": False, "error": "no board yet"}, status_code=409)
            data = await _form(request)
            try:
                await asyncio.to_thread(fn, request, data)
            except BoardError as exc:
                return _error(exc)
            plan = await asyncio.to_thread(session.replan)
            return JSONResponse({"ok": True, "revision": plan.get("revision")})
        return handler

    def take(request, data):
        edits.new_take(session.board, _beat_index(request), offline=session.offline)

    def prompt(request, data):
        edits.set_prompt(session.board, _beat_index(request), str(data.get("prompt", "")), offline=session.offline)

    def delete(request, data):
        edits.delete_beat(session.board, _beat_index(request), offline=session.offline)

    def add(request, data):
        prompts = data.get("prompts")
        if not isinstance(prompts, list):
            prompts = [data.get("prompt", "")]
        edits.add_beats(session.board, [str(p) for p in prompts][:50], offline=session.offline)

    def pin(request, data):
        index = _beat_index(request)
        plan = session.plan
        key = next((n["key"] for n in plan.get("nodes", []) if n["beat"] == index and n["kind"] == "keyframe"), None)
        path = session.artifact_path(key) if key else None
        if path is None:
            raise BoardError(f"beat {index}'s end frame is not made yet: build first, then pin it",
                             file=str(session.board))
        edits.pin_frame(session.board, index, path, offline=session.offline)

    def _new_request(data: dict[str, Any]):
        from ..story import NewRequest

        return NewRequest(premise=str(data.get("prompt", "")), seconds=float(data.get("seconds") or 30),
                          style=str(data.get("style") or "cinematic"), size=str(data.get("size") or "1280x720"),
                          beats=int(data["beats"]) if data.get("beats") else None,
                          offline=session.offline or bool(data.get("offline")))

    async def new_plan(request: Request) -> Response:
        """What writing the board would cost, before the Write button (calls nothing, writes nothing)."""
        from ..story.project import plan_new
        from ..story.write import prepare_story

        try:
            req = _new_request(await _form(request))
            row = await asyncio.to_thread(lambda: plan_new(session.folder, prepare_story(req)))
        except (StoryrenderError, ValueError) as exc:
            return _error(exc)
        return JSONResponse({"ok": True, "writing": row})

    async def new(request: Request) -> Response:
        from ..story.project import write_new

        if session.board is not None:
            return JSONResponse({"ok": False, "error": "this studio already has a board"}, status_code=409)
        try:
            req = _new_request(await _form(request))
            result = await asyncio.to_thread(write_new, session.folder, req, budget=session.budget)
        except (StoryrenderError, ValueError) as exc:
            return _error(exc)
        session.board = result.board.resolve()
        await asyncio.to_thread(session.replan)
        return JSONResponse({"ok": True, "board": str(session.board)})

    def _serve(path: Path | None) -> Response:
        if path is None:
            return Response("404 not found\n", status_code=404, media_type="text/plain")
        try:
            real = Path(path).resolve(strict=True)
        except (OSError, RuntimeError):
            return Response("404 not found\n", status_code=404, media_type="text/plain")
        if not real.is_file() or not any(real.is_relative_to(root) for root in session.roots()):
            return Response("404 not found\n", status_code=404, media_type="text/plain")
        return FileResponse(real, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def cache_file(request: Request) -> Response:
        key = request.path_params["key"]
        if not (16 <= len(key) <= 128 and set(key) <= _KEY_CHARS):
            return _serve(None)
        return _serve(await asyncio.to_thread(session.artifact_path, key))

    async def out_file(request: Request) -> Response:
        rel = request.path_params["path"]
        out = session.roots()[0] if session.roots() else None
        if out is None or "\x00" in rel:
            return _serve(None)
        return _serve(out / rel)

    routes = [
        Route("/", guarded(index)),
        Route("/api/state", guarded(state)),
        Route("/events", guarded(events)),
        Route("/api/build", guarded(build), methods=["POST"]),
        Route("/api/cancel", guarded(cancel), methods=["POST"]),
        Route("/api/new", guarded(new), methods=["POST"]),
        Route("/api/new/plan", guarded(new_plan), methods=["POST"]),
        Route("/api/beats", guarded(_edit(add)), methods=["POST"]),
        Route("/api/beats/{index:int}/take", guarded(_edit(take)), methods=["POST"]),
        Route("/api/beats/{index:int}/prompt", guarded(_edit(prompt)), methods=["POST"]),
        Route("/api/beats/{index:int}/pin", guarded(_edit(pin)), methods=["POST"]),
        Route("/api/beats/{index:int}/delete", guarded(_edit(delete)), methods=["POST"]),
        Route("/cache/{key}", guarded(cache_file)),
        Route("/out/{path:path}", guarded(out_file)),
    ]
    return _TokenGuard(Starlette(routes=routes), token)


class _TokenGuard:
    """ASGI middleware: every HTTP request without the token is answered 403 (any path, any method)."""

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            from urllib.parse import parse_qs

            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [""])[0].encode()
            for name, value in scope.get("headers") or []:
                if name == b"x-storyrender-token":
                    given = value
            if not hmac.compare_digest(given, self.token):
                response = Response("403 forbidden: this studio needs its token (open the address it printed)\n",
                                    status_code=403, media_type="text/plain")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
