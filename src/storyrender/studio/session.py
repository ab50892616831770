"""One studio session: a board, its plan, one build at a time, and the events the page listens to.

The session never prints. The runner reports to it through the reporter interface every
reporter implements (``build_started``, ``node_started``, ``node_log``, ``node_finished``,
``build_finished``: :class:`storyrender.execute.runner.Events`), and it turns those calls into
events for the page (:class:`Hub`). A watcher polls the board file and re-plans when it changes
on disk (an editor's save, or an edit the page made); nothing is paid for without :meth:`build`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoryrenderError, redact
from ..graph.kinds import KINDS

__all__ = ["Hub", "Session", "STATUS"]

#: what the page shows for each runner status
STATUS = {"rendered": "done", "cached": "cached", "not needed": "cached", "failed": "failed", "skipped": "skipped"}


class Hub:
    """Fan-out of events to every open page (each has its own queue; a slow page drops nothing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[Any, Any]] = []  # (loop, asyncio.Queue)

    def subscribe(self, loop, queue) -> None:
        with self._lock:
            self._subs.append((loop, queue))

    def unsubscribe(self, queue) -> None:
        with self._lock:
            self._subs = [(lp, q) for lp, q in self._subs if q is not queue]

    def publish(self, kind: str, data: Any) -> None:
        message = f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        with self._lock:
            subs = list(self._subs)
        for loop, queue in subs:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, message)
            except RuntimeError:  # that page's loop is closed
                self.unsubscribe(queue)


@dataclass
class BuildState:
    running: bool = False
    status: str = "idle"  # idle | running | ok | failed | interrupted | refused
    error: str = ""
    nodes: dict[str, dict] = field(default_factory=dict)  # key -> {status, error, url}
    outputs: dict[str, str] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0


class _Reporter:
    """The runner's events, as page events (called from worker threads)."""

    def __init__(self, session: "Session") -> None:
        self.s = session

    def _node(self, node, status: str, error: str | None = None) -> None:
        entry = {"key": node.key, "kind": node.kind, "role": node.role, "beat": node.beat, "label": node.label,
                 "group": KINDS[node.kind].group, "status": status, "error": redact(error) if error else None,
                 "url": self.s.artifact_url(node.key) if status in ("done", "cached") else None}
        with self.s.lock:
            self.s.state.nodes[node.key] = entry
        self.s.hub.publish("node", entry)

    def build_started(self, graph, plan) -> None:
        to_run = set(plan.to_run)
        for node in graph:
            if node.key in to_run:
                self._node(node, "queued")

    def node_started(self, node) -> None:
        self._node(node, "rendering")

    def node_log(self, node, message) -> None:
        self.s.hub.publish("log", {"key": node.key, "label": node.label, "message": redact(str(message))[:500]})

    def node_finished(self, node, report) -> None:
        self._node(node, STATUS.get(report.status, report.status), report.error)

    def build_finished(self, report) -> None:
        pass  # the session publishes the outcome once outputs are published (see Session._run)


