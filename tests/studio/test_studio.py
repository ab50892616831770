"""The studio without a browser: YAML edits keep comments and refuse bad results; the app's token and
file rules; actions re-plan without rendering anything."""

from __future__ import annotations

import pytest

from storyrender.errors import BoardError
from storyrender.studio import edits

BOARD = """\
# top comment
version: 1
title: Edits
output: {size: 160x90, fps: 8}
seconds: 1
providers: {image: local, keyframe: local, video: local}
beats:
  - id: one     # first
    prompt: a red kite
  - id: two
    prompt: a blue boat   # second
"""


@pytest.fixture
def board(tmp_path):
    (tmp_path / ".git").mkdir()
    p = tmp_path / "board.yaml"
    p.write_text(BOARD)
    return p


def test_edits_keep_comments_and_layout(board):
    edits.new_take(board, 2)
    edits.set_prompt(board, 1, "a  red kite\nat dusk")
    edits.add_beats(board, ["a green door", "a yellow bird"])
    text = board.read_text()
    assert text.startswith("# top comment\n")
    assert "  - id: one     # first\n    prompt: a red kite at dusk\n" in text
    assert "    prompt: a blue boat   # second\n    take: 2\n" in text
    assert "output: {size: 160x90, fps: 8}" in text  # flow style kept
    assert text.endswith("  - id: beat-3\n    prompt: a green door\n  - id: beat-4\n    prompt: a yellow bird\n")
    edits.delete_beat(board, 3)
    assert "a green door" not in board.read_text() and "id: beat-4" in board.read_text()


@pytest.mark.parametrize("edit, why", [
    (lambda b: edits.set_prompt(b, 1, "   "), "cannot be empty"),
    (lambda b: edits.set_prompt(b, 1, "x" * 9000), "8000"),
    (lambda b: edits.new_take(b, 7), "no beat 7"),
    (lambda b: (edits.delete_beat(b, 2), edits.delete_beat(b, 1)), "at least one beat"),
])
def test_a_bad_edit_leaves_the_file_as_it_was(board, edit, why):
    with pytest.raises(BoardError, match=why):
        edit(board)
    text = board.read_text()
    assert text == BOARD or "a blue boat" not in text  # (the two-step case deleted beat 2 first)
    assert sorted(p.name for p in board.parent.iterdir()) == [".git", "board.yaml"]  # no temp file left


def test_a_template_board_is_not_edited_beat_by_beat(tmp_path):
    (tmp_path / ".git").mkdir()
    p = tmp_path / "board.yaml"
    p.write_text("version: 1\nextends: music-video\nvars: {song: a.mp3}\n")
    with pytest.raises(BoardError, match="extends a template"):
        edits.new_take(p, 1)


@pytest.fixture
def client(board):
    from starlette.testclient import TestClient

    from storyrender.studio.app import make_app
    from storyrender.studio.session import Session

    session = Session(board, folder=board.parent, offline=True)
    token = "t" * 32
    with TestClient(make_app(session, token)) as c:
        yield c, token, session


def test_token_files_and_actions(client, board):
    c, token, session = client
    assert c.get("/").status_code == 403
    assert c.get("/?token=" + "x" * 32).status_code == 403
    assert c.post("/api/build").status_code == 403
    r = c.get(f"/?token={token}")
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    for path in ("/out/../board.yaml", "/out/%2e%2e/board.yaml", "/cache/zz", "/cache/" + "a" * 64):
        assert c.get(path, headers={"X-Storyrender-Token": token}).status_code == 404, path
    state = c.get("/api/state", headers={"X-Storyrender-Token": token}).json()
    assert [b["id"] for b in state["plan"]["beats"]] == ["one", "two"]
    assert state["plan"]["to_render"] > 0
    rev = state["plan"]["revision"]
    r = c.post("/api/beats/1/take", headers={"X-Storyrender-Token": token})
    assert r.json() == {"ok": True, "revision": rev + 1}
    assert "take: 2" in board.read_text() and "# first" in board.read_text()
    r = c.post("/api/beats/1/prompt", json={"prompt": ""}, headers={"X-Storyrender-Token": token})
    assert r.status_code == 400 and "cannot be empty" in r.json()["error"]
    r = c.post("/api/beats/2/pin", headers={"X-Storyrender-Token": token})
    assert r.status_code == 400 and "build first" in r.json()["error"]
    # no action rendered anything: the cache holds nothing yet
    assert not any((board.parent / ".storyrender").rglob("*.mp4"))


def _wait_build(session, timeout=60):
    import time

    deadline = time.monotonic() + timeout
    while session.state.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not session.state.running, "the build did not finish"
    return session.build_view()


def test_pin_this_frame_after_a_build_pins_the_end_keyframe(client, board):
    c, token, session = client
    h = {"X-Storyrender-Token": token}
    assert c.post("/api/build", headers=h).json() == {"ok": True}
    view = _wait_build(session)
    assert view["status"] == "ok" and view["outputs"]["mp4"] == "/out/board.mp4"
    assert c.get("/out/board.mp4", headers=h).status_code == 200
    made = next(n["key"] for n in session.plan["nodes"] if n["kind"] == "keyframe" and n["beat"] == 1)
    r = c.post("/api/beats/1/pin", headers=h)
    assert r.json()["ok"], r.json()
    text = board.read_text()
    assert "    prompt: a red kite\n    end_image: frames/one.png\n" in text and "# first" in text
    pinned = board.parent / "frames" / "one.png"
    assert pinned.read_bytes() == session.artifact_path(made).read_bytes()
    assert any(n["kind"] == "file" and n["beat"] == 1 for n in session.plan["nodes"])
    assert session.plan["beats"][0]["pinned"] is True


