"""The layer rules of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass, and
a deliberate violation of them fails; vendor plugins import nothing of storyrender but the plugin API."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT), "--no-cache", "--no-logo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_contracts_hold():
    done = _lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept, 0 broken." in done.stdout and "BROKEN" not in done.stdout
    # every contract of pyproject.toml was checked
    for name in ("Layers:", "diskcache", "executor never renders", "graph is pure data", "Vendor SDKs"):
        assert name in done.stdout


def test_a_deliberate_violation_fails(tmp_path):
    copy = tmp_path / "storyrender"
    shutil.copytree(ROOT / "src" / "storyrender", copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.ttf"))
    nodes = copy / "graph" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\nfrom ..cli import main as _upward  # noqa\n")
    done = _lint(pythonpath=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Layers: each imports only the layers below it BROKEN" in done.stdout
    assert "storyrender.graph.nodes -> storyrender.cli" in done.stdout


def _core_imports(source: str) -> set[str]:
    """The storyrender modules a plugin module's source imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found |= {n for n in names if n == "storyrender" or n.startswith("storyrender.")}
    return found


def test_plugins_import_only_the_plugin_api():
    sources = sorted((ROOT / "plugins").glob("storyrender-*/src/**/*.py"))
    assert len({p.parts[len(ROOT.parts) + 1] for p in sources}) >= 8  # every vendor plugin is read
    reached = {str(p.relative_to(ROOT)): _core_imports(p.read_text("utf-8")) - {"storyrender.provider_api"}
               for p in sources}
    assert {path: mods for path, mods in reached.items() if mods} == {}
    assert _core_imports("from storyrender.media.probe import probe\nimport storyrender.errors\n"
                         "from storyrender import hookimpl\nfrom storyrender.provider_api import kit\n") == {
        "storyrender.media.probe", "storyrender.errors", "storyrender", "storyrender.provider_api"}
