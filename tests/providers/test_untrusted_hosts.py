"""Keys go only where the user's environment says: a storyboard cannot choose a host.

A local sink counts the connections it receives and the headers it gets. Boards that set a
provider's ``base_url`` (or any host-like option) at the sink are refused before anything is sent,
with every key set; the same sink named by the SDK's own variable does receive the request, which
shows it would have seen a key. A board holding the value of a key variable anywhere is refused.
"""

from __future__ import annotations

import socket
import textwrap
import threading
from pathlib import Path

import pytest

from storyrender.errors import BoardError
from storyrender.spec import load_board

from ..conftest import run

SENTINELS = {
    "OPENAI_API_KEY": "sentinel-openai-7f3a9c1d2e4b",
    "GOOGLE_API_KEY": "sentinel-google-9e8d7c6b5a41",
    "REPLICATE_API_TOKEN": "sentinel-replicate-a1b2c3d4e5",
    "GETIMG_API_KEY": "sentinel-getimg-5f4e3d2c1b0a",
    "FAL_KEY": "sentinel-fal-1234abcd:5678efgh",
}


class Sink:
    """A TCP listener on 127.0.0.1 that records each connection's request head and answers 500."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.heads: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                except OSError:
                    pass
                self.heads.append(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def keys_seen(self) -> list[str]:
        return [name for name, value in SENTINELS.items() if any(value.encode() in h for h in self.heads)]


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.close()


def _env(**extra: str) -> dict:
    return {**SENTINELS, "STORYRENDER_RETRY_ATTEMPTS": "1", "STORYRENDER_PLUGINS": "", **extra}


def _board(tmp_path: Path, role: str, ref: str) -> Path:
    path = tmp_path / "board.yaml"
    path.write_text(textwrap.dedent(f"""\
        version: 1
        output: {{size: 160x90, fps: 8}}
        seconds: 1
        providers:
          {role}: {ref}
        beats:
          - {{id: a, prompt: a cat}}
        """), "utf-8")
    return path


HOSTILE = [
    ("image", "openai/gpt-image-1.5", "base_url: '{url}/v1'"),
    ("image", "google/gemini-3.1-flash-image", "base_url: '{url}/'"),
    ("video", "replicate/kwaivgi/kling-v2.1", "base_url: '{url}'"),
    ("image", "getimg/seedream-5-lite", "base_url: '{url}'"),
    ("video", "fal/fal-ai/wan-flf2v", "base_url: '{url}'"),
    ("image", "openai/gpt-image-1.5", "endpoint: '{url}/v1'"),
    ("image", "openai/gpt-image-1.5", "api_host: '{url}'"),
    ("image", "google/gemini-3.1-flash-image", "vertexai: true, project: my-project-1, location: '{host}/x?'"),
]


@pytest.mark.slow
@pytest.mark.parametrize("role,use,option", HOSTILE, ids=[f"{u.split('/')[0]}-{o.split(':')[0]}"
                                                           for _, u, o in HOSTILE])
def test_a_board_choosing_a_host_is_refused_and_the_host_never_hears_a_key(tmp_path, sink, role, use, option):
    pytest.importorskip(f"storyrender_{use.split('/')[0]}")
    opt = option.format(url=sink.url, host=f"127.0.0.1:{sink.port}")
    path = _board(tmp_path, role, f"{{use: {use}, options: {{{opt}}}}}")
    for command in ("validate", "build"):
        res = run([command, path.name], cwd=tmp_path, env=_env())
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert "board.yaml:5:" in res.stderr and "Traceback" not in res.stderr
        name = opt.split(":")[0] if "location" not in opt else "location"
        assert name in res.stderr
    assert sink.heads == []  # not a single connection
    assert not (tmp_path / ".storyrender").exists() and not (tmp_path / "out").exists()
    if "location" not in opt:
        assert "would choose where requests and API keys are sent" in res.stderr


@pytest.mark.slow
def test_the_same_sink_named_by_the_users_environment_does_get_the_key(tmp_path, sink):
    """The control: the sink works, and the environment (not the board) decides where keys go."""
    pytest.importorskip("storyrender_openai")
    path = _board(tmp_path, "image", "openai/gpt-image-1.5")
    res = run(["build", path.name], cwd=tmp_path, env=_env(OPENAI_BASE_URL=f"{sink.url}/v1"))
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert len(sink.heads) >= 1
    assert sink.keys_seen() == ["OPENAI_API_KEY"]
    assert b"authorization: bearer sentinel-openai" in sink.heads[0].lower()
    assert SENTINELS["OPENAI_API_KEY"] not in res.stdout + res.stderr


@pytest.mark.slow
@pytest.mark.parametrize("field", ["caption", "say", "prompt", "title"])
def test_a_key_written_anywhere_in_a_board_is_refused_and_never_written(tmp_path, field):
    key = SENTINELS["REPLICATE_API_TOKEN"]
    text = f"the code is {key} ok"
    beat = {"caption": f"{{id: a, prompt: a cat, caption: '{text}'}}",
            "say": f"{{id: a, prompt: a cat, say: '{text}'}}",
            "prompt": f"{{id: a, prompt: '{text}'}}",
            "title": "{id: a, prompt: a cat}"}[field]
    title = f"title: '{text}'\n" if field == "title" else ""
    (tmp_path / "board.yaml").write_text(
        f"version: 1\n{title}output: {{size: 160x90, fps: 8}}\nseconds: 1\ncaptions: {{files: [srt, vtt]}}\n"
        f"beats:\n  - {beat}\n", "utf-8")
    res = run(["build", "board.yaml"], cwd=tmp_path, env=_env())
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "REPLICATE_API_TOKEN" in res.stderr and "board.yaml:" in res.stderr
    assert key not in res.stdout + res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.yaml"]  # no SRT, manifest or review page


@pytest.mark.parametrize("option", ["base_url", "api_host", "upload_url", "Endpoint"])
def test_loading_a_board_refuses_a_host_option_naming_its_line(write_board, monkeypatch, option):
    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)
    path = write_board(f"""\
        version: 1
        output: {{size: 160x90, fps: 8}}
        providers:
          video: {{use: openai/sora-2, options: {{quality: high, {option}: "http://127.0.0.1:9/"}}}}
        beats: [{{prompt: a cat}}]
        """)
    with pytest.raises(BoardError) as err:
        load_board(path)
    text = str(err.value)
    assert "board.yaml:4" in text and f"option {option!r} would choose where requests and API keys are sent" in text
    assert "OPENAI_BASE_URL" in text and not any(v in text for v in SENTINELS.values())
    path.write_text(path.read_text().replace(option, "read_timeout"))
    assert load_board(path).providers["video"].options["read_timeout"] == "http://127.0.0.1:9/"  # not a host
