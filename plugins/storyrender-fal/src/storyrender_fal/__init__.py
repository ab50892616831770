"""storyrender provider plugin for fal.ai (``fal/APP_ID``).

``fal_client`` is imported by ``FalProvider.load()`` (once, before a build's jobs run) or when a
job runs, never at plugin discovery, so listing providers costs nothing.
"""

from __future__ import annotations

from storyrender.provider_api import hookimpl

from .provider import FalProvider

__all__ = ["FalProvider", "register_providers"]
__version__ = "0.1.0"


@hookimpl
def register_providers(register):
    register(FalProvider())
