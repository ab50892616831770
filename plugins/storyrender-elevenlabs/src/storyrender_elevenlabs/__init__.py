"""storyrender-elevenlabs: ElevenLabs voices, music and sound effects as a storyrender provider named ``elevenlabs``.

Registered through the ``storyrender`` entry-point group. Importing this package does not import
the ``elevenlabs`` SDK: that happens in ``ElevenLabsProvider.load()`` (once per build, before
workers start) and inside the provider's methods.
"""

from storyrender.provider_api import hookimpl

from .provider import ElevenLabsProvider

__all__ = ["ElevenLabsProvider", "register_providers"]


@hookimpl
def register_providers(register):
    register(ElevenLabsProvider())
