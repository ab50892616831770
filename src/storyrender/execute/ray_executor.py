"""Run a build's nodes on a Ray cluster (``storyrender build --executor ray``).

The driver (the machine running ``storyrender build``) keeps everything that makes a build
behave the same on every executor: the scheduling by dependencies and priorities, the
provider limits, the retry policy, the budget, the store and the events. Only the making of a
node moves to the cluster: :class:`RayMaker` replaces :func:`storyrender.execute.ops.make`.
For each node it sends the node description and the *bytes* of its input artifacts (and of
the files the node names: character references, the music bed) to a Ray task; the task writes
them into a temp folder on the worker, calls ``ops.make`` there and returns the artifact's
bytes, the provider's cost and info, and the log lines. The driver writes the bytes into the
store's temp folder, and the usual verify + ``store.put`` follow. Workers never see the store.

Resources: a provider may declare ``resources = {"GPU": 1}`` (or ``{"CPU": 0.5}``, or any
Ray custom resource such as ``{"a100": 1}``): its nodes then ask Ray for them. Other nodes
ask for one CPU. A provider's ``concurrency`` limit holds across the whole cluster (every
driver connected to it), through a named Ray actor semaphore per provider.

Providers must be importable on the workers: install storyrender and the provider plugins on
the cluster (entry points), or name plugin modules in ``STORYRENDER_PLUGINS``. Every
``STORYRENDER_*`` variable of the driver, and the variables named in ``STORYRENDER_RAY_ENV``
(comma-separated), are set on the workers; nothing else of the driver's environment is sent
(so API keys stay where they are unless named there).

Ray is an optional extra (``pip install 'storyrender[ray]'``): this module imports it only
when a :class:`RayExecutor` is made.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import ArtifactError, ProviderError, StoryrenderError, TransientError
from ..graph.nodes import Node
from ..graph.spec import FileRef, JobSpec
from . import ops
from .scheduler import Task, TaskResult, ThreadExecutor

__all__ = ["RayExecutor", "RayMaker", "ray_available", "task_options", "worker_env", "NAMESPACE"]

#: the Ray namespace of storyrender's named actors (the per-provider semaphores)
NAMESPACE = "storyrender"


def ray_available() -> bool:
    """True when ``import ray`` works."""
    try:
        import ray  # noqa: F401
    except Exception:
        return False
    return True


def _import_ray():
    try:
        import ray
    except Exception as exc:
        raise StoryrenderError(
            f"the Ray executor needs ray ({exc.__class__.__name__}: {exc}): pip install 'storyrender[ray]'") from None
    return ray


def worker_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables set on the workers: ``STORYRENDER_*`` and those named in ``STORYRENDER_RAY_ENV``."""
    environ = os.environ if environ is None else environ
    names = {n for n in environ if n.startswith("STORYRENDER_")}
    names.update(filter(None, (s.strip() for s in environ.get("STORYRENDER_RAY_ENV", "").split(","))))
    return {n: environ[n] for n in sorted(names) if n in environ}


def task_options(node: Node, provider: Any = None) -> dict[str, Any]:
    """The Ray resource request of *node*: the provider's ``resources`` for provider nodes, else one CPU."""
    req = dict(getattr(provider, "resources", None) or {}) if node.is_provider_job else {}
    opts: dict[str, Any] = {"num_cpus": float(req.pop("CPU", 1))}
    if "GPU" in req:
        opts["num_gpus"] = float(req.pop("GPU"))
    if req:
        opts["resources"] = {str(k): float(v) for k, v in req.items()}
    return opts


# ---- the worker side ----------------------------------------------------------------------------------------------

def _worker_providers() -> Any:
    """This worker process's registry (loaded once per set of plugins)."""
    from ..plugins.manager import installed

    return installed()


def _pack_error(exc: BaseException) -> dict[str, Any]:
    """An exception, fit to travel back to the driver: as itself when it pickles, else rebuilt.

    Its text is scrubbed of keys here, on the worker, whose environment may hold keys the
    driver does not know (storyrender's own errors scrub themselves when made).
    """
    from ..errors import redact

    try:
        if not isinstance(exc, StoryrenderError):
            text = redact(str(exc))
            clean = type(exc)(text)
            if str(clean) != text:
                raise TypeError("not rebuilt from its message")
            exc = clean
        blob = pickle.dumps(exc)
        pickle.loads(blob)
        return {"pickled": blob}
    except Exception:
        return {"type": exc.__class__.__name__, "message": redact(str(exc)),
                "transient": isinstance(exc, (TransientError, TimeoutError, ConnectionError)),
                "provider": isinstance(exc, ProviderError),
                "retry_after": getattr(exc, "retry_after", None)}


def _unpack_error(packed: Mapping[str, Any]) -> BaseException:
    if "pickled" in packed:
        return pickle.loads(packed["pickled"])
    msg = f"{packed['type']}: {packed['message']}"
    if packed.get("transient"):
        return TransientError(msg, retry_after=packed.get("retry_after"))
    if packed.get("provider"):
        return ProviderError(msg)
    return StoryrenderError(msg)


