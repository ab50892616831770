"""A fake of the fal queue on 127.0.0.1, over HTTPS, driven by the real ``fal-client``.

fal-client always speaks HTTPS and reads its queue host from ``FAL_QUEUE_RUN_HOST`` once, when
``fal_client`` is first imported. So this file picks the fake's port and sets that variable
before any test imports the SDK, serves TLS with a throwaway CA (trustme), and points httpx at
that CA with ``SSL_CERT_FILE`` for each test.
"""

from __future__ import annotations

import ssl
import sys

import pytest
from fal_fakes import HOST, KEY, PORT, FakeFal  # sets FAL_QUEUE_RUN_HOST on import

from storyrender.testing_fixtures import frames, mp4_bytes  # noqa: F401  (pytest fixtures)


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ctx, ca_file


@pytest.fixture(scope="session")
def fal_server(tls):
    from pytest_httpserver import HTTPServer

    if "fal_client" in sys.modules:
        from fal_client import client as fc

        if HOST not in fc.QUEUE_URL_FORMAT:
            pytest.fail("fal_client was imported before this conftest set FAL_QUEUE_RUN_HOST")
    server = HTTPServer(host="127.0.0.1", port=PORT, ssl_context=tls[0], threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tls):
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.delenv("FAL_KEY_ID", raising=False)
    monkeypatch.delenv("FAL_KEY_SECRET", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[1]))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("FAL_HOME_DIR", "/nonexistent-fal-home")


@pytest.fixture
def fake(fal_server) -> FakeFal:
    fal_server.clear()
    yield FakeFal(fal_server)
    fal_server.clear()
