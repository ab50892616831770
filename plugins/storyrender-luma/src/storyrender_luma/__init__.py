"""storyrender provider plugin for Luma's Dream Machine API (``luma/MODEL``).

``lumaai`` is imported by ``LumaProvider.load()`` (once, before a build's jobs run) or when a job
runs, never at plugin discovery, so listing providers costs nothing.
"""

from __future__ import annotations

from storyrender.provider_api import hookimpl

from .provider import LumaProvider

__all__ = ["LumaProvider", "register_providers"]
__version__ = "0.1.0"


@hookimpl
def register_providers(register):
    register(LumaProvider())
