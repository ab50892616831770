"""Every hook is specified with a full docstring and documented in docs/plugins.md."""

from __future__ import annotations

import importlib.metadata
import inspect
from pathlib import Path

import pluggy
import pytest

from storyrender import hookimpl
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
    installed = {ep.name for ep in importlib.metadata.entry_points(group=hookspecs.PROJECT)}
    assert "local" in installed and installed <= {pm.get_name(p) for p in pm.get_plugins()}

    class Misspelt:
        @hookimpl
        def register_provider(self, register):  # the hook is register_providers
            pass

    with pytest.raises(pluggy.PluginValidationError, match="register_provider"):
        get_plugin_manager(entry_points=False, extra=[Misspelt()])
