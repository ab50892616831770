"""`storyrender new`: one prompt -> a commented board that validates, sums to the asked length, builds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storyrender.api import prepare
from storyrender.media.probe import probe
from storyrender.story import answer_schema, parse_answer
from storyrender.story.lengths import beat_lengths
from storyrender.story.shape import MalformedStory
from storyrender.providers.local.writer import template_story

PROMPT = "A cat walking through a magical forest"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "storyrender", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.mark.slow
def test_offline_new_writes_a_board_that_validates_sums_to_30s_and_builds(tmp_path):
    dest = tmp_path / "cat"
    r = run("new", PROMPT, "--seconds", "30", "--style", "cinematic", "--offline", "--size", "160x90", "--fps", "8",
            str(dest))
    assert r.returncode == 0, r.stderr
    text = (dest / "board.yaml").read_text()
    assert "# Written by `storyrender new` from the prompt: A cat walking through a magical forest" in text
    assert "template" in text.splitlines()[2]  # honest about what wrote it
    assert (dest / ".gitignore").read_text().splitlines()[-2:] == [".storyrender/", "out/"]
    prepared = prepare(dest / "board.yaml")
    beats = prepared.board.beats
    assert sum(b.seconds for b in beats) == pytest.approx(30.0)
    assert len(beats) == 6  # 5 s clips, as the product plan's sketch cuts 30 s
    assert [b.camera for b in beats][:2] == ["push-in", "push-in"]
    assert len({b.prompt for b in beats}) == 6 and all(PROMPT in b.prompt for b in beats)
    assert [b.id for b in beats] == ["opening", "approach", "discovery", "high-point", "turn", "resolution"]
    assert prepared.board.style == "cinematic"
    b = run("build", str(dest / "board.yaml"))
    assert b.returncode == 0, b.stderr
    info = probe(dest / "out" / "board.mp4")
    assert info.duration == pytest.approx(30.0, abs=0.2)
    assert (info.width, info.height) == (160, 90)


@pytest.mark.slow
def test_new_refuses_to_overwrite_and_bad_options_exit_2_writing_nothing(tmp_path):
    dest = tmp_path / "p"
    assert run("new", PROMPT, "--offline", "--seconds", "3", str(dest)).returncode == 0
    before = (dest / "board.yaml").read_text()
    r = run("new", "Something else", "--offline", str(dest))
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr
    assert (dest / "board.yaml").read_text() == before
    for args in (["--size", "161x90"], ["--seconds", "0"], ["--beats", "0"], ["--writer", "nosuch"],
                 ["--video", "local/nosuch"]):
        other = tmp_path / ("q" + str(len(args[1])) + args[0])
        r = run("new", PROMPT, *(args if args[0] == "--writer" else [*args, "--writer", "local"]), str(other))
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("error: storyrender new: "), r.stderr
        assert not other.exists()
    r = run("new", "   ", "--offline", str(tmp_path / "blank"))
    assert r.returncode == 2 and "prompt is empty" in r.stderr


def test_no_writer_key_is_a_clear_error(tmp_path, monkeypatch):
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")}
    r = subprocess.run([sys.executable, "-m", "storyrender", "new", PROMPT, str(tmp_path / "x")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "OPENAI_API_KEY" in r.stderr and "--offline" in r.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_plan_prices_the_writing_and_the_second_write_is_cached(tmp_path):
    dest = tmp_path / "p"
    r = run("new", PROMPT, "--offline", "--seconds", "10", "--plan", str(dest))
    assert r.returncode == 0 and r.stdout.startswith("render  story  local/template  2 beats (5, 5 s)  $0.0000")
    assert not (dest / "board.yaml").exists()
    assert run("new", PROMPT, "--offline", "--seconds", "10", str(dest)).returncode == 0
    r = run("new", PROMPT, "--offline", "--seconds", "10", "--plan", str(dest))
    assert r.stdout.startswith("cached  story  local/template"), r.stdout


def test_beat_lengths_follow_the_video_models_clips():
    assert beat_lengths(30, None) == (5.0,) * 6
    assert beat_lengths(30, (5, 10)) == (5.0,) * 6
    assert beat_lengths(30, (8,)) == (8.0,) * 4  # 32 s: the caller says so
    assert beat_lengths(30, (5, 10), beats=3) == (10.0,) * 3
    assert beat_lengths(10, None, beats=3) == (3.333, 3.333, 3.334)
    assert sum(beat_lengths(10, None, beats=3)) == pytest.approx(10)


def test_answer_schema_is_derived_from_the_board_schema_and_checks_answers():
    board = json.loads((Path(__file__).parents[2] / "schemas" / "storyboard.schema.json").read_text())
    s = answer_schema(3)
    item = s["properties"]["beats"]["items"]
    assert s["properties"]["beats"]["minItems"] == s["properties"]["beats"]["maxItems"] == 3
    assert item["properties"]["prompt"]["description"] == board["$defs"]["beat"]["properties"]["prompt"]["description"]
    assert item["additionalProperties"] is False and set(item["required"]) == set(item["properties"])
    good = template_story(PROMPT, 3)
    assert parse_answer(json.dumps(good), 3).beats[2]["camera"] == "pull-out"
    for bad, why in (("not json", "not JSON"), (json.dumps({"title": "t", "beats": good["beats"][:2]}), "beats"),
                     (json.dumps({**good, "beats": [{**good["beats"][0], "camera": "zoom"}] * 3}), "camera")):
        with pytest.raises(MalformedStory, match=why):
            parse_answer(bad, 3)


def test_template_spreads_the_progression_over_any_number_of_beats():
    one = template_story("A boat", 1)["beats"]
    assert [b["caption"] for b in one] == ["Opening"]
    nine = template_story("A boat.", 9)["beats"]
    assert nine[0]["caption"] == "Opening" and nine[-1]["caption"] == "Resolution"
    assert len({b["caption"] for b in nine}) == 9  # repeated phases are numbered
    assert all(b["prompt"].startswith("A boat: ") for b in nine)
