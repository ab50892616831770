"""Model lifecycles: shut-down models are refused at validate, deprecated ones warned about,
defaults are GA (preview only when nothing is GA), and `providers` lists each model's status."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from storyrender.provider_api import Job, Lifecycle
from tests.plugins.lifecycleprov import AgingProvider

from ..conftest import TINY

ENV = {"STORYRENDER_PLUGINS": "tests.plugins.lifecycleprov"}


def board(write_board, image: str, video: str = "local") -> str:
    return str(write_board(TINY + f"providers:\n  image: {image}\n  keyframe: {image}\n  video: {video}\n"
                           "beats:\n  - {prompt: a cat}\n  - {prompt: a dog}\n"))


def test_status_follows_the_dates():
    life = Lifecycle("ga", deprecated_on="2026-03-01", shut_down_on="2026-10-02", replacement="x")
    assert life.status_on(dt.date(2026, 2, 1)) == "deprecated"  # a shutdown date is announced
    assert life.status_on(dt.date(2026, 10, 1)) == "deprecated"
    assert life.status_on(dt.date(2026, 10, 2)) == "shut_down"
    assert Lifecycle("preview").status_on() == "preview"
    assert Lifecycle().status_on() == "unknown"
    assert Lifecycle("shut_down").usable_on() is False
    with pytest.raises(ValueError):
        Lifecycle("retired")
    with pytest.raises(ValueError):
        Lifecycle("ga", shut_down_on="October 2026")


def test_defaults_skip_shut_down_and_deprecated_models():
    p = AgingProvider()
    assert p.default_model(Job.TEXT_TO_IMAGE) == "new-img"  # GA beats the preview listed before it
    assert p.default_model(Job.FIRST_LAST_VIDEO) == "beta-vid"  # no GA video: the preview, never the shut-down one


@pytest.mark.slow
def test_validate_refuses_a_shut_down_model_naming_line_and_replacement(write_board, cli):
    path = board(write_board, "aging/old-img")
    r = cli(["validate", path], env=ENV)
    assert r.returncode == 2, r.stderr
    assert f"{path}:5" in r.stderr  # the line naming the image provider
    assert "aging/old-img was shut down on 2020-01-31" in r.stderr
    assert "Use aging/new-img instead" in r.stderr
    assert "vendor changelog" in r.stderr and "Traceback" not in r.stderr
    r = cli(["plan", path], env=ENV)
    assert r.returncode == 2 and "Use aging/new-img instead" in r.stderr


def test_a_shut_down_model_without_a_date_or_replacement(write_board, cli):
    r = cli(["validate", board(write_board, "aging/new-img", "aging/gone-vid")], env=ENV)
    assert r.returncode == 2
    assert "aging/gone-vid was shut down: its vendor no longer serves it" in r.stderr
    assert "Choose another model" in r.stderr


@pytest.mark.slow
def test_validate_warns_on_a_deprecated_model_with_its_shutdown_date(write_board, cli):
    path = board(write_board, "aging/soon-img")
    r = cli(["validate", path], env=ENV)
    assert r.returncode == 0, r.stderr
    assert f"warning: {path}:5" in r.stderr
    assert "aging/soon-img is deprecated and shuts down on 2999-06-30" in r.stderr
    assert "Use aging/new-img instead" in r.stderr
    r = cli(["plan", path], env=ENV)
    assert r.returncode == 0 and "shuts down on 2999-06-30" in r.stderr


def test_a_ga_model_validates_quietly(write_board, cli):
    r = cli(["validate", board(write_board, "aging/new-img")], env=ENV)
    assert r.returncode == 0 and "warning" not in r.stderr


def test_providers_lists_every_model_with_its_status(cli):
    r = cli(["providers"], env=ENV)
    lines = {ln.split(":")[0].strip(" -"): ln for ln in r.stdout.splitlines() if ln.startswith("  - aging/")}
    assert "(shut down on 2020-01-31 (use new-img))" in lines["aging/old-img"]
    assert "(deprecated, shuts down on 2999-06-30 (use new-img))" in lines["aging/soon-img"]
    assert "(preview)" in lines["aging/beta-img"] and "(GA)" in lines["aging/new-img"]
    doc = {p["name"]: p for p in json.loads(cli(["providers", "--json"], env=ENV).stdout)}
    models = {m["name"]: m for m in doc["aging"]["models"]}
    assert models["old-img"]["status"] == "shut_down"
    assert models["old-img"]["lifecycle"]["source"] == "vendor changelog"
    assert models["old-img"]["lifecycle"]["checked"] == "2026-12-01"
    assert models["soon-img"]["status"] == "deprecated"
    assert models["beta-vid"]["status"] == "preview"
    assert doc["local"]["models"][0]["status"] == "ga"


def test_every_installed_default_is_ga_or_preview():
    """No installed plugin defaults to a deprecated or shut-down model; every declared default is GA."""
    from storyrender.plugins.manager import load_registry

    for p in load_registry():
        for job in p.jobs:
            name = p.default_model(job)
            if name is None:  # allowed only when the vendor has no GA model for the job left
                assert all(m.status in ("deprecated", "shut_down") for m in p.models if job in m.jobs), (p.name, job)
                continue
            status = p.model_info(name).status
            assert status in ("ga", "unknown"), (p.name, job, name, status)


def test_the_readme_lists_every_installed_model_with_its_status():
    """README.md's model table is `storyrender providers --markdown` (regenerate it when models change)."""
    from pathlib import Path

    from storyrender.report.providers_text import model_table
    from storyrender.plugins.manager import load_registry

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("<!-- models:begin -->\n", 1)[1].split("\n<!-- models:end -->", 1)[0]
    assert section.strip() == model_table(load_registry()).strip(), \
        "README's model table is stale: paste `storyrender providers --markdown` between the models markers"


def test_no_board_doc_or_written_board_suggests_a_shut_down_model():
    """Every ``provider/model`` the README, the docs, the example boards and a board written by ``new`` suggest is
    served today (lines that say a model is shut down are the lifecycle table itself)."""
    import re
    from pathlib import Path

    from storyrender.plugins.manager import load_registry

    root = Path(__file__).resolve().parents[2]
    registry = {p.name: p for p in load_registry()}
    texts = {str(f.relative_to(root)): f.read_text("utf-8") for f in
             [root / "README.md", *root.glob("docs/*.md"), *root.glob("storyboards/**/*.yaml"),
              *root.glob("plugins/*/README.md")]}
    texts["storyrender new"] = (root / "src/storyrender/story/board_text.py").read_text("utf-8")
    found = []
    for where, text in texts.items():
        for line in text.splitlines():
            if "shut down" in line or "retired" in line or "was shut" in line:
                continue
            for prov, model in re.findall(r"\b([a-z]+)/([\w.\-]+(?:/[\w.\-]+)?)", line):
                p = registry.get(prov)
                if p is None or model not in {m.name for m in p.models}:
                    continue
                if p.model_info(model).status == "shut_down":
                    found.append(f"{where}: {prov}/{model}: {line.strip()}")
    assert not found, "\n".join(found)
