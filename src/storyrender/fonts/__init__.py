"""Fonts shipped with storyrender, so text renders the same on machines with no fonts.

DejaVu Sans (Bitstream Vera derived, free licence: see LICENSE-DejaVu.txt).
"""

from pathlib import Path

__all__ = ["FONT_DIR", "font_path"]

FONT_DIR = Path(__file__).resolve().parent
FONT_NAME = "DejaVu Sans"


def font_path(bold: bool = False) -> Path:
    """Path of the shipped TrueType font."""
    return FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
