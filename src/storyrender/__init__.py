"""storyrender: a storyboard in YAML becomes a video, re-rendering only what changed."""

from .hooks import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
