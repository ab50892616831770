"""Stitching: turn per-beat clips into the final video, piece by piece.

Pure planning (:mod:`.timeline`) says which frames of which clip go into which piece; thin runners encode one piece
(:mod:`.encode`), render the whole audio track (:mod:`.audio`), join the pieces and export other formats
(:mod:`.final`).  Captions are in :mod:`.captions`.
"""

from .timeline import (
    TRANSITIONS,
    XFADE_TRANSITIONS,
    BeatTime,
    PieceSpec,
    Transition,
    cue_times,
    frames_for_seconds,
    plan_pieces,
    total_frames,
)
from .captions import CaptionStyle, Cue, Overlay, overlays_for_piece, write_ass, write_srt, write_vtt
from .encode import (
    RECIPE_VERSION,
    ConformSpec,
    EncodeSettings,
    conform_filter,
    conform_spec,
    encode_piece,
    x264_args,
)
from .audio import AudioResult, MusicBed, audio_duration, render_audio
from .final import concat_pieces, export_gif, export_webm

__all__ = [
    "TRANSITIONS",
    "XFADE_TRANSITIONS",
    "BeatTime",
    "PieceSpec",
    "Transition",
    "cue_times",
    "frames_for_seconds",
    "plan_pieces",
    "total_frames",
    "CaptionStyle",
    "Cue",
    "Overlay",
    "overlays_for_piece",
    "write_srt",
    "write_vtt",
    "write_ass",
    "RECIPE_VERSION",
    "ConformSpec",
    "EncodeSettings",
    "conform_filter",
    "conform_spec",
    "encode_piece",
    "AudioResult",
    "MusicBed",
    "audio_duration",
    "render_audio",
    "x264_args",
    "concat_pieces",
    "export_gif",
    "export_webm",
]
