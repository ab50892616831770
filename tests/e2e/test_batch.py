"""Many boards in one `storyrender build`: one cache, one job pool, one report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyrender.media.probe import probe
from storyrender.spec import load_board

from ..conftest import TINY

TINY_OVERRIDE = "output: {size: 160x90, fps: 8}\nseconds: 1\n"
VARIANTS = {
    "product-teaser": [{"product": p} for p in ("Acme trail shoes", "Zed headphones", "Nimbus kettle", "Orbit lamp")],
    "vertical-short": [{"subject": s} for s in ("a paper boat", "a sourdough loaf", "a bonsai", "a kite")],
    "day-in-the-life": [{"who": w} for w in ("a baker", "a beekeeper", "a night nurse", "a ferry captain")],
    "explainer": [{"topic": t} for t in ("how tides work", "why the sky is blue", "how bees dance", "what rust is")],
    "ambient-loop": [{"scene": s} for s in ("a quiet harbour", "a snowy field", "a desert at noon", "a koi pond")],
}
FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def _make_boards(root: Path) -> list[Path]:
    out = []
    for name, variants in VARIANTS.items():
        for i, values in enumerate(variants):
            p = root / "boards" / f"{name}-{i + 1}.yaml"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"version: 1\nextends: {name}\nvars: {json.dumps(values)}\n{TINY_OVERRIDE}")
            out.append(p)
    return out


@pytest.mark.slow
def test_twenty_boards_one_command_one_report_then_nothing_to_do(cli, tmp_path):
    boards = _make_boards(tmp_path)
    assert len(boards) == 20
    res = cli(["build", "--offline", "--json", "--report", "reports/build.json", "boards/*.yaml"], cwd=tmp_path,
              timeout=600)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert json.loads((tmp_path / "reports" / "build.json").read_text()) == report
    assert report["status"] == "ok" and report["exit_code"] == 0
    assert report["totals"]["boards"] == 20 and report["totals"]["ok"] == 20
    assert len(report["boards"]) == 20
    # one shared cache: beside the first board (all boards are in one folder here)
    assert Path(report["cache_dir"]) == tmp_path / "boards" / ".storyrender"
    by_board = {b["board"]: b for b in report["boards"]}
    for p in boards:
        row = by_board[f"boards/{p.name}"]
        assert row["status"] == "ok" and row["rendered"] > 0 and row["provider_calls"] > 0 and row["failures"] == []
        board = load_board(p)
        info = probe(row["outputs"]["mp4"])
        assert info.frames == round(board.total_seconds * board.output.fps), p.name
        assert (info.width, info.height) == (160, 90)
        assert row["seconds_of_video"] == round(board.total_seconds, 3)
        assert Path(row["manifest"]).is_file()
    assert report["totals"]["provider_calls"] == sum(b["provider_calls"] for b in report["boards"])
    # second run: everything cached, nothing rendered, for every board
    res = cli(["build", "--offline", "--json", "boards/*.yaml"], cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    again = json.loads(res.stdout)
    assert [b["provider_calls"] for b in again["boards"]] == [0] * 20
    assert [b["rendered"] for b in again["boards"]] == [0] * 20
    assert again["totals"]["provider_calls"] == 0


@pytest.mark.slow
def test_shared_nodes_render_once_in_one_cache(cli, fake, tmp_path):
    text = TINY + FAKE + "beats:\n  - prompt: one\n  - prompt: two\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.yaml").write_text(text)
    (tmp_path / "b" / "y.yaml").write_text(text + "  - prompt: three\n")
    res = cli(["build", "--json", "a/x.yaml", "b/y.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    # keyframe 0, 2 keyframes, 2 segments for both boards, made once; y's third beat on top
    assert len(fake()) == 5 + 2
    rows = json.loads(res.stdout)["boards"]
    assert rows[0]["provider_calls"] == 5 and rows[1]["provider_calls"] == 2
    assert (tmp_path / "a" / ".storyrender").is_dir() and not (tmp_path / "b" / ".storyrender").exists()
    assert probe(tmp_path / "a" / "out" / "x.mp4").frames == 16
    assert probe(tmp_path / "b" / "out" / "y.mp4").frames == 24
    manifest = json.loads((tmp_path / "b" / "out" / "y.manifest.json").read_text())
    assert manifest["board"] == "b/y.yaml" and manifest["totals"]["provider_calls"] == 2


@pytest.mark.slow
def test_a_failing_board_does_not_stop_the_others(cli, fake, tmp_path):
    (tmp_path / "good.yaml").write_text(TINY + FAKE + "beats:\n  - prompt: fine\n")
    (tmp_path / "bad.yaml").write_text(TINY + FAKE + "beats:\n  - prompt: fine\n  - prompt: FAIL here\n")
    res = cli(["build", "--json", "--report", "r.json", "bad.yaml", "good.yaml"], cwd=tmp_path,
              env={"STORYRENDER_RETRY_ATTEMPTS": "1"})
    assert res.returncode == 1, res.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["status"] == "failed" and doc["exit_code"] == 1
    bad, good = doc["boards"]
    assert bad["status"] == "failed" and bad["failures"] and "FAIL" in bad["failures"][0]["error"]
    assert good["status"] == "ok" and Path(good["outputs"]["mp4"]).is_file()
    assert doc["totals"]["ok"] == 1 and doc["totals"]["failed"] == 1


def test_bad_input_in_one_board_builds_nothing(cli, fake, tmp_path):
    (tmp_path / "good.yaml").write_text(TINY + FAKE + "beats:\n  - prompt: fine\n")
    (tmp_path / "broken.yaml").write_text(TINY + "beats: []\n")
    res = cli(["build", "--json", "--report", "r.json", "good.yaml", "broken.yaml"], cwd=tmp_path)
    assert res.returncode == 2
    doc = json.loads(res.stdout)
    assert doc["status"] == "bad input" and doc["exit_code"] == 2
    assert [(b["board"], b["status"]) for b in doc["boards"]] == [("good.yaml", "not built"), ("broken.yaml", "invalid")]
    assert json.loads((tmp_path / "r.json").read_text()) == doc
    assert fake() == [] and not (tmp_path / "out").exists()


def test_build_help_documents_exit_codes(cli):
    res = cli(["build", "--help"])
    assert res.returncode == 0
    for code in ("0 ", "1 ", "2 ", "130"):
        assert code in res.stdout
    assert "--report" in res.stdout


@pytest.mark.slow
def test_boards_in_different_folders_keep_their_own_caches(tmp_path, cli, fake):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "board.yaml").write_text(
            "version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
            "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
            f"beats:\n  - prompt: board {d} one\n  - prompt: board {d} two\n")
        assert cli(["build", f"{d}/board.yaml"], cwd=tmp_path).returncode == 0
    fake.reset()
    res = cli(["build", "--json", "a/board.yaml", "b/board.yaml"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert fake() == [] and doc["totals"]["provider_calls"] == 0  # b's work found in b's own cache
    assert probe(tmp_path / "b" / "out" / "board.mp4").frames == 16
