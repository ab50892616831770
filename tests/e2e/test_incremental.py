"""Only what changed re-renders: counted through the fake provider's calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyrender.media.probe import probe

from ..conftest import TINY

pytestmark = pytest.mark.slow

PROVIDERS = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def board_text(prompts, captions=None, transition="cut", extra=""):
    lines = [TINY + PROVIDERS + f"transition: {transition}\n" + extra + "beats:\n"]
    for i, p in enumerate(prompts):
        lines.append(f"  - id: b{i + 1}\n    prompt: {p}\n")
        if captions and captions[i]:
            lines.append(f"    caption: {captions[i]}\n")
    return "".join(lines)


def jobs(calls):
    return sorted((c["job"], c["prompt"].split(".")[0]) for c in calls)


def test_edit_one_prompt_rerenders_cascade_only(write_board, cli, fake, tmp_path):
    prompts = ["one", "two", "three", "four"]
    board = write_board(board_text(prompts))
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(fake()) == 1 + 4 + 4  # keyframe 0, 4 keyframes, 4 segments
    fake.reset()
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0 and fake() == []
    fake.reset()
    prompts[2] = "THREE"
    write_board(board_text(prompts))
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    # keyframes 3 and 4 (the cascade), segments 3 and 4 (they use them); nothing before beat 3
    assert jobs(fake()) == [("next-keyframe", "THREE"), ("next-keyframe", "four"),
                            ("video", "THREE"), ("video", "four")]


def test_caption_or_transition_edit_rerenders_no_keyframe_or_segment(write_board, cli, fake, tmp_path):
    board = write_board(board_text(["a", "b", "c"], captions=["x", None, None], extra="captions: {burn: true}\n"))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    first = probe(tmp_path / "out" / "board.mp4")
    fake.reset()
    write_board(board_text(["a", "b", "c"], captions=["changed", None, "new"], extra="captions: {burn: true}\n"))
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert fake() == []
    write_board(board_text(["a", "b", "c"], captions=["changed", None, "new"], transition="{type: fade, seconds: 0.25}",
                           extra="captions: {burn: true}\n"))
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert fake() == []
    second = probe(tmp_path / "out" / "board.mp4")
    assert first.frames == 24 and second.frames == 24 - 2 * 2


def test_append_beat_renders_only_new_keyframe_and_segment(write_board, cli, fake, tmp_path):
    board = write_board(board_text(["a", "b"]))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    fake.reset()
    write_board(board_text(["a", "b", "c"]))
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert jobs(fake()) == [("next-keyframe", "c"), ("video", "c")]
    assert probe(tmp_path / "out" / "board.mp4").frames == 24


def test_take_rerenders_only_that_segment(write_board, cli, fake, tmp_path):
    text = board_text(["a", "b", "c"])
    board = write_board(text)
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    fake.reset()
    write_board(text.replace("prompt: b\n", "prompt: b\n    take: 2\n"))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    assert jobs(fake()) == [("video", "b")]


def test_plan_shows_cascade_and_reasons(write_board, cli, fake, tmp_path):
    board = write_board(board_text(["a", "b", "c"]))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    fake.reset()
    write_board(board_text(["a", "B", "c", "d"]))
    res = cli(["plan", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = {ln.split()[1] + " " + ln.split()[2]: ln for ln in res.stdout.splitlines() if ln.startswith("  render")}
    assert "prompt changed" in lines["keyframe 2"]
    assert "upstream keyframe changed" in lines["keyframe 3"]
    assert "new beat" in lines["keyframe 4"] and "new beat" in lines["segment 4"]
    assert "keyframe 1" not in lines and "segment 1" not in lines
    assert fake() == []  # plan calls no provider


def test_local_board_transition_and_caption_edits_rerender_no_keyframe_or_segment(write_board, cli, tmp_path):
    """The default (local) provider too: its panels' time codes are storyboard time."""
    base = TINY + "beats:\n  - {prompt: a}\n  - {prompt: b%s}\n  - {prompt: c}\n"
    board = write_board(base % "")
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    write_board(base % ", caption: hello, transition: {type: fade, seconds: 0.5}")
    res = cli(["build", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    import json

    nodes = json.loads((tmp_path / "out" / "board.manifest.json").read_text())["nodes"]
    remade = {n["kind"] for n in nodes if n["status"] == "rendered"}
    assert remade and remade <= {"piece", "audio", "final"}, remade


def test_local_speech_identity_follows_espeak(monkeypatch):
    import shutil

    from storyrender.providers.local.plugin import LocalProvider

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "espeak-ng" else real_which(name))
    silent = LocalProvider().model_info("espeak").version
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/espeak-ng" if name == "espeak-ng"
                        else real_which(name))
    spoken = LocalProvider().model_info("espeak").version
    assert silent == "silent" and spoken == "espeak-ng"
