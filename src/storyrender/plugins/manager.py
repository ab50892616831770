"""The plugin-manager factory and the registry built from it: providers, exporters, executors."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any, Iterable

import pluggy

from ..providers.base import Job, Provider
from . import hookspecs

__all__ = ["get_plugin_manager", "ProviderRegistry", "load_registry", "installed", "BUILT_IN"]

#: the built-in plugins (name -> module), loaded by name like any entry point
BUILT_IN = {"local": "storyrender.providers.local.plugin", "exporters": "storyrender.stitch.exporters",
            "executors": "storyrender.execute.executors"}


def get_plugin_manager(*, entry_points: bool = True, extra: Iterable[object] = ()) -> pluggy.PluginManager:
    """Make a fresh plugin manager: specs, entry points, then *extra* plugins (for tests).

    :param entry_points: load plugins from the ``storyrender`` entry-point group (the built-in
        ``local`` provider is one of them).
    :param extra: plugin objects or modules to register as well.

    ``STORYRENDER_PLUGINS`` (comma-separated module names) registers more plugins without
    installing them, e.g. a provider under development.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    # The built-ins must exist even when the package metadata is not installed (running from a
    # source tree): registered by module name, like an entry point, when no entry point did.
    for name, module_name in BUILT_IN.items():
        module = importlib.import_module(module_name)
        if not pm.is_registered(module) and pm.get_plugin(name) is None:
            pm.register(module, name=name)
    for name in filter(None, (s.strip() for s in os.environ.get("STORYRENDER_PLUGINS", "").split(","))):
        module = importlib.import_module(name)
        if not pm.is_registered(module):
            pm.register(module, name=name)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    if os.environ.get("STORYRENDER_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


class ProviderRegistry:
    """What is installed: providers by name (``register_providers``), and the output formats
    (``register_exporters``) and executors (``register_executors``) by name."""

    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}
        self.exporters: dict[str, Any] = {}
        self.executors: dict[str, Any] = {}

    def register_exporter(self, exporter: Any) -> None:
        _add(self.exporters, exporter, "an exporter")

    def register_executor(self, entry: Any) -> None:
        _add(self.executors, entry, "an executor")

    def register(self, provider: Provider) -> None:
        if not provider.name:
            raise ValueError(f"provider {provider!r} has no name")
        if provider.name in self._providers:
            raise ValueError(f"two plugins register a provider named {provider.name!r}")
        self._providers[provider.name] = provider

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    def names(self) -> list[str]:
        return sorted(self._providers)

    def __iter__(self):
        return iter(self._providers[n] for n in self.names())

    def __contains__(self, name: str) -> bool:
        return name in self._providers

    def doing(self, job: Job) -> list[str]:
        return [p.name for p in self if job in p.jobs]


def _add(table: dict[str, Any], item: Any, what: str) -> None:
    name = getattr(item, "name", "")
    if not name:
        raise ValueError(f"{what} {item!r} has no name")
    if name in table:
        raise ValueError(f"two plugins register {what} named {name!r}")
    table[name] = item


def load_registry(pm: pluggy.PluginManager | None = None) -> ProviderRegistry:
    """Build a :class:`ProviderRegistry` by calling every plugin's registering hooks."""
    pm = pm or get_plugin_manager()
    registry = ProviderRegistry()
    pm.hook.register_providers(register=registry.register)
    pm.hook.register_exporters(register=registry.register_exporter)
    pm.hook.register_executors(register=registry.register_executor)
    return registry


_installed_lock = threading.Lock()
_installed: dict[str, ProviderRegistry] = {}


def installed() -> ProviderRegistry:
    """This process's registry, loaded once per ``STORYRENDER_PLUGINS`` (for code handed no registry:
    a node operation, a Ray worker)."""
    plugins = os.environ.get("STORYRENDER_PLUGINS", "")
    with _installed_lock:
        if plugins not in _installed:
            _installed[plugins] = load_registry()
        return _installed[plugins]
