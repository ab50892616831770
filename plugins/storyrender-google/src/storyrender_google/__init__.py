"""storyrender-google: Gemini image models and Veo as a storyrender provider named ``google``.

Registered through the ``storyrender`` entry-point group. Importing this package does not import
``google.genai``: that happens inside the provider's methods, so ``storyrender --help`` stays fast.
"""

from storyrender.provider_api import hookimpl

from .catalogue import PRICES
from .provider import GoogleProvider

__all__ = ["GoogleProvider", "PRICES", "register_providers"]


@hookimpl
def register_providers(register):
    register(GoogleProvider())
