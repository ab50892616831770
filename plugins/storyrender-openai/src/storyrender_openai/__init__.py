"""storyrender-openai: OpenAI's GPT image models as a storyrender provider named ``openai``.

Registered through the ``storyrender`` entry-point group. Importing this package does not import
the ``openai`` SDK: that happens in ``OpenAIProvider.load()`` (once per build, before workers start)
and inside the provider's methods, so ``storyrender --help`` stays fast.
"""

from storyrender.provider_api import hookimpl

from .catalogue import PRICES
from .provider import OpenAIProvider

__all__ = ["OpenAIProvider", "PRICES", "register_providers"]


@hookimpl
def register_providers(register):
    register(OpenAIProvider())
