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
