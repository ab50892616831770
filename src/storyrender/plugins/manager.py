"""The plugin-manager factory and the provider registry built from it."""

from __future__ import annotations

import os
import sys
from typing import Iterable

import pluggy

from ..providers.base import Job, Provider
from . import hookspecs

__all__ = ["get_plugin_manager", "ProviderRegistry", "load_registry"]


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
    # The offline provider must exist even when the package metadata is not installed
    # (running from a source tree): register it directly if the entry point did not.
    from ..providers.local import plugin as local_plugin

    if not pm.is_registered(local_plugin) and pm.get_plugin("local") is None:
        pm.register(local_plugin, name="local")
    for name in filter(None, (s.strip() for s in os.environ.get("STORYRENDER_PLUGINS", "").split(","))):
        import importlib

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
    """Providers by name, collected from ``register_providers`` hooks."""

    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

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


def load_registry(pm: pluggy.PluginManager | None = None) -> ProviderRegistry:
    """Build a :class:`ProviderRegistry` by calling every plugin's ``register_providers``."""
    pm = pm or get_plugin_manager()
    registry = ProviderRegistry()
    pm.hook.register_providers(register=registry.register)
    return registry
