"""storyrender provider plugin for Replicate (``replicate/OWNER/NAME[:VERSION]``).

The ``replicate`` SDK is imported only when a job runs, so listing providers costs nothing.
"""

from __future__ import annotations

from storyrender.provider_api import hookimpl

from .provider import ReplicateProvider

__all__ = ["ReplicateProvider", "register_providers"]
__version__ = "0.1.0"


@hookimpl
def register_providers(register):
    register(ReplicateProvider())
