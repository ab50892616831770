"""Exporters: the other formats of the final video (``output.formats``), written from the joined MP4.

The built-in WebM and GIF exporters register through the ``register_exporters`` hook like any
plugin's. ``mp4`` is the joined video itself and is always offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..hooks import hookimpl
from .captions import Cue, write_vtt
from .final import export_gif, export_webm

__all__ = ["ExportRequest", "Exporter", "FINAL_FORMAT", "register_exporters"]

#: the format of the joined video itself, written whatever the exporters
FINAL_FORMAT = "mp4"


@dataclass(frozen=True)
class ExportRequest:
    """What an exporter receives: the final MP4, where to write, and the board's settings."""

    source: Path
    out: Path
    #: a private temporary folder for intermediate files
    tmp: Path
    #: the board's settings for this format (``output.gif``, ``output.webm``), empty otherwise
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: the soft subtitles (empty when the board has none) and their language
    cues: tuple[Cue, ...] = ()
    language: str = "und"


@dataclass(frozen=True)
class Exporter:
    """A format ``output.formats`` may name: *name* is also the file's suffix; *write* makes ``request.out``."""

    name: str
    write: Callable[[ExportRequest], None]
    description: str = ""
    #: part of the export's cache key: change it whenever *write* makes a different file from the same input,
    #: so boards re-export after an upgrade (the built-in ones follow the stitch version instead)
    version: str = ""


def _webm(request: ExportRequest) -> None:
    # escaped WebVTT, copied into the track as written
    subs = write_vtt(list(request.cues), request.tmp / "soft.vtt") if request.cues else None
    export_webm(request.source, request.out, subtitles=subs, subtitle_language=request.language,
                **({"crf": request.settings["crf"]} if "crf" in request.settings else {}))


def _gif(request: ExportRequest) -> None:
    export_gif(request.source, request.out, fps=request.settings.get("fps", 12),
               max_width=request.settings.get("width", 480))


@hookimpl
def register_exporters(register):
    register(Exporter("webm", _webm, "VP9 and Opus, soft subtitles as WebVTT (output.webm.crf)"))
    register(Exporter("gif", _gif, "an animated GIF, at most 480 wide (output.gif.fps, output.gif.width)"))
