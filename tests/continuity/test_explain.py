"""`storyrender explain --at T | --frame N`: the beat and the node chain behind a moment."""

from __future__ import annotations

import json

import pytest

from storyrender.api import prepare

from ..conftest import ROOT, TINY


@pytest.mark.slow
def test_explain_answers_for_every_beat_of_the_example(cli):
    board = ROOT / "storyboards" / "example.yaml"
    p = prepare(board)
    times = p.graph.info["beat_times"]
    assert len(times) == len(p.board.beats)
    for beat, bt in zip(p.board.beats, times):
        at = (bt["start"] + bt["end"]) / 2
        res = cli(["explain", str(board), "--at", f"{at:.3f}", "--json"], cwd=ROOT)
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["frame"] == int(at * 24 + 1e-6) and not doc["built"]
        shown = doc["shows"][0] if len(doc["shows"]) == 1 else next(s for s in doc["shows"] if s["beat"] == beat.index)
        assert shown["beat"] == beat.index and shown["id"] == beat.id
        seg = next(n for n in shown["nodes"] if n["kind"] == "segment")
        assert seg["prompt"].startswith(beat.prompt) and seg["provider"] == "local" and seg["seed"] == 42
        assert seg["key"] == p.graph.by_role()[f"segment:{beat.id}"].key
        assert [n["kind"] for n in shown["nodes"][1:]] and all(n["kind"] in ("image", "keyframe", "file")
                                                              for n in shown["nodes"][1:])


@pytest.mark.slow
def test_explain_after_a_build_names_costs_and_job_ids(write_board, cli, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_VENDOR", str(tmp_path / "vendor"))
    board = write_board(TINY + "providers: {image: fake/img, keyframe: fake/img, video: fakehosted/vid}\n"
                        "transition: {type: fade, seconds: 0.25}\n"
                        "beats:\n  - {prompt: one}\n  - {prompt: two, take: 3}\n")
    assert cli(["build", board.name], cwd=tmp_path, env={"FAKE_PRICE": "0.1"}).returncode == 0
    # 8 + 8 frames overlapping by 2: frames 0..5 beat 1, 6..7 the fade, 8..13 beat 2
    res = cli(["explain", board.name, "--frame", "10", "--json"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["built"] and doc["piece"] == "body" and [s["beat"] for s in doc["shows"]] == [2]
    assert doc["shows"][0]["clip_frame"] == 4  # the fade took clip frames 0..1 of beat 2
    seg = doc["shows"][0]["nodes"][0]
    assert seg["kind"] == "segment" and seg["take"] == 3 and seg["job_id"] == "2" and seg["cost_usd"] > 0
    assert seg["made_from"] == ["keyframe 1", "keyframe 2"] and seg["status"] == "rendered"
    fade = json.loads(cli(["explain", board.name, "--at", "0.8", "--json"], cwd=tmp_path).stdout)
    assert fade["piece"] == "junction" and [s["beat"] for s in fade["shows"]] == [1, 2]
    assert [s["clip_frame"] for s in fade["shows"]] == [6, 0] and fade["transition"] == "fade"
    text = cli(["explain", board.name, "--at", "0.8"], cwd=tmp_path).stdout
    assert "fade from beat 1" in text and "job 1" in text and "job 2" in text and "prompt: one" in text
    res = cli(["explain", board.name, "--frame", "14"], cwd=tmp_path)
    assert res.returncode == 2 and "outside the video" in res.stderr and "Traceback" not in res.stderr
    res = cli(["explain", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "--at" in res.stderr
