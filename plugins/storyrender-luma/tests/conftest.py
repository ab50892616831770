"""A fake of Luma's API on 127.0.0.1 driven by the real ``lumaai`` SDK, and an S3 emulator (moto) as the
remote cache whose presigned URLs carry the frames."""

from __future__ import annotations

import uuid

import pytest
from luma_fakes import KEY, FakeLuma

from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)

boto3 = pytest.importorskip("boto3", reason="LUMA NOT TESTED: boto3 missing")
moto_server = pytest.importorskip("moto.server", reason="LUMA NOT TESTED: moto[server] missing")
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-value", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_server():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("LUMAAI_API_KEY", KEY)
    monkeypatch.delenv("LUMAAI_BASE_URL", raising=False)
    monkeypatch.delenv("STORYRENDER_REMOTE_CACHE", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def bucket(s3_server, monkeypatch):
    """A fresh bucket; STORYRENDER_REMOTE_CACHE names it. Returns (client, bucket name)."""
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("STORYRENDER_S3_ENDPOINT", s3_server)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    name = f"frames-{uuid.uuid4().hex[:10]}"
    client = boto3.client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=name)
    monkeypatch.setenv("STORYRENDER_REMOTE_CACHE", f"s3://{name}/shared")
    return client, name


@pytest.fixture
def fake(httpserver, _env, monkeypatch):
    """The fake API, reached through the SDK's own ``LUMAAI_BASE_URL`` (a board cannot set a host)."""
    fake = FakeLuma(httpserver)
    monkeypatch.setenv("LUMAAI_BASE_URL", fake.base)
    return fake
