"""The contact sheet: every keyframe of a board on one PNG, in a labelled grid.

A header (title, count, the animatic note when it applies), then tiles left to right, top to
bottom, each a keyframe letterboxed into the board's aspect ratio with a label band under it.
Drawn with Pillow and the shipped DejaVu font, so it looks the same on every machine.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence
from ..atomic import atomic_path

__all__ = ["Tile", "Layout", "layout", "draw_contact_sheet", "COLUMNS", "TILE_WIDTH"]

COLUMNS = 4
TILE_WIDTH = 320
LABEL_HEIGHT = 44
GAP = 12
MARGIN = 24
HEADER_HEIGHT = 56

_BG = (17, 19, 24)
_TILE_BG = (32, 35, 43)
_TEXT = (236, 238, 242)
_MUTED = (150, 156, 170)
_ACCENT = (255, 196, 87)


@dataclass(frozen=True)
class Tile:
    """One keyframe: its label (bold), a second line, and the image (path, PIL image or None)."""

    title: str
    subtitle: str = ""
    image: Any = None


@dataclass(frozen=True)
class Layout:
    """Where the tiles go: *cols* x *rows* tiles of *tile_w* x *tile_h* (+ label) on *width* x *height*."""

    cols: int
    rows: int
    tile_w: int
    tile_h: int
    width: int
    height: int

    def origin(self, i: int) -> tuple[int, int]:
        """Top-left corner of tile *i*."""
        r, c = divmod(i, self.cols)
        return (MARGIN + c * (self.tile_w + GAP),
                MARGIN + HEADER_HEIGHT + r * (self.tile_h + LABEL_HEIGHT + GAP))


def layout(n: int, aspect: tuple[int, int] = (16, 9), columns: int = COLUMNS) -> Layout:
    """The grid for *n* tiles of aspect *aspect* (width, height)."""
    n = max(1, n)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    aw, ah = aspect if aspect[0] > 0 and aspect[1] > 0 else (16, 9)
    tile_h = max(1, round(TILE_WIDTH * ah / aw))
    width = 2 * MARGIN + cols * TILE_WIDTH + (cols - 1) * GAP
    height = 2 * MARGIN + HEADER_HEIGHT + rows * (tile_h + LABEL_HEIGHT) + (rows - 1) * GAP
    return Layout(cols, rows, TILE_WIDTH, tile_h, width, height)


def _fit(draw, text: str, font, width: int) -> str:
    """*text* cut with an ellipsis to fit *width* pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_contact_sheet(tiles: Sequence[Tile], dest: Path, *, title: str = "", note: str = "",
                       aspect: tuple[int, int] = (16, 9)) -> Layout:
    """Draw *tiles* into the PNG *dest* (written atomically); returns the layout used."""
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    from ..fonts import font_path

    lay = layout(len(tiles), aspect)
    sheet = Image.new("RGB", (lay.width, lay.height), _BG)
    draw = ImageDraw.Draw(sheet)
    bold = ImageFont.truetype(str(font_path(bold=True)), 15)
    regular = ImageFont.truetype(str(font_path()), 13)
    big = ImageFont.truetype(str(font_path(bold=True)), 22)

    head = title or "storyboard"
    count = f"{len(tiles)} keyframe{'s' if len(tiles) != 1 else ''}"
    draw.text((MARGIN, MARGIN), _fit(draw, head, big, lay.width - 2 * MARGIN), font=big, fill=_TEXT)
    draw.text((MARGIN, MARGIN + 30), count, font=regular, fill=_MUTED)
    if note:
        x = MARGIN + draw.textlength(count + "   ", font=regular)
        draw.text((x, MARGIN + 30), _fit(draw, note, regular, lay.width - MARGIN - int(x)), font=regular,
                  fill=_ACCENT)

    for i, tile in enumerate(tiles):
        x, y = lay.origin(i)
        draw.rectangle((x, y, x + lay.tile_w - 1, y + lay.tile_h + LABEL_HEIGHT - 1), fill=_TILE_BG)
        img = tile.image
        if isinstance(img, (str, os.PathLike)):
            try:
                img = Image.open(img)
            except OSError:
                img = None
        if img is not None:
            img = ImageOps.contain(img.convert("RGB"), (lay.tile_w, lay.tile_h), Image.LANCZOS)
            sheet.paste(img, (x + (lay.tile_w - img.width) // 2, y + (lay.tile_h - img.height) // 2))
        else:
            msg = "not in the cache"
            tw = draw.textlength(msg, font=regular)
            draw.text((x + (lay.tile_w - tw) / 2, y + lay.tile_h / 2 - 8), msg, font=regular, fill=_MUTED)
        ty = y + lay.tile_h + 6
        draw.text((x + 8, ty), _fit(draw, tile.title, bold, lay.tile_w - 16), font=bold, fill=_TEXT)
        if tile.subtitle:
            draw.text((x + 8, ty + 19), _fit(draw, tile.subtitle, regular, lay.tile_w - 16), font=regular,
                      fill=_MUTED)

    with atomic_path(dest) as tmp:
        sheet.save(tmp, "PNG", optimize=False)
    return lay
