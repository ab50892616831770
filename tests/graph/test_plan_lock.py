"""The plan lock (`<board>.lock.json` beside the board) travels with the board: a copy of the
board in another folder, on a copy of the cache, explains its plan as the original does."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from storyrender.graph import explain

from ..conftest import TINY

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def board_text(prompts: list[str]) -> str:
    beats = "".join(f"  - id: b{i + 1}\n    prompt: {p}\n" for i, p in enumerate(prompts))
    return TINY + FAKE + "title: Lock\nbeats:\n" + beats


def build(cli, folder, cache=None):
    env = {"STORYRENDER_CACHE": str(cache)} if cache else {}
    res = cli(["build", "-q", "board.yaml"], cwd=folder, env=env)
    assert res.returncode == 0, res.stderr
    return res


def plan_reasons(cli, folder, cache=None) -> dict[str, str]:
    env = {"STORYRENDER_CACHE": str(cache)} if cache else {}
    res = cli(["plan", "--json", "board.yaml"], cwd=folder, env=env)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return {n["label"]: n["reason"] for n in json.loads(res.stdout)["nodes"] if n["status"] == "render"}


@pytest.mark.slow
def test_lock_travels_with_the_board(cli, fake, tmp_path):
    a, b = tmp_path / "A", tmp_path / "elsewhere" / "B"
    a.mkdir()
    prompts = ["one", "two", "three"]
    (a / "board.yaml").write_text(board_text(prompts), "utf-8")
    build(cli, a)
    lock = a / "board.lock.json"
    text = lock.read_text("utf-8")
    doc = json.loads(text)
    assert doc["storyrender_lock"] == 1 and doc["board"] == "board.yaml"
    assert text == json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert str(tmp_path) not in text and "/A/" not in text
    assert {"key", "params", "inputs", "input_keys"} <= set(doc["nodes"]["keyframe:0"])

    # B: the board and its lock, not the cache; a copy of A's cache (a shared cache) instead
    b.mkdir(parents=True)
    shutil.copy(a / "board.yaml", b / "board.yaml")
    shutil.copy(lock, b / "board.lock.json")
    cache_b = tmp_path / "cache-copy"
    shutil.copytree(a / ".storyrender", cache_b)
    assert plan_reasons(cli, b, cache_b) == {}  # everything cached

    prompts[1] = "TWO"
    for folder in (a, b):
        (folder / "board.yaml").write_text(board_text(prompts), "utf-8")
    in_a, in_b = plan_reasons(cli, a), plan_reasons(cli, b, cache_b)
    assert in_a["keyframe 2"] == "prompt changed"
    assert in_b == in_a

    # without the lock, B's plan falls back to the cache's record of its own path: none
    (b / "board.lock.json").rename(b / "saved.json")
    assert plan_reasons(cli, b, cache_b)["keyframe 2"] == "new beat"
    (b / "saved.json").rename(b / "board.lock.json")

    fake.reset()
    build(cli, b, cache_b)
    build(cli, a)
    assert (a / "board.lock.json").read_bytes() == (b / "board.lock.json").read_bytes()
    assert (a / "board.lock.json").read_bytes() != text.encode("utf-8")  # it follows the edit
    assert plan_reasons(cli, a) == {} and plan_reasons(cli, b, cache_b) == {}


@pytest.mark.slow
@pytest.mark.parametrize("content", [
    b"{not json",
    b"\xff\xfe\x00garbage",
    b"[]",
    b'{"storyrender_lock": 2, "board": "board.yaml", "nodes": {}}',
    b'{"storyrender_lock": 1, "board": "board.yaml", "nodes": []}',
    b'{"storyrender_lock": 1, "board": "board.yaml", "nodes": {"keyframe:0": {"key": 1}}}',
    b"[" * 100000 + b"]" * 100000,
])
def test_a_corrupt_lock_is_ignored(cli, fake, tmp_path, content):
    board = tmp_path / "board.yaml"
    board.write_text(board_text(["one", "two"]), "utf-8")
    build(cli, tmp_path)
    board.write_text(board_text(["one", "TWO"]), "utf-8")
    (tmp_path / "board.lock.json").write_bytes(content)
    assert explain.read_lock(tmp_path / "board.lock.json") is None
    # the cache's record of the last build explains the plan instead
    assert plan_reasons(cli, tmp_path)["keyframe 2"] == "prompt changed"
    build(cli, tmp_path)  # and the next build replaces it with a valid lock of the board as it is now
    nodes = explain.read_lock(tmp_path / "board.lock.json")
    assert nodes and "TWO" in json.dumps(nodes) and "two" not in json.dumps(nodes)
    assert plan_reasons(cli, tmp_path) == {}


def test_an_oversized_lock_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "board.lock.json"
    path.write_text(json.dumps({"storyrender_lock": 1, "board": "board.yaml", "nodes": {}}), "utf-8")
    assert explain.read_lock(path) == {}
    monkeypatch.setattr(explain, "LOCK_MAX_BYTES", 10)
    assert explain.read_lock(path) is None


def test_lock_name_is_beside_the_board(tmp_path):
    assert explain.lock_path(tmp_path / "storyboards" / "example.yaml") == tmp_path / "storyboards" / "example.lock.json"
    assert explain.lock_path("b.yml").name == "b.lock.json"


def test_an_unwritable_folder_skips_the_lock_with_a_warning(write_board, fake, tmp_path, monkeypatch):
    from storyrender import api, atomic

    board = write_board(board_text(["one"]))

    def refuse(dest, text):
        raise PermissionError(13, "Permission denied", str(dest))

    monkeypatch.setattr(atomic, "write_text", refuse)
    prepared = api.prepare(board)
    with api.open_store(prepared.board, tmp_path / "cache") as store:
        report = api.build(prepared, store)
    assert report.status == "ok"
    assert not (tmp_path / "board.lock.json").exists()
    assert any("board.lock.json" in w for w in report.warnings)


def test_secrets_in_prompts_are_redacted(write_board, fake, tmp_path, monkeypatch):
    from storyrender import api

    secret = "sk-" + "A1b2C3d4E5f6G7h8J9k0"  # shaped like a key (the value of a key variable is refused)
    board = write_board(board_text([f"a cat named {secret}"]))
    prepared = api.prepare(board)
    with api.open_store(prepared.board, tmp_path / "cache") as store:
        assert api.build(prepared, store).status == "ok"
        lock = (tmp_path / "board.lock.json").read_text("utf-8")
        assert secret not in lock and "***" in lock
        rows, _ = api.plan(api.prepare(board), store)
    assert all(r.status != "render" for r in rows)


def test_write_is_skipped_when_unchanged(write_board, fake, tmp_path):
    from storyrender import api

    board = write_board(textwrap.dedent(board_text(["one"])))
    prepared = api.prepare(board)
    with api.open_store(prepared.board, tmp_path / "cache") as store:
        api.build(prepared, store)
        lock = tmp_path / "board.lock.json"
        before = lock.stat().st_mtime_ns
        assert explain.write_lock(lock, prepared.graph, "board.yaml") is None
        assert lock.stat().st_mtime_ns == before