def test_the_budget_holds_in_the_studio(board):
    from storyrender.studio.session import Session

    board.write_text(BOARD + "prices: {local/animatic: {per_second: 0.5}}\n")
    session = Session(board, folder=board.parent, offline=False, budget=0.25)
    assert session.plan["estimate"] > 0.25
    session.build()
    view = _wait_build(session)
    assert view["status"] == "refused" and "budget" in view["error"]
    assert not any((board.parent / ".storyrender").rglob("*.png"))  # nothing was made


def test_start_screen_writes_a_board_then_opens_it(tmp_path):
    from starlette.testclient import TestClient

    from storyrender.studio.app import make_app
    from storyrender.studio.session import Session

    (tmp_path / ".git").mkdir()
    session = Session(None, folder=tmp_path, offline=True)
    token = "s" * 32
    with TestClient(make_app(session, token)) as c:
        h = {"X-Storyrender-Token": token}
        assert c.get("/api/state", headers=h).json()["board"] is None
        assert "Start from one prompt" in c.get("/", headers=h).text
        r = c.post("/api/new", headers=h, json={"prompt": "A kite over the sea", "seconds": 3, "size": "160x90"})
        assert r.json()["ok"], r.json()
        state = c.get("/api/state", headers=h).json()
        assert state["board"] == str(tmp_path / "board.yaml") and len(state["plan"]["beats"]) == 1
        assert (tmp_path / ".gitignore").exists()
        assert c.post("/api/new", headers=h, json={"prompt": "again"}).status_code == 409


def test_seam_and_drift_scores_come_from_the_manifest(board):
    import json

    from storyrender.studio.session import Session

    session = Session(board, folder=board.parent, offline=True)
    assert session.scores() == {}  # not built: nothing to show
    out = board.parent / "out"
    out.mkdir()
    (out / "board.manifest.json").write_text(json.dumps({"continuity": {
        "seams": [{"from_beat": 1, "to_beat": 2, "score": 0.41234, "flagged": True}],
        "drift": [{"keyframe": 1, "beat": 1, "drift": 0.05}, {"keyframe": 2, "beat": 2, "drift": 0.2}]}}))
    assert session.scores() == {"1": {"drift": 0.05}, "2": {"seam": 0.412, "seam flagged": True, "drift": 0.2}}


def test_cancel_stops_a_running_build(tmp_path):
    import threading

    from storyrender.studio.session import Session

    (tmp_path / ".git").mkdir()
    board = tmp_path / "board.yaml"
    beats = "".join(f"  - prompt: beat number {i}\n" for i in range(1, 9))
    board.write_text("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\nbeats:\n" + beats)
    session = Session(board, folder=tmp_path, offline=True, jobs=1)
    started = threading.Event()
    real = session.hub.publish

    def publish(kind, data):  # cancel as soon as the first node starts rendering
        real(kind, data)
        if kind == "node" and data["status"] == "rendering":
            started.set()

    session.hub.publish = publish
    session.build()
    assert started.wait(30)
    assert session.cancel() == {"ok": True}
    view = _wait_build(session)
    assert view["status"] == "interrupted", view
    statuses = [n["status"] for n in view["nodes"]]
    assert "skipped" in statuses and "failed" not in statuses  # the rest never ran; nothing failed
    assert not (tmp_path / "out" / "board.mp4").exists()


def test_start_screen_prices_the_writing_before_anything_is_written(tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from storyrender.studio.app import make_app
    from storyrender.studio.session import Session

    token = "s" * 32
    form = {"prompt": "A kite over the sea", "seconds": 3, "size": "160x90"}
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with TestClient(make_app(Session(None, folder=tmp_path, offline=False), token)) as c:
        h = {"X-Storyrender-Token": token}
        assert 'id="new-cost"' in c.get("/", headers=h).text
        r = c.post("/api/new/plan", headers=h, json=form).json()
        assert not r["ok"] and "OPENAI_API_KEY" in r["error"]  # no writer: said before Write, not after
        monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "t" * 40)
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a call would fail: none is made
        w = c.post("/api/new/plan", headers=h, json=form).json()["writing"]
        assert w["provider"] == "openai" and w["status"] == "render" and w["estimate_usd"] > 0
        assert c.post("/api/new/plan", headers=h, json={**form, "prompt": " "}).json()["ok"] is False
    with TestClient(make_app(Session(None, folder=tmp_path, offline=True), token)) as c:
        w = c.post("/api/new/plan", headers={"X-Storyrender-Token": token}, json=form).json()["writing"]
        assert w["provider"] == "local" and w["estimate_usd"] == 0
    assert list(tmp_path.iterdir()) == []  # priced twice, nothing written