class Session:
    """The studio's state for one board (or, before one is written, for a project folder)."""

    def __init__(self, board: Path | None, *, folder: Path, offline: bool = False, budget: float | None = None,
                 jobs: int = 4) -> None:
        self.board = Path(board).resolve() if board else None
        self.folder = Path(folder).resolve()
        self.offline = offline
        self.budget = budget
        self.jobs = jobs
        self.hub = Hub()
        self.lock = threading.RLock()
        self.state = BuildState()
        self.plan: dict[str, Any] = {}
        self._executor = None
        self._mtime: float | None = None
        self._stop = threading.Event()
        self._store = None
        if self.board:
            self.replan()

    # ---- files the page may fetch --------------------------------------------------------------
    def roots(self) -> list[Path]:
        """The folders files are served from: the board's outputs and its cache."""
        if not self.board:
            return []
        from ..cache.store import default_cache_dir

        out = self._out_dir()
        return [p for p in (out, default_cache_dir(self.board.parent).resolve()) if p is not None]

    def _out_dir(self) -> Path | None:
        with self.lock:
            out = self.plan.get("output")
        return Path(out).parent.resolve() if out else (self.board.parent / "out").resolve()

    def artifact_url(self, key: str) -> str | None:
        return f"/cache/{key}"

    def artifact_path(self, key: str) -> Path | None:
        store = self.store()
        return store.path(key) if store is not None else None

    def store(self):
        if self.board is None:
            return None
        if self._store is None:
            from ..cache.store import Store, default_cache_dir

            self._store = Store(default_cache_dir(self.board.parent))
        return self._store

    # ---- plan ------------------------------------------------------------------------------------
    def replan(self) -> dict[str, Any]:
        """Load, validate and plan the board (calls no provider); publish the result."""
        from .. import api

        try:
            self._mtime = self.board.stat().st_mtime_ns
            prepared = api.prepare(self.board, offline=self.offline)
            rows, _ = api.plan(prepared, self.store())
            plan = _plan_view(prepared, rows, self)
        except StoryrenderError as exc:
            text = exc.format() if hasattr(exc, "format") else str(exc)
            plan = {"ok": False, "error": redact(text), "board": str(self.board)}
        except OSError as exc:
            plan = {"ok": False, "error": f"{self.board}: {exc.strerror or exc}", "board": str(self.board)}
        plan["revision"] = (self.plan.get("revision", 0) + 1) if self.plan else 1
        plan["planned_at"] = time.time()
        with self.lock:
            self.plan = plan
        self.hub.publish("plan", plan)
        return plan

    def watch(self, interval: float = 0.25) -> None:
        """Re-plan whenever the board file changes on disk (polls its mtime; runs until :meth:`stop`)."""
        while not self._stop.wait(interval):
            if self.board is None:
                continue
            try:
                mtime = self.board.stat().st_mtime_ns
            except OSError:
                mtime = None
            if mtime != self._mtime:
                self.replan()

    def stop(self) -> None:
        self._stop.set()
        self.cancel()

    # ---- build -----------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        """Start a build in the background (one at a time); the outcome arrives as events."""
        with self.lock:
            if self.board is None:
                return {"ok": False, "error": "no board yet: write one first"}
            if self.state.running:
                return {"ok": False, "error": "a build is already running"}
            self.state = BuildState(running=True, status="running", started=time.time())
        self.hub.publish("build", self.build_view())
        threading.Thread(target=self._run, name="storyrender-studio-build", daemon=True).start()
        return {"ok": True}

    def cancel(self) -> dict[str, Any]:
        ex = self._executor
        if ex is not None:
            ex.cancel()
        return {"ok": ex is not None}

    def _run(self) -> None:
        from .. import api
        from ..execute.scheduler import ThreadExecutor

        status, error, outputs, totals = "failed", "", {}, {}
        try:
            prepared = api.prepare(self.board, offline=self.offline)
            self._executor = ThreadExecutor(self.jobs)
            report = api.build(prepared, self.store(), events=_Reporter(self), executor=self._executor,
                               jobs=self.jobs, budget=self.budget)
            cancelled = self._executor.cancelled
            status = "interrupted" if cancelled and report.status != "ok" else report.status
            outputs, totals = dict(report.outputs), report.totals()
            if report.failures:
                error = "; ".join(f"{f.label}: {f.error}" for f in report.failures)[:2000]
        except StoryrenderError as exc:  # bad board, missing key, over --budget: nothing started
            status, error = "refused", redact(exc.format() if hasattr(exc, "format") else str(exc))
        except Exception as exc:  # never leave the page waiting
            status, error = "failed", redact(f"{exc.__class__.__name__}: {exc}")
        finally:
            self._executor = None
        with self.lock:
            self.state.running = False
            self.state.status = status
            self.state.error = redact(error)
            self.state.outputs = outputs
            self.state.totals = totals
        self.hub.publish("build", self.build_view())
        self.replan()

    def build_view(self) -> dict[str, Any]:
        with self.lock:
            st = self.state
            outs = {fmt: self.output_url(p) for fmt, p in st.outputs.items()}
            return {"running": st.running, "status": st.status, "error": st.error, "outputs": outs,
                    "totals": st.totals, "nodes": list(st.nodes.values()), "scores": self.scores()}

    def output_url(self, path: str) -> str | None:
        out = self._out_dir()
        try:
            rel = Path(path).resolve().relative_to(out)
        except ValueError:
            return None
        return "/out/" + rel.as_posix()

    def scores(self) -> dict[str, Any]:
        """Per beat, the seam score of the join into it and its end keyframe's drift, where the
        manifest has them (``continuity``: see :mod:`storyrender.continuity`)."""
        from ..api import manifest_path
        from ..spec import load_board

        try:
            doc = json.loads(manifest_path(load_board(self.board)).read_text("utf-8"))
        except Exception:
            return {}
        found: dict[str, dict[str, Any]] = {}
        cont = doc.get("continuity") or {}
        for j in cont.get("seams") or []:
            if isinstance(j.get("score"), (int, float)) and j.get("to_beat") is not None:
                found.setdefault(str(j["to_beat"]), {})["seam"] = round(float(j["score"]), 3)
                if j.get("flagged"):
                    found[str(j["to_beat"])]["seam flagged"] = True
        for d in cont.get("drift") or []:
            if isinstance(d.get("drift"), (int, float)) and d.get("beat") is not None:
                found.setdefault(str(d["beat"]), {})["drift"] = round(float(d["drift"]), 3)
        return found

    def state_view(self) -> dict[str, Any]:
        with self.lock:
            return {"board": str(self.board) if self.board else None, "folder": str(self.folder),
                    "offline": self.offline, "budget": self.budget, "plan": self.plan, "build": self.build_view()}


