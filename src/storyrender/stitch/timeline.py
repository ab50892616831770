"""The stitch timeline: which frames of which clip land where, as pure data.

Model (fixed): beat ``k`` has a clip with at least ``n_k + 1`` frames at the board fps; ``n_k`` and the transition
lengths come from :func:`frame_exact`, which puts every cut and transition on the frame nearest its running time.  Frame 0 of the clip is its start keyframe and frame ``n_k`` its end keyframe, which is also the next clip's
frame 0 at a seamless join, so a beat *contributes* frames ``[0, n_k)`` of its clip.  A transition into beat
``k + 1`` of ``T`` frames (0 for ``cut``) overlaps the two clips:

* junction ``k`` = xfade(clip ``k`` frames ``[n_k - T, n_k)``, clip ``k + 1`` frames ``[0, T)``), ``T`` frames;
* body ``k`` = clip ``k`` frames ``[T_in_k, n_k - T_out_k)``.

The output has ``sum(n_k) - sum(T)`` frames.  Each piece is encoded on its own and the pieces are joined by stream
copy, so changing one clip re-encodes only its body and its two junctions.

Everything here is pure and returns frozen, JSON-serialisable dataclasses meant to be put into cache keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from ..frames import Transition, frame_exact, frames_for_seconds  # frame arithmetic, shared with the board model
from ..vocabulary import TRANSITIONS, XFADE_TRANSITIONS  # the names, defined once; re-exported here

__all__ = [
    "XFADE_TRANSITIONS",
    "TRANSITIONS",
    "Transition",
    "PieceSpec",
    "BeatTime",
    "plan_pieces",
    "cue_times",
    "total_frames",
    "frames_for_seconds",
    "frame_exact",
]


@dataclass(frozen=True)
class PieceSpec:
    """One independently encoded piece of the final video.

    * ``kind == "body"``: ``beats == (k,)``; frames ``[start, end)`` of clip ``k``.
    * ``kind == "junction"``: ``beats == (k, k + 1)``; xfade of clip ``k`` frames ``[start, end)`` into clip
      ``k + 1`` frames ``[0, frames)``; ``transition`` is the xfade name.

    ``beat_frames`` holds, for each beat in ``beats``, the frames its clip is retimed to span: ``n`` (the clip's
    end keyframe is the next clip's first frame), or ``n - 1`` for the last beat when the video ends on its end
    keyframe (see :func:`plan_pieces`).
    ``out_start`` is the piece's first frame in the final timeline; it is not needed to encode the piece (see
    :meth:`key`), only to place captions.
    """

    kind: Literal["body", "junction"]
    beats: tuple[int, ...]
    start: int
    end: int
    transition: str | None
    frames: int
    out_start: int
    beat_frames: tuple[int, ...] = ()

    @property
    def out_end(self) -> int:
        """One past the piece's last frame in the final timeline."""
        return self.out_start + self.frames

    def key(self) -> dict:
        """What the encoded piece depends on, besides its input clips, settings and overlays.

        Leaves out ``beats`` and ``out_start`` so that inserting or lengthening an earlier beat does not
        invalidate pieces whose content is unchanged.
        """
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "transition": self.transition,
            "frames": self.frames,
            "beat_frames": list(self.beat_frames),
        }

    def as_dict(self) -> dict:
        d = dict(self.__dict__)  # the fields are plain values
        d["beats"] = list(self.beats)
        d["beat_frames"] = list(self.beat_frames)
        return d


