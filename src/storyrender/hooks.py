"""The hook markers: ``hookspec`` for the specifications, ``hookimpl`` for a plugin's hooks.

Defined below every layer so that a built-in plugin (the ``local`` provider, the built-in
exporters and executors) marks its hooks without importing the plugin machinery above it.
"""

import pluggy

__all__ = ["PROJECT", "hookspec", "hookimpl"]

PROJECT = "storyrender"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