def _plan_view(prepared, rows, session: Session) -> dict[str, Any]:
    """What the page shows: the beats as cards, each node's plan status, totals (no keys, no env)."""
    board = prepared.board
    store = session.store()
    by_beat: dict[int, list] = {}
    nodes = []
    for r in rows:
        node = prepared.graph[r.key]
        entry = {"key": r.key, "kind": r.kind, "role": r.role, "beat": r.beat, "label": r.label,
                 "group": KINDS[r.kind].group, "plan": r.status, "reason": r.reason,
                 "provider": r.provider, "model": r.model, "estimate": r.estimate_usd,
                 "price_unknown": r.price_unknown,
                 "url": session.artifact_url(r.key) if store is not None and store.has(r.key) else None}
        nodes.append(entry)
        if r.beat is not None:
            by_beat.setdefault(r.beat, []).append(entry)
        del node
    beats = []
    for b in board.beats:
        mine = by_beat.get(b.index, [])
        video = next((n for n in mine if n["kind"] == "segment"), None)
        beats.append({"index": b.index, "id": b.id, "prompt": b.prompt, "camera": b.camera or "",
                      "caption": b.caption or "", "take": b.take, "seconds": b.seconds,
                      "pinned": b.end_image is not None,
                      "provider": f"{video['provider']}/{video['model']}" if video else "",
                      "estimate": round(sum(n["estimate"] for n in mine), 6),
                      "to_render": sum(1 for n in mine if n["plan"] == "render")})
    to_render = [n for n in nodes if n["plan"] == "render"]
    return {"ok": True, "board": str(board.source), "title": board.title or board.display,
            "output": str(board.output.path), "size": f"{board.output.width}x{board.output.height}",
            "fps": board.output.fps, "seconds": round(board.total_seconds, 3), "beats": beats, "nodes": nodes,
            "to_render": len(to_render), "provider_calls": sum(1 for n in to_render if KINDS[n["kind"]].provider),
            "estimate": round(sum(n["estimate"] for n in to_render), 6),
            "price_unknown": any(n["price_unknown"] for n in to_render),
            "local": any(n["provider"] == "local" for n in nodes)}
