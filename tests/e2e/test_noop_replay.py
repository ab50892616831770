"""A remembered no-op (storyrender.uptodate): the third identical build says what the second said
without loading the board, and anything the result depends on, changed, makes it build again.

The builds run in this process (click's runner), so a wrapper around ``api.prepare_all`` tells a
remembered no-op (the board is never loaded) from a build.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from storyrender import api
from storyrender.cli.main import cli as storyrender_cli

from ..conftest import TINY

PROV = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
BOARD = TINY + PROV + "beats:\n  - {prompt: a red kite, end_image: end.png}\n  - {prompt: a blue kite}\n"


@pytest.fixture
def project(tmp_path, fake, monkeypatch):
    """A two-beat board with a pinned image, built twice (the second build made nothing); returns a
    runner ``build(*args) -> (result, loaded)`` where *loaded* says whether the board was loaded."""
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.full((90, 160, 3), (200, 40, 40), np.uint8)).save(tmp_path / "end.png")
    (tmp_path / "board.yaml").write_text(BOARD)
    loads: list[int] = []
    real = api.prepare_all
    monkeypatch.setattr(api, "prepare_all", lambda *a, **k: loads.append(1) or real(*a, **k))

    def build(*args: str):
        before = len(loads)
        result = CliRunner().invoke(storyrender_cli, ["build", *args, "board.yaml"])
        assert result.exit_code == 0, (result.output, result.stderr, result.exception)
        return result, len(loads) > before

    first, loaded = build()
    assert loaded and not stamps(tmp_path)  # it made things: nothing to remember
    build.fake = fake
    return build


def stamps(folder: Path) -> list[Path]:
    return sorted((folder / ".storyrender" / "stamps").glob("*.json"))


def outputs(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in sorted((folder / "out").rglob("*")) if p.is_file()}


def cache_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of the cache but the index's database (which sqlite may checkpoint at any time)."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted((folder / ".storyrender").rglob("*"))
            if p.is_file() and not p.name.startswith("cache.db")}


def untimed(text: str) -> str:
    return re.sub(r"\[\s*[\d.]+s\]", "[t]", re.sub(r"\d+\.\d+s\b", "Ns", text))


def test_a_remembered_noop_says_the_same_and_touches_nothing(project, tmp_path):
    said, loaded = project()
    assert loaded and len(stamps(tmp_path)) == 1  # a build that made nothing is remembered
    said_json, loaded = project("--json")
    assert not loaded  # remembered: the --json of the same no-op, without loading anything
    before_out, before_cache = outputs(tmp_path), cache_files(tmp_path)
    again, loaded = project()
    assert not loaded
    assert again.output == said.output and (tmp_path / "out" / "board.mp4").exists()
    assert untimed(again.stderr) == untimed(said.stderr)
    assert "nothing to make: the outputs are cached (" in again.stderr and "continuity:" in again.stderr
    assert outputs(tmp_path) == before_out and cache_files(tmp_path) == before_cache  # nothing written
    doc = json.loads(said_json.output)
    assert doc["status"] == "ok" and doc["totals"]["rendered"] == 0 and doc["boards"][0]["outputs"]["mp4"]
    assert project.fake() and all(c["job"] for c in project.fake())  # the first build's calls, none since
    calls = len(project.fake())
    project("-q")
    assert len(project.fake()) == calls


def test_an_edit_that_keeps_size_and_mtime_still_builds(project, tmp_path):
    project()
    board = tmp_path / "board.yaml"
    st = board.stat()
    board.write_text(BOARD.replace("a red kite", "a tan kite"))  # same size
    os.utime(board, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    _, loaded = project()
    assert loaded
    assert any("tan kite" in c["prompt"] for c in project.fake())


def test_a_changed_pinned_image_builds(project, tmp_path):
    project()
    Image.fromarray(np.full((90, 160, 3), (40, 40, 200), np.uint8)).save(tmp_path / "end.png")
    _, loaded = project()
    assert loaded


def test_a_deleted_or_touched_output_builds_and_is_published_again(project, tmp_path):
    project()
    mp4 = tmp_path / "out" / "board.mp4"
    mp4.unlink()
    _, loaded = project()
    assert loaded and mp4.exists()
    project()  # remembered again
    mp4.write_bytes(mp4.read_bytes()[:100])
    _, loaded = project()
    assert loaded and mp4.stat().st_size > 100


def test_other_options_environment_or_cache_changes_build(project, tmp_path, monkeypatch):
    project()
    assert project("--offline")[1]  # another invocation
    assert project()[1]  # the offline build wrote to the cache, so the stamp is not trusted
    assert not project()[1]
    monkeypatch.setenv("STORYRENDER_TEMPLATES", str(tmp_path))
    assert project()[1]
    assert not project()[1]
    limit = CliRunner().invoke(storyrender_cli, ["cache", "limit", "2G", "board.yaml"])
    assert limit.exit_code == 0, limit.output
    assert project()[1]  # the store changed
    monkeypatch.setattr("storyrender.uptodate._today", lambda: "2099-01-01")
    assert project()[1]  # model lifecycles depend on the date
    for args in (["-v"], ["--only", "1"]):  # never remembered
        assert project(*args)[1]


def test_a_template_change_builds(project, tmp_path):
    (tmp_path / "base.yaml").write_text(TINY + PROV)
    (tmp_path / "board.yaml").write_text("version: 1\nextends: ./base.yaml\n"
                                         "beats:\n  - {prompt: a red kite}\n  - {prompt: a blue kite}\n")
    project()
    project()
    assert not project()[1]
    (tmp_path / "base.yaml").write_text(TINY.replace("fps: 8", "fps: 4") + PROV)
    assert project()[1]


def test_a_stamp_holds_no_secret(project, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "q" * 40)
    monkeypatch.setenv("STORYRENDER_S3_SECRET", "hunter2-hunter2")
    project()
    text = stamps(tmp_path)[0].read_text()
    assert "q" * 40 not in text and "hunter2" not in text
    assert not project()[1]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "z" * 40)  # another value of a key: not seen, not needed
    assert not project()[1]
    monkeypatch.delenv("OPENAI_API_KEY")  # a key set or not can change warnings: build
    assert project()[1]


def test_changed_code_builds(project, tmp_path, monkeypatch):
    module = tmp_path / "lib" / "noop_probe_module.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(module.parent))
    __import__("noop_probe_module")
    try:
        project()
        assert not project()[1]
        module.write_text("X = 22\n")  # loaded code changed (a plugin upgraded in place)
        assert project()[1]
    finally:
        import sys

        sys.modules.pop("noop_probe_module", None)


def test_a_damaged_intermediate_artifact_is_found_as_without_a_stamp(project, tmp_path):
    project()
    assert not project()[1]
    pngs = sorted((tmp_path / ".storyrender" / "artifacts").rglob("*.png"))
    pngs[0].write_bytes(pngs[0].read_bytes()[:50])  # a keyframe under the cached final video
    said, loaded = project()
    assert loaded and "corrupt in cache" in said.stderr


def test_a_key_value_that_a_board_now_holds_refuses_the_build(project, tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "unrelated-value-123")
    project()
    assert not project()[1]
    monkeypatch.setenv("MY_SERVICE_TOKEN", "a blue kite")  # now the board holds a key's value
    refused = CliRunner().invoke(storyrender_cli, ["build", "board.yaml"])
    assert refused.exit_code == 2 and "MY_SERVICE_TOKEN" in refused.stderr
