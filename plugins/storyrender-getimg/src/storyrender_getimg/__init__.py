"""storyrender provider plugin for getimg.ai (``getimg/MODEL``), v2 API.

The ``getimg`` SDK is imported by ``GetimgProvider.load`` (before a build's jobs run) and by the
jobs, never when this package is imported, so listing providers costs nothing.
"""

from __future__ import annotations

from storyrender.provider_api import hookimpl

from .provider import GetimgProvider

__all__ = ["GetimgProvider", "register_providers"]
__version__ = "0.1.0"


@hookimpl
def register_providers(register):
    register(GetimgProvider())