def _check(clip_frames: Sequence[int], transitions: Sequence[Transition]) -> list[int]:
    n = [int(x) for x in clip_frames]
    if not n:
        raise ValueError("a timeline needs at least one beat")
    if len(transitions) != len(n) - 1:
        raise ValueError(f"{len(n)} beats need {len(n) - 1} transitions, got {len(transitions)}")
    for k, nk in enumerate(n):
        if nk < 1:
            raise ValueError(f"beat {k + 1} is shorter than one frame ({nk} frames)")
    for k, nk in enumerate(n):
        t_in = transitions[k - 1].frames if k > 0 else 0
        t_out = transitions[k].frames if k < len(n) - 1 else 0
        if t_in + t_out > nk:
            parts = []
            if t_in:
                parts.append(f"{t_in} frames of '{transitions[k - 1].name}' in")
            if t_out:
                parts.append(f"{t_out} frames of '{transitions[k].name}' out")
            raise ValueError(
                f"beat {k + 1} lasts {nk} frames but its transitions need {t_in + t_out} "
                f"({' + '.join(parts)}); shorten the transitions or lengthen the beat"
            )
    return n


def total_frames(clip_frames: Sequence[int], transitions: Sequence[Transition]) -> int:
    """Frames in the final video: ``sum(n) - sum(T)``."""
    n = _check(clip_frames, transitions)
    return sum(n) - sum(t.frames for t in transitions)


def plan_pieces(clip_frames: Sequence[int], transitions: Sequence[Transition], *,
                end_on_keyframe: bool = False) -> list[PieceSpec]:
    """The pieces of the final video, in output order.

    :param clip_frames: ``n_k`` for each beat (frames the beat lasts, not counting its end keyframe).
    :param transitions: ``transitions[k]`` is the transition into beat ``k + 1``; ``len(clip_frames) - 1`` items.
    :param end_on_keyframe: retime the last clip to ``n - 1`` frames so that the video's last frame is its end
        keyframe (the board's final panel or pinned ``end_image``) rather than the frame before it.
    :raises ValueError: when a beat is shorter than its transitions (``T_in + T_out > n``).

    Bodies with no frames left (a beat entirely covered by its transitions) are left out; ``cut`` makes no
    junction.
    """
    n = _check(clip_frames, transitions)
    # With end_on_keyframe the last clip is retimed to end one frame early, so its end keyframe (a pinned end card)
    # is the video's last frame instead of falling just after it; every other clip's end keyframe is the next
    # clip's frame 0.
    span = n[:-1] + [max(1, n[-1] - 1) if end_on_keyframe else n[-1]]
    pieces: list[PieceSpec] = []
    pos = 0
    for k, nk in enumerate(n):
        t_in = transitions[k - 1].frames if k > 0 else 0
        t_out = transitions[k].frames if k < len(n) - 1 else 0
        body = nk - t_in - t_out
        if body > 0:
            pieces.append(PieceSpec("body", (k,), t_in, nk - t_out, None, body, pos, (span[k],)))
            pos += body
        if t_out:
            tr = transitions[k]
            pieces.append(PieceSpec("junction", (k, k + 1), nk - t_out, nk, tr.name, t_out, pos,
                                    (span[k], span[k + 1])))
            pos += t_out
    return pieces


@dataclass(frozen=True)
class BeatTime:
    """Where a beat sits in the output timeline, in seconds.

    ``start``/``end`` tile the timeline with no overlap: a transition is split at its middle frame (use these for
    captions, voice-over and sidecars).  ``enter``/``leave`` are the whole span in which any frame of the beat's
    clip is visible (they overlap the neighbours by the transitions).
    """

    beat: int
    start: float
    end: float
    enter: float
    leave: float
    start_frame: int
    end_frame: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)  # the fields are plain values


def cue_times(clip_frames: Sequence[int], transitions: Sequence[Transition], fps: int) -> list[BeatTime]:
    """Each beat's place in the output timeline (see :class:`BeatTime`)."""
    n = _check(clip_frames, transitions)
    out: list[BeatTime] = []
    enter = 0
    for k, nk in enumerate(n):
        t_in = transitions[k - 1].frames if k > 0 else 0
        t_out = transitions[k].frames if k < len(n) - 1 else 0
        leave = enter + nk
        start_f = enter + t_in // 2
        end_f = leave - t_out + t_out // 2
        out.append(BeatTime(k, start_f / fps, end_f / fps, enter / fps, leave / fps, start_f, end_f))
        enter = leave - t_out
    return out