def run_on_worker(node: Node, inputs: list[tuple[str, bytes]], files: dict[str, bytes]) -> dict[str, Any]:
    """Make *node* on this worker: the body of the Ray task (never raises; errors come back packed).

    *inputs* are (file name, bytes) of the input artifacts in order; *files* the bytes of the
    files the node declares (``spec.files``), by their path on the driver.
    """
    logs: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="storyrender-"))
    try:
        local: dict[str, str] = {}
        for i, (orig, data) in enumerate(files.items()):
            p = work / f"ref{i}{Path(orig).suffix}"
            p.write_bytes(data)
            local[orig] = str(p)
        node = _with_local_files(node, local)
        paths = []
        for i, (name, data) in enumerate(inputs):
            p = work / f"in{i}{Path(name).suffix}"
            p.write_bytes(data)
            paths.append(p)
        tmp = work / "make"
        tmp.mkdir()
        providers = _worker_providers()
        wanted = {node.provider: providers.get(node.provider)} if node.provider else {}
        if node.provider and wanted[node.provider] is None:
            raise ProviderError(f"{node.label}: provider {node.provider!r} is not installed on the Ray worker "
                                f"(install its plugin there, or name its module in STORYRENDER_PLUGINS)")
        from ..errors import redact
        from .runner import _safe

        out = ops.make(node, paths, tmp, providers=wanted, log=lambda m: logs.append(redact(m)),
                       cancelled=lambda: False)
        path = Path(out.path)
        return {"ok": True, "name": path.name, "data": path.read_bytes(), "cost": out.cost,
                "info": _safe(out.info or {}), "logs": logs}
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the driver
        return {"ok": False, "error": _pack_error(exc), "logs": logs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _side_files(node: Node) -> list[str]:
    """The driver-side files the node declares it reads (character references, the music bed, a
    pinned image), sent along with the node."""
    out: list[str] = []
    for ref in node.spec.files:
        if ref.path not in out and os.path.isfile(ref.path):
            out.append(ref.path)
    return out


def _with_local_files(node: Node, local: Mapping[str, str]) -> Node:
    """*node* with its declared files' paths replaced by the worker's copies (same digests: same key)."""
    if not local:
        return node
    moved = tuple(FileRef(local.get(f.path, f.path), f.sha256) for f in node.spec.files)
    spec = replace(node.spec, references=moved) if isinstance(node.spec, JobSpec) else replace(node.spec, files=moved)
    return replace(node, spec=spec)


def _last_line(exc: BaseException) -> str:
    lines = [s for s in str(exc).strip().splitlines() if s.strip()]
    return lines[-1].strip() if lines else ""


# ---- the driver side ----------------------------------------------------------------------------------------------

class _SemaphoreBody:
    """A counting semaphore living in a named Ray actor (one per provider, shared by every driver)."""

    def __init__(self, limit: int) -> None:
        import asyncio

        self.limit = max(1, int(limit))
        self.sem = asyncio.Semaphore(self.limit)

    async def acquire(self) -> bool:
        await self.sem.acquire()
        return True

    async def release(self) -> None:
        self.sem.release()

    async def size(self) -> int:
        return self.limit


class RayMaker:
    """A drop-in for :func:`ops.make` that makes the node in a Ray task (see the module doc)."""

    def __init__(self, *, limits: Mapping[str, int] | None = None, env: Mapping[str, str] | None = None,
                 check_resources: bool | None = None) -> None:
        self.ray = _import_ray()
        self.limits: dict[str, int] = dict(limits or {})
        self.env = dict(worker_env() if env is None else env)
        if check_resources is None:
            check_resources = not os.environ.get("STORYRENDER_RAY_AUTOSCALE")
        self.check_resources = check_resources
        self._remote = self.ray.remote(max_retries=0)(run_on_worker)
        self._actor_cls = self.ray.remote(num_cpus=0)(_SemaphoreBody)
        self._sems: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- cluster-wide provider limits -----------------------------------------------------------
    def semaphore(self, name: str, limit: int, *, fresh: bool = False):
        """The named semaphore actor limiting *name* across the cluster (created at *limit* if new)."""
        with self._lock:
            if fresh or name not in self._sems:
                self._sems[name] = self._actor_cls.options(
                    name=f"limit:{name}", namespace=NAMESPACE, get_if_exists=True, lifetime=None,
                    max_concurrency=1000).remote(limit)
            return self._sems[name]

    def _acquire(self, name: str) -> Any:
        limit = int(self.limits.get(name, 0) or 0)
        if limit <= 0:
            return None
        for attempt in (1, 2):
            sem = self.semaphore(name, limit, fresh=attempt == 2)
            try:
                self.ray.get(sem.acquire.remote())
                return sem
            except self.ray.exceptions.RayActorError:
                if attempt == 2:  # the actor's owner (another driver) went away twice: run unlimited
                    return None
        return None

    def _check(self, node: Node, opts: Mapping[str, Any]) -> None:
        if not self.check_resources:
            return
        have = self.ray.cluster_resources()
        want = {"CPU": opts.get("num_cpus", 0), "GPU": opts.get("num_gpus", 0), **opts.get("resources", {})}
        for name, amount in want.items():
            if amount and have.get(name, 0) < amount:
                raise StoryrenderError(
                    f"{node.label}: needs {amount:g} {name} but the Ray cluster has {have.get(name, 0):g} "
                    f"(set STORYRENDER_RAY_AUTOSCALE=1 if the cluster adds nodes on demand)")

    def __call__(self, node: Node, inputs: list[Path], tmp: Path, *, providers: Mapping[str, Any],
                 log: Callable[[str], None], cancelled: Callable[[], bool], journal: Any = None,
                 charge: Callable[[], None] | None = None) -> ops.Outcome:
        # A worker has no store: its vendor jobs are not recorded (a retry there submits again),
        # and the runner reserves the budget for every attempt.
        if node.kind == "file":  # a copy of a file on this machine: nothing to send anywhere
            return ops.make(node, inputs, tmp, providers=providers, log=log, cancelled=cancelled)
        provider = providers.get(node.provider) if node.provider else None
        opts = task_options(node, provider)
        self._check(node, opts)
        payload_inputs = [(Path(p).name, Path(p).read_bytes()) for p in inputs]
        files = {}
        for f in _side_files(node):
            try:
                files[f] = Path(f).read_bytes()
            except OSError as exc:
                raise ArtifactError(f"{node.label}: cannot read {f}: {exc.strerror or exc}") from None
        sem = self._acquire(node.provider) if node.is_provider_job and node.provider else None
        try:
            ref = self._remote.options(runtime_env={"env_vars": self.env}, **opts).remote(
                node, payload_inputs, files)
            try:
                res = self.ray.get(ref)
            except self.ray.exceptions.RayTaskError as exc:
                # the task body never raises: the worker could not even start it (storyrender missing there?)
                cause = getattr(exc, "cause", None) or exc
                raise StoryrenderError(f"{node.label}: the Ray task could not run: "
                                       f"{cause.__class__.__name__}: {_last_line(cause)}") from None
            except (self.ray.exceptions.RayError, OSError) as exc:  # worker or node lost, object lost
                raise TransientError(f"{node.label}: the Ray worker was lost ({exc.__class__.__name__})") from None
        finally:
            if sem is not None:
                try:
                    sem.release.remote()
                except Exception:  # pragma: no cover - the actor went away with its permits
                    pass
        for line in res.get("logs") or ():
            log(line)
        if not res["ok"]:
            raise _unpack_error(res["error"])
        out = tmp / res["name"]
        out.write_bytes(res["data"])
        return ops.Outcome(out, cost=res["cost"], info=res["info"])


class RayExecutor(ThreadExecutor):
    """Dependency-order scheduling on the driver (as :class:`ThreadExecutor`), node making on Ray.

    ``run_build`` uses :attr:`maker` instead of ``ops.make``. *address* is a Ray cluster
    (``ray://host:10001``, ``host:6379`` or ``auto``); None connects to ``$RAY_ADDRESS`` or
    starts a local cluster. If Ray is already initialised in this process, that session is
    used as it is. *jobs* (nodes in flight) defaults to the cluster's CPU count, at least 8.
    """

    def __init__(self, jobs: int | None = None, *, address: str | None = None,
                 init_options: Mapping[str, Any] | None = None) -> None:
        ray = _import_ray()
        self.started_ray = False
        if not ray.is_initialized():
            import logging

            opts: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False, "logging_level": logging.WARNING}
            if not (address or os.environ.get("RAY_ADDRESS")):
                opts["include_dashboard"] = False
            opts.update(init_options or {})
            try:
                ray.init(address=address, **opts)
            except Exception as exc:
                raise StoryrenderError(f"cannot start or reach the Ray cluster {address or ''}: "
                                       f"{exc.__class__.__name__}: {exc}".replace("  ", " ")) from None
            self.started_ray = True
        self.ray = ray
        self.cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        super().__init__(jobs or max(8, self.cluster_cpus))
        self.maker = RayMaker()

    def run(self, tasks: Mapping[str, Task], work: Callable[[str], Any], *,
            limits: Mapping[str, int] | None = None,
            on_skip: Callable[[TaskResult], None] | None = None) -> dict[str, TaskResult]:
        limits = dict(limits or {})
        self.maker.limits = {k: v for k, v in limits.items() if k != "ffmpeg"}
        # stitch operations run on the cluster's CPUs, not this machine's
        limits["ffmpeg"] = max(int(limits.get("ffmpeg", 1)), self.cluster_cpus)
        return super().run(tasks, work, limits=limits, on_skip=on_skip)

    def close(self) -> None:
        """Shut Ray down if this executor started or connected it."""
        if self.started_ray and self.ray.is_initialized():
            self.ray.shutdown()
            self.started_ray = False
