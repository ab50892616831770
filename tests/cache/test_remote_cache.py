"""The shared cache on S3-compatible storage (a local moto server stands in for it).

Machine A builds, machine B (a fresh local cache) builds the same board without one provider
call; records and artifacts are verified; a dead or vanishing remote never fails a build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest

from storyrender.cache.remote import S3Remote, sha256_file
from storyrender.cache.store import Store
from storyrender.media.probe import read_frames

from ..conftest import TINY

pytestmark = pytest.mark.slow

boto3 = pytest.importorskip("boto3", reason="REMOTE CACHE NOT TESTED: boto3 missing (pip install -e '.[test]')")
moto_server = pytest.importorskip("moto.server", reason="REMOTE CACHE NOT TESTED: moto[server] missing")

PROVIDERS = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
BOARD = TINY + PROVIDERS + "beats:\n  - {id: a, prompt: a fox}\n  - {id: b, prompt: the fox runs}\n"
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-value", "AWS_DEFAULT_REGION": "us-east-1"}


def _start():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def s3_server():
    server, url = _start()
    yield url
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """A fresh bucket on the emulator; the environment points storyrender at it. Returns (url, client)."""
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("STORYRENDER_S3_ENDPOINT", s3_server)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    bucket = f"sr-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/team", client, bucket


def listing(client, bucket) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_machine_b_builds_from_machine_a_remote_with_zero_provider_calls(s3, fake, cli, write_board, tmp_path):
    url, client, bucket = s3
    board = write_board(BOARD)
    a = cli(["build", "--json", "--cache-dir", "cache-a", "--remote-cache", url, board.name], cwd=tmp_path)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout)["boards"][0]["warnings"] == []
    assert len(fake()) == 1 + 2 + 2
    frames_a = [f.copy() for f in read_frames(tmp_path / "out" / "board.mp4")]
    keys = listing(client, bucket)
    records = [k for k in keys if k.startswith("team/records/")]
    assert records and all(k.startswith(("team/records/", "team/blobs/")) for k in keys)
    with Store(tmp_path / "cache-a") as store_a:
        assert len(records) == len(list(store_a.records()))  # every artifact A made is shared
    body = client.get_object(Bucket=bucket, Key=records[0])["Body"].read().decode()
    assert CREDS["AWS_SECRET_ACCESS_KEY"] not in body and "testing" not in body  # records carry no keys
    (tmp_path / "out" / "board.mp4").unlink()

    fake.reset()
    b = cli(["build", "--json", "--cache-dir", "cache-b", board.name], cwd=tmp_path,
            env={"STORYRENDER_REMOTE_CACHE": url})  # the env var works like the option
    assert b.returncode == 0, b.stderr
    doc = json.loads(b.stdout)["boards"][0]
    assert fake() == [] and doc["provider_calls"] == 0 and doc["rendered"] == 0 and doc["warnings"] == []
    frames_b = [f.copy() for f in read_frames(tmp_path / "out" / "board.mp4")]
    assert len(frames_b) == len(frames_a) == 16
    assert all(np.array_equal(x, y) for x, y in zip(frames_a, frames_b))
    with Store(tmp_path / "cache-b") as store_b:  # only what the outputs needed came down
        assert 1 <= len(list(store_b.records())) < len(records)


def test_downloads_are_verified_and_concurrent_writers_are_harmless(s3, tmp_path):
    url, client, bucket = s3
    key = "ab" * 32
    writers = [Store(tmp_path / f"w{i}", remote=S3Remote(url)) for i in range(4)]
    blobs = []
    for i, w in enumerate(writers):  # the same key from four machines, each with its own bytes
        f = w.new_tmp(".png")
        f.write_bytes(f"artifact from writer {i}".encode() * 100)
        blobs.append(f.read_bytes())
    threads = [threading.Thread(target=w.put, args=(key, w.tmp / p.name),
                                kwargs=dict(kind="image", cost=0.04, meta={"label": "kf"}))
               for w, p in zip(writers, [next(w.tmp.glob("*.png")) for w in writers])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.close()
        assert w.take_warnings() == []
    reader = Store(tmp_path / "r", remote=S3Remote(url))
    rec = reader.get(key)
    assert rec is not None and rec.paid and rec.cost == 0.04 and rec.meta == {"label": "kf"}
    assert reader.path(key).read_bytes() in blobs  # one writer's complete artifact, matching its record
    doc = json.loads(client.get_object(Bucket=bucket, Key=f"team/records/{key}.json")["Body"].read())
    assert doc["sha256"] == sha256_file(reader.path(key))

    # a corrupted object is never served: a warning, and a miss
    client.put_object(Bucket=bucket, Key=f"team/blobs/{doc['sha256']}", Body=b"garbage")
    other = Store(tmp_path / "o", remote=S3Remote(url))
    assert other.get(key) is None
    assert any("does not match its record" in w for w in other.take_warnings())
    assert not list(other.artifacts.rglob("*.png")) and not list(other.tmp.iterdir())


def test_dead_remote_degrades_to_local_with_a_warning(fake, cli, write_board, tmp_path, monkeypatch):
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    server, endpoint = _start()
    server.stop()  # nothing listens there any more
    board = write_board(BOARD)
    res = cli(["build", "--json", "--remote-cache", "s3://nowhere/x", board.name], cwd=tmp_path,
              env={"STORYRENDER_S3_ENDPOINT": endpoint})
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["boards"][0]
    assert doc["status"] == "ok" and doc["provider_calls"] == 5
    assert len(doc["warnings"]) >= 1 and "unavailable" in doc["warnings"][0]
    assert "warning: remote cache s3://nowhere/x unavailable" in res.stderr
    assert sum("unavailable" in line for line in res.stderr.splitlines()) == 1  # said once, not per node


def test_remote_outage_mid_build_still_finishes_locally(fake, write_board, tmp_path, monkeypatch):
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    server, endpoint = _start()
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="sr-outage")
    board = write_board(TINY + PROVIDERS + "beats:\n" + "".join(f"  - {{prompt: beat {i}}}\n" for i in range(4)))
    env = dict(os.environ, STORYRENDER_S3_ENDPOINT=endpoint, FAKE_SLEEP_IMAGE="0.4", FAKE_SLEEP_VIDEO="0.4")
    proc = subprocess.Popen([sys.executable, "-m", "storyrender", "build", "--json", "--remote-cache",
                             "s3://sr-outage/p", board.name], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(fake()) < 2 and time.monotonic() < deadline:  # keyframe 0 done and shared, more to come
            time.sleep(0.05)
        assert proc.poll() is None, "the build ended before the outage"
        server.stop()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    doc = json.loads(out)["boards"][0]
    assert doc["status"] == "ok" and doc["provider_calls"] == 9
    assert any("unavailable" in w for w in doc["warnings"]), doc["warnings"]
    assert "warning: remote cache s3://sr-outage/p unavailable" in err
    with Store(tmp_path / ".storyrender") as store:  # everything is in the local cache
        assert all(store.has(n["key"]) for n in json.loads((tmp_path / "out" / "board.manifest.json")
                                                           .read_text())["nodes"])


def test_bad_remote_url_is_bad_input(fake, cli, write_board, tmp_path):
    board = write_board(BOARD)
    res = cli(["build", "--remote-cache", "https://example.invalid/x", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "s3://BUCKET/PREFIX" in res.stderr
    assert not (tmp_path / "out").exists()
