"""Every hook is specified with a full docstring and documented in docs/plugins.md."""

from __future__ import annotations

import inspect
from pathlib import Path

from storyrender.plugins import hookspecs
from storyrender.plugins.manager import get_plugin_manager

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()


def test_every_hook_is_documented():
    pm = get_plugin_manager(entry_points=False)
    names = [n for n in dir(pm.hook) if not n.startswith("_")]
    assert names, "no hooks?"
    for name in names:
        spec = getattr(hookspecs, name)
        doc = inspect.getdoc(spec) or ""
        assert ":param" in doc and ":returns:" in doc, name
        sig = f"{name}({', '.join(inspect.signature(spec).parameters)})"
        assert f"### `{sig}`" in DOCS, f"docs/plugins.md has no heading for {sig}"


def test_no_implementation_without_a_spec():
    pm = get_plugin_manager()  # every installed plugin
    pm.check_pending()  # raises for a hookimpl that matches no spec
    assert pm.get_plugin("local") is not None or any(
        getattr(p, "__name__", "").endswith("local.plugin") for p in pm.get_plugins())
