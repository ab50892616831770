"""Captions: sidecar files (SRT, WebVTT) and captions burned into the pieces they intersect.

Burned captions use ffmpeg's ``drawtext`` with the shipped font (``fontfile=``) and the text in a file
(``textfile=``, ``expansion=none``), never in the filter string: any text (quotes, colons, ``%``, backslashes,
newlines, emoji, right-to-left scripts) is drawn literally and cannot change the command.  ``drawtext`` was chosen
over a Pillow-rendered PNG because the bundled ffmpeg is built with HarfBuzz and FriBidi, so right-to-left and
complex scripts are shaped the same on every machine, while Pillow's shaping depends on system libraries.  Lines
are wrapped here, measured with the same font, so the layout does not depend on ffmpeg either.  Glyphs missing from
the shipped font (colour emoji) are drawn as a placeholder box.

Each piece gets an :class:`Overlay` only for the cues that intersect it (:func:`overlays_for_piece`), with
piece-local frame numbers, so changing one caption re-encodes only the pieces it touches.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..fonts import font_path
from ..text import wrap_text as _wrap
from ._filters import atomic_output, filter_value

__all__ = [
    "Cue",
    "Overlay",
    "CaptionStyle",
    "write_srt",
    "write_vtt",
    "write_ass",
    "overlays_for_piece",
    "overlay_filters",
    "wrap_text",
]


@dataclass(frozen=True)
class Cue:
    """A caption shown from *start* to *end* seconds of the output timeline."""

    start: float
    end: float
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Overlay:
    """A burned caption inside one piece: *text* on piece-local frames ``[start, end)``."""

    text: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CaptionStyle:
    """Look of burned captions; sizes are fractions of ``min(width, height)``, except the bottom
    margin, a fraction of the height: captions sit in the lower third but clear of the bottom
    16%, where short-form players put their controls (and the previz prompt bar sits)."""

    font_scale: float = 0.05
    bottom_scale: float = 0.17
    max_width: float = 0.88
    color: str = "white"
    box_color: str = "black@0.55"


DEFAULT_STYLE = CaptionStyle()


# --- sidecar files -----------------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _usable(cues: Iterable[Cue]) -> list[Cue]:
    return [c for c in cues if _clean(c.text) and c.end > c.start]


def _srt_escape(text: str) -> str:
    """Break every ``-->`` with a zero-width space: it reads the same, and no SRT reader takes the
    line for a cue's timing."""
    return text.replace("-->", "-\u200b->")


def write_srt(cues: Iterable[Cue], path: Path) -> Path:
    """Write *cues* as SubRip (UTF-8) to *path*; empty cues are skipped."""
    blocks = []
    for i, c in enumerate(_usable(cues), 1):
        # A blank line ends a cue in SRT: _clean() drops empty lines inside the text, and a timing
        # arrow inside it is broken (SRT has no escapes), so no text can start a cue of its own.
        blocks.append(f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_srt_escape(_clean(c.text))}\n")
    with atomic_output(Path(path)) as part:
        part.write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


def write_vtt(cues: Iterable[Cue], path: Path) -> Path:
    """Write *cues* as WebVTT (UTF-8) to *path*; empty cues are skipped."""
    parts = ["WEBVTT\n"]
    for c in _usable(cues):
        parts.append(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_vtt_escape(_clean(c.text))}\n")
    with atomic_output(Path(path)) as part:
        part.write_text("\n".join(parts), encoding="utf-8")
    return Path(path)


def _ass_text(text: str) -> str:
    """Caption text as literal ASS dialogue: lines joined with ``\\N``; a word joiner (U+2060) only where an
    override block (``{\\b1}``) or an escape (``\\N``) would form; ``<on>``, ``&``, ``{b}`` stay as written."""
    text = re.sub(r"\\(?=[Nnh])", "\\\\\u2060", _clean(text))  # \N, \n, \h would be a line break or space
    text = re.sub(r"\{(?=[^}]*\\)", "{\u2060", text)  # {\b1} would be an override block
    return text.replace("\n", "\\N")


