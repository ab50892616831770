"""The Ray executor: the same board through a local Ray cluster gives the same frames, the same
provider calls and the same failures as the in-process executor.

One Ray cluster for the whole module (it takes seconds to start); every test in this module
runs in the same xdist worker.
"""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from storyrender.api import build, prepare
from storyrender.cache.store import Store
from storyrender.execute.scheduler import ThreadExecutor
from storyrender.media.probe import read_frames

from ..conftest import TINY

try:
    import ray
except Exception as exc:  # pragma: no cover - the test extra installs ray
    pytest.skip(f"RAY EXECUTOR NOT TESTED: ray cannot be imported ({exc.__class__.__name__}: {exc}); "
                f"pip install -e '.[test]'", allow_module_level=True)

from storyrender.execute.ray_executor import (  # noqa: E402
    RayExecutor,
    RayMaker,
    _side_files,
    run_on_worker,
    task_options,
    worker_env,
)

pytestmark = [pytest.mark.xdist_group("ray"), pytest.mark.slow]

PROVIDERS = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
BOARD = TINY + PROVIDERS + "beats:\n  - {id: a, prompt: a fox}\n  - {id: b, prompt: the fox runs}\n" \
                           "  - {id: c, prompt: the fox sleeps}\n"


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster: 2 CPUs and 2 units of a custom resource standing in for GPUs."""
    ray.init(num_cpus=2, include_dashboard=False, namespace="storyrender", log_to_driver=False,
             resources={"fakegpu": 2}, logging_level="WARNING")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture
def ray_env(monkeypatch, fake):
    """The fake provider, its call log forwarded to the workers, fast retries."""
    monkeypatch.setenv("STORYRENDER_RAY_ENV", "FAKE_CALLS")
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    return fake


def frames(path):
    return [f.copy() for f in read_frames(path)]


def calls_key(calls):
    return sorted((c["job"], c["prompt"], c["seed"]) for c in calls)


def audio_samples(path):
    import av

    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray().ravel() for f in c.decode(audio=0)])


def test_same_frames_and_provider_calls_as_in_process(cluster, ray_env, write_board, tmp_path):
    from storyrender.media.ffmpeg import run_ffmpeg

    # a music bed: a file on this machine that the audio node's worker must get
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", str(tmp_path / "music.wav")])
    board = write_board(BOARD + "audio: {music: {path: music.wav, volume: 0.5}}\n")
    assert _side_files(prepare(board).graph.by_role()["audio"]) == [str(tmp_path / "music.wav")]
    p = prepare(board)
    with Store(tmp_path / "threads") as store:
        local = build(p, store, executor=ThreadExecutor(4))
    assert local.status == "ok", [n.error for n in local.failures]
    local_frames = frames(local.outputs["mp4"])
    local_audio = audio_samples(local.outputs["mp4"])
    local_calls = ray_env()
    ray_env.reset()

    with Store(tmp_path / "ray") as store:
        ex = RayExecutor()
        assert not ex.started_ray  # the session of this process is used as it is
        remote = build(prepare(board), store, executor=ex)
        assert remote.status == "ok", [n.error for n in remote.failures]
        remote_frames = frames(remote.outputs["mp4"])
        remote_audio = audio_samples(remote.outputs["mp4"])
        for n in remote.nodes:  # every artifact recorded by the driver, verified, in its store
            assert store.path(n.key) is not None
    remote_calls = ray_env()
    assert len(remote_frames) == len(local_frames) == 24
    assert all(np.array_equal(a, b) for a, b in zip(local_frames, remote_frames))
    assert np.abs(local_audio).max() > 0.01 and np.array_equal(local_audio, remote_audio)  # the music came along
    assert calls_key(remote_calls) == calls_key(local_calls) and len(remote_calls) == 1 + 3 + 3
    assert {c["pid"] for c in remote_calls}.isdisjoint({os.getpid()})  # made on the workers
    assert [(n.role, n.status) for n in remote.nodes] == [(n.role, n.status) for n in local.nodes]
    assert remote.totals()["provider_calls"] == local.totals()["provider_calls"] == 7


def test_worker_failure_is_reported_like_a_local_one(cluster, ray_env, cli, write_board, tmp_path):
    board = write_board(TINY + PROVIDERS + "beats:\n  - {id: a, prompt: one}\n  - {id: b, prompt: two FAIL}\n"
                                           "  - {id: c, prompt: three}\n")
    results = {}
    for name, extra in (("threads", []), ("ray", ["--executor", "ray", "--ray-address", cluster])):
        ray_env.reset()
        res = cli(["build", "--json", "--cache-dir", name, *extra, board.name], cwd=tmp_path)
        assert res.returncode == 1, res.stderr
        doc = json.loads(res.stdout)["boards"][0]
        manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
        results[name] = (doc, {n["role"]: n["status"] for n in manifest["nodes"]}, calls_key(ray_env()))
    (t_doc, t_nodes, t_calls), (r_doc, r_nodes, r_calls) = results["threads"], results["ray"]
    assert r_doc["failures"] == t_doc["failures"] and len(r_doc["failures"]) == 1
    assert "fails prompts containing FAIL" in r_doc["failures"][0]["error"]
    assert "Ray" not in r_doc["failures"][0]["error"]  # the provider's own error, not a wrapper's
    for k in ("rendered", "cached", "failed", "skipped", "provider_calls"):
        assert r_doc[k] == t_doc[k], k
    assert r_nodes == t_nodes and r_calls == t_calls
    assert r_nodes["keyframe:a"] == "rendered" and r_nodes["segment:a"] == "rendered"  # the rest is kept
    # the next build (threads or ray) finds the finished work in the cache
    ray_env.reset()
    res = cli(["build", "--json", "--cache-dir", "ray", "--executor", "ray", "--ray-address", cluster, board.name],
              cwd=tmp_path)
    assert res.returncode == 1
    assert [c["prompt"] for c in ray_env()] == ["two FAIL"]  # only the failing node is tried again


@pytest.mark.skipif(importlib.util.find_spec("tests.plugins.faulty") is None, reason="no faulty test provider")
def test_transient_faults_on_workers_are_retried_by_the_driver(cluster, monkeypatch, write_board, tmp_path):
    log = tmp_path / "faulty.jsonl"
    monkeypatch.setenv("STORYRENDER_PLUGINS", "tests.plugins.faulty")
    monkeypatch.setenv("FAULTY_CALLS", str(log))
    monkeypatch.setenv("STORYRENDER_RAY_ENV", "FAULTY_CALLS")
    monkeypatch.setenv("STORYRENDER_RETRY_BASE", "0.01")
    board = write_board(TINY + "providers: {image: faulty, keyframe: faulty, video: faulty}\n"
                        "beats:\n  - {id: a, prompt: 'one !500*2@video'}\n  - {id: b, prompt: 'two !ratelimit*1@video'}\n")
    with Store(tmp_path / "c") as store:
        report = build(prepare(board), store, executor=RayExecutor())
    assert report.status == "ok", [n.error for n in report.failures]
    seg = {n.role: n for n in report.nodes}
    assert seg["segment:a"].attempts == 3 and seg["segment:b"].attempts == 2
    faults = [json.loads(line)["fault"] for line in log.read_text().splitlines()]
    assert faults.count("500") == 2 and faults.count("ratelimit") == 1


def test_provider_resources_are_requested_and_missing_ones_fail_fast(cluster, ray_env, monkeypatch, write_board,
                                                                     tmp_path):
    from tests.plugins.fakeprov import FakeProvider

    board = write_board(BOARD)
    monkeypatch.setattr(FakeProvider, "resources", {"fakegpu": 1, "CPU": 0.5}, raising=False)
    node = next(n for n in prepare(board).graph if n.kind == "segment")
    assert task_options(node, FakeProvider()) == {"num_cpus": 0.5, "resources": {"fakegpu": 1.0}}
    with Store(tmp_path / "a") as store:
        report = build(prepare(board), store, executor=RayExecutor())
    assert report.status == "ok", [n.error for n in report.failures]

    ray_env.reset()
    monkeypatch.setattr(FakeProvider, "resources", {"GPU": 1}, raising=False)
    assert task_options(node, FakeProvider()) == {"num_cpus": 1.0, "num_gpus": 1.0}
    with Store(tmp_path / "b") as store:
        report = build(prepare(board), store, executor=RayExecutor())
    assert report.status == "failed"
    assert "needs 1 GPU but the Ray cluster has 0" in report.failures[0].error
    assert ray_env() == []  # nothing was sent


def test_provider_limit_holds_across_drivers(cluster):
    a, b = RayMaker(), RayMaker()  # two drivers' makers: the same named semaphore
    sa, sb = a.semaphore("limited", 1), b.semaphore("limited", 5)
    assert ray.get(sb.size.remote()) == 1  # the first driver's limit is the cluster's
    assert ray.get(sa.acquire.remote(), timeout=10)
    second = sb.acquire.remote()
    ready, _ = ray.wait([second], timeout=0.5)
    assert not ready
    sa.release.remote()
    assert ray.get(second, timeout=10)
    sb.release.remote()


def test_worker_env_sends_only_storyrender_and_named_variables():
    env = {"STORYRENDER_PLUGINS": "x", "FAL_KEY": "secret", "AWS_SECRET_ACCESS_KEY": "s", "FAKE_CALLS": "/c",
           "STORYRENDER_RAY_ENV": "FAKE_CALLS, MISSING"}
    assert worker_env(env) == {"FAKE_CALLS": "/c", "STORYRENDER_PLUGINS": "x", "STORYRENDER_RAY_ENV": "FAKE_CALLS, MISSING"}


def test_files_a_node_names_travel_with_it(tmp_path):
    """The worker's copy of a driver-side file replaces its path (the driver's path need not exist there)."""
    from storyrender.graph.nodes import Node
    from storyrender.graph.spec import FileRef, OpSpec

    src = tmp_path / "pinned.png"
    src.write_bytes(b"\x89PNG pinned bytes")
    node = Node("file", OpSpec({"suffix": ".png"}, (FileRef(str(src), "x"),)), (), role="pinned", label="pinned")
    files = {str(src): src.read_bytes()}
    src.unlink()  # as on a worker of another machine
    res = run_on_worker(node, [], files)
    assert res["ok"], res
    assert res["data"] == b"\x89PNG pinned bytes" and res["name"] == "out.png"