def _ass_stamp(seconds: float) -> str:
    cs = max(0, int(round(seconds * 100)))
    h, cs = divmod(cs, 360_000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def write_ass(cues: Iterable[Cue], path: Path) -> Path:
    """Write *cues* as a minimal ASS script (UTF-8) to *path*, the text kept literal.

    This is what soft subtitle tracks are made from: ffmpeg's SubRip reader treats ``<...>`` as markup and
    drops what it does not know (a caption ``press <on>`` would lose ``<on>`` in the MP4's ``mov_text``
    track), while ASS dialogue text is taken as written.
    """
    lines = ["[Script Info]", "ScriptType: v4.00+", "PlayResX: 384", "PlayResY: 288", "",
             "[V4+ Styles]",
             "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
             "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
             "MarginL, MarginR, MarginV, Encoding",
             "Style: Default,Sans,16,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1",
             "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"]
    for c in _usable(cues):
        lines.append(f"Dialogue: 0,{_ass_stamp(c.start)},{_ass_stamp(c.end)},Default,,0,0,0,,{_ass_text(c.text)}")
    with atomic_output(Path(path)) as part:
        part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


# --- burned captions ---------------------------------------------------------------------------------------------

def overlays_for_piece(piece, cues: Iterable[Cue], fps: int) -> tuple[Overlay, ...]:
    """The overlays a piece (:class:`~storyrender.stitch.timeline.PieceSpec`) needs for *cues*.

    A cue covers output frames ``[round(start*fps), round(end*fps))``; only the part inside the piece is kept,
    in piece-local frame numbers.
    """
    out = []
    lo, hi = piece.out_start, piece.out_start + piece.frames
    for c in cues:
        text = _clean(c.text)
        if not text:
            continue
        a, b = max(lo, int(round(c.start * fps))), min(hi, int(round(c.end * fps)))
        if a < b:
            out.append(Overlay(text, a - lo, b - lo))
    return tuple(out)


@functools.lru_cache(maxsize=32)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path()), size)


def _fontsize(width: int, height: int, style: CaptionStyle) -> int:
    return max(10, int(round(min(width, height) * style.font_scale)))


def wrap_text(text: str, max_px: int, fontsize: int) -> list[str]:
    """Greedy word wrap of *text* to lines at most *max_px* wide in the shipped font (long words are split)."""
    return _wrap(_clean(text), _font(fontsize).getlength, max_px)


def overlay_filters(overlays: Sequence[Overlay], width: int, height: int, fps: int, text_dir: Path,
                    style: CaptionStyle = DEFAULT_STYLE) -> str:
    """A chain of ``drawtext`` filters (no labels) drawing *overlays*; text files are written into *text_dir*."""
    size = _fontsize(width, height, style)
    margin = max(2, int(round(height * style.bottom_scale)))
    pad = max(2, size // 3)
    spacing = max(1, size // 5)
    max_px = int(width * style.max_width) - 2 * pad
    font = filter_value(str(font_path()))
    chain = []
    for i, ov in enumerate(overlays):
        lines = wrap_text(ov.text, max_px, size)
        if not lines:
            continue
        tf = Path(text_dir) / f"caption-{i}.txt"
        tf.write_text("\n".join(lines), encoding="utf-8")
        lo = (2 * ov.start - 1) / (2 * fps)
        hi = (2 * ov.end - 1) / (2 * fps)
        opts = [
            f"fontfile={font}",
            f"textfile={filter_value(str(tf))}",
            "expansion=none",
            "text_shaping=1",
            f"fontsize={size}",
            f"fontcolor={style.color}",
            f"line_spacing={spacing}",
            "text_align=C",
            "box=1",
            f"boxcolor={style.box_color}",
            f"boxborderw={pad}",
            "x=(w-text_w)/2",
            f"y=h-text_h-{margin + pad}",
            f"enable={filter_value(f'between(t,{lo:.6f},{hi:.6f})')}",
        ]
        chain.append("drawtext=" + ":".join(opts))
    return ",".join(chain) if chain else "null"
