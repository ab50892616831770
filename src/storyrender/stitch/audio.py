"""Render the whole audio track of a video once (audio cannot be stream-copied piece by piece: AAC pads every
piece to 1024 samples and drifts at every seam).

Each beat's clip audio (when the clip has any) is placed where the beat's frames are in the output timeline and
faded in/out over the transitions, which is the same as ``acrossfade`` with the transitions' lengths (linear
curves) but stays one flat ``amix`` however many beats there are; beats with silent clips contribute silence.
Voice-over clips start at their beat's start, sound effects at their beat's start plus their offset, a music bed is
looped or trimmed to the video and ducked (its gain ramps down to ``duck`` while a voice speaks), then the mix is
loudness-normalised in two passes (``loudnorm`` I=-16, TP=-1.5 measured, then applied as a linear gain, then
``aresample=48000``; a silent track is left alone, as loudnorm turns silence into NaN; when every source is turned
down, the track is that much below the target, so volumes keep their effect) and padded/trimmed to exactly
the video's length in samples.  The result is AAC in an ``.m4a`` file, ready to be stream-copied into the final MP4.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from .. import children
from ..errors import StitchError
from ..media.ffmpeg import ffmpeg_exe, run_ffmpeg
from ..media.probe import MediaInfo
from ._filters import atomic_output
from .timeline import Transition, cue_times, total_frames

__all__ = ["MusicBed", "SoundCue", "AudioResult", "render_audio", "audio_duration", "SAMPLE_RATE"]

SAMPLE_RATE = 48000
#: Clip audio is time-stretched (``atempo``) only when the clip's retime differs from 1 by more than this.
RETIME_TOLERANCE = 0.02


@dataclass(frozen=True)
class MusicBed:
    """A music track under the whole video: looped or trimmed to its length, faded, at *volume*."""

    path: str
    volume: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    #: gain while a voice speaks (1: no ducking)
    duck: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SoundCue:
    """A sound effect placed *at* seconds after its beat's start, at *volume*."""

    path: str
    at: float = 0.0
    volume: float = 1.0

#: seconds over which ducked music ramps down before a voice and back up after it
DUCK_RAMP = 0.25


def _duck_filter(spans: Sequence[tuple[float, float]], level: float) -> str | None:
    """A ``volume`` filter whose gain ramps to *level* over each (start, end) voice span."""
    if level >= 1.0 or not spans:
        return None
    r = DUCK_RAMP
    terms = [f"clip(min((t-{a - r:.4f})/{r},({b + r:.4f}-t)/{r}),0,1)" for a, b in spans]
    amount = terms[0]
    for term in terms[1:]:
        amount = f"max({amount},{term})"
    return f"volume='1-{1.0 - level:.4f}*{amount}':eval=frame"


@dataclass(frozen=True)
class AudioResult:
    """What :func:`render_audio` wrote."""

    path: str
    duration: float
    samples: int
    sample_rate: int
    has_sound: bool
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d


def audio_duration(path: Path | str) -> float:
    """Seconds of the first audio stream of *path* (decoded when the container does not say)."""
    import av

    try:
        with av.open(str(path)) as c:
            a = next((s for s in c.streams if s.type == "audio"), None)
            if a is None:
                raise StitchError(f"{path}: no audio stream")
            if a.duration is not None and a.time_base is not None:
                return float(a.duration * a.time_base)
            if c.duration:
                return c.duration / 1_000_000
            samples = sum(fr.samples for fr in c.decode(a))
            return samples / (a.rate or SAMPLE_RATE)
    except StitchError:
        raise
    except Exception as exc:
        raise StitchError(f"{path}: not a readable audio file ({exc.__class__.__name__}: {exc})") from None


def _samples(frame: int, fps: int) -> int:
    return int(round(Fraction(frame * SAMPLE_RATE, fps)))


def _atempo(factor: float) -> list[str]:
    """``atempo`` filters for *factor* (each stage kept within 0.5 .. 2)."""
    out = []
    while factor > 2.0:
        out.append("atempo=2.0")
        factor /= 2.0
    while factor < 0.5:
        out.append("atempo=0.5")
        factor /= 0.5
    out.append(f"atempo={factor:.6f}")
    return out


_FMT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


def render_audio(clips: Sequence[tuple[Path, MediaInfo] | None], clip_frames: Sequence[int],
                 transitions: Sequence[Transition], fps: int, out: Path, *,
                 voices: Sequence[Path | str | None] = (), music: MusicBed | None = None,
                 loudness: bool | float = True, voice_volume: float = 1.0, bitrate: str = "192k",
                 sounds: Sequence[SoundCue | None] = ()) -> AudioResult:
    """Render the video's whole audio track to the AAC file *out* (``.m4a``).

    :param clips: per beat, ``(path, info)`` of its clip (``None`` or a clip without audio = silence).
    :param clip_frames: ``n_k`` per beat, as for :func:`~storyrender.stitch.timeline.plan_pieces`.
    :param transitions: as for :func:`~storyrender.stitch.timeline.plan_pieces`.
    :param voices: per beat, a speech file placed at the beat's start (``None`` for none); may be shorter.
    :param sounds: per beat, a sound effect placed at the beat's start plus its ``at`` (``None`` for none).
    :returns: facts about the track, with warnings (e.g. speech longer than its beat: it is not cut, it runs on).
    :raises StitchError: when ffmpeg fails.
    """
    n = [int(x) for x in clip_frames]
    if len(clips) != len(n):
        raise ValueError(f"{len(n)} beats but {len(clips)} clips")
    total = total_frames(n, transitions)
    total_samples = _samples(total, fps)
    duration = total / fps
    times = cue_times(n, transitions, fps)
    warnings: list[str] = []

    args: list[str] = ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
    chains = [f"[0:a]atrim=end_sample={total_samples}[base]"]
    mix = ["[base]"]
    levels: list[float] = []  # the board's volume of each source in the mix
    idx = 1
    enter = 0
    for k, nk in enumerate(n):
        t_in = transitions[k - 1].frames if k > 0 else 0
        t_out = transitions[k].frames if k < len(n) - 1 else 0
        clip = clips[k]
        if clip is not None and clip[1].has_audio:
            path, info = clip
            args += ["-vn", "-sn", "-dn", "-i", str(path)]
            span = n[k] / fps
            src_span = (info.frames - 1) / info.fps if info.fps and info.frames > 1 else span
            speed = span / src_span if src_span else 1.0
            f = [_FMT]
            if abs(speed - 1.0) > RETIME_TOLERANCE:
                f += _atempo(1.0 / speed)
            ns = _samples(nk, fps)
            f += ["apad", f"atrim=end_sample={ns}", "asetpts=PTS-STARTPTS"]
            if t_in:
                f.append(f"afade=t=in:start_sample=0:nb_samples={_samples(t_in, fps)}")
            if t_out:
                ts = _samples(t_out, fps)
                f.append(f"afade=t=out:start_sample={ns - ts}:nb_samples={ts}")
            off = _samples(enter, fps)
            if off:
                f.append(f"adelay=delays={off}S:all=1")
            chains.append(f"[{idx}:a]{','.join(f)}[b{k}]")
            mix.append(f"[b{k}]")
            levels.append(1.0)
            idx += 1
        enter += nk - t_out

    spans: list[tuple[float, float]] = []
    voice_list = list(voices) + [None] * (len(n) - len(voices))
    if len(voice_list) > len(n):
        raise ValueError(f"{len(n)} beats but {len(voices)} voice entries")
    for k, v in enumerate(voice_list):
        if v is None:
            continue
        bt = times[k]
        vd = audio_duration(v)
        spans.append((bt.start, bt.start + vd))
        room = bt.end - bt.start
        if vd > room + 1e-3:
            over = vd - room
            msg = f"beat {k + 1}: speech lasts {vd:.2f}s, {over:.2f}s longer than the beat ({room:.2f}s)"
            if bt.start + vd > duration + 1e-3:
                msg += f"; the last {bt.start + vd - duration:.2f}s are past the end of the video and are not heard"
            else:
                msg += "; it runs on into the next beat"
            warnings.append(msg)
        args += ["-vn", "-sn", "-dn", "-i", str(v)]
        off = _samples(bt.start_frame, fps)
        delay = f",adelay=delays={off}S:all=1" if off else ""
        gain = f",volume={float(voice_volume):.6f}" if voice_volume != 1.0 else ""
        chains.append(f"[{idx}:a]{_FMT},asetpts=PTS-STARTPTS{gain}{delay}[v{k}]")
        mix.append(f"[v{k}]")
        levels.append(float(voice_volume))
        idx += 1

    for k, cue in enumerate(sounds):
        if cue is None:
            continue
        args += ["-vn", "-sn", "-dn", "-i", str(cue.path)]
        off = _samples(times[k].start_frame, fps) + int(round(cue.at * SAMPLE_RATE))
        delay = f",adelay=delays={off}S:all=1" if off else ""
        chains.append(f"[{idx}:a]{_FMT},asetpts=PTS-STARTPTS,volume={float(cue.volume):.6f}{delay}[s{k}]")
        levels.append(float(cue.volume))
        mix.append(f"[s{k}]")
        idx += 1

    if music is not None:
        args += ["-stream_loop", "-1", "-vn", "-sn", "-dn", "-i", str(music.path)]
        f = [_FMT, f"atrim=end_sample={total_samples}", "asetpts=PTS-STARTPTS"]
        if music.fade_in > 0:
            f.append(f"afade=t=in:st=0:d={min(music.fade_in, duration):.6f}")
        if music.fade_out > 0:
            fo = min(music.fade_out, duration)
            f.append(f"afade=t=out:st={duration - fo:.6f}:d={fo:.6f}")
        f.append(f"volume={float(music.volume):.6f}")
        duck = _duck_filter(spans, music.duck)
        if duck:
            f.append(duck)
        chains.append(f"[{idx}:a]{','.join(f)}[music]")
        mix.append("[music]")
        levels.append(float(music.volume))
        idx += 1

    has_sound = len(mix) > 1
    mixer = (f"amix=inputs={len(mix)}:duration=first:normalize=0:dropout_transition=0" if len(mix) > 1 else "anull")
    chains.append("".join(mix) + mixer + f",{_FMT},apad,atrim=end_sample={total_samples}[out]")

    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="storyrender-audio-") as tmp, atomic_output(out) as part:
        mixed = Path(tmp) / "mix.wav"
        run_ffmpeg(args + ["-filter_complex", ";".join(chains), "-map", "[out]", "-vn", "-sn",
                           "-c:a", "pcm_f32le", str(mixed)], what="mixing the audio track")
        final = []
        if loudness and has_sound:
            target = DEFAULT_LUFS if loudness is True else float(loudness)
            measured = _measure_loudness(mixed, target)
            if measured is not None:
                final += [_loudnorm(measured, target), f"aresample={SAMPLE_RATE}"]
                # The target is for a mix whose loudest source is at full volume: a board that turns every
                # source down (music alone at 0.25) gets that much quieter, so its volumes stay audible.
                headroom = max(levels, default=1.0)
                if 0 < headroom < 1:
                    final.append(f"volume={headroom:.6f}")
        final += [_FMT, "apad", f"atrim=end_sample={total_samples}"]
        run_ffmpeg(["-i", str(mixed), "-af", ",".join(final), "-c:a", "aac", "-b:a", bitrate,
                    "-ar", str(SAMPLE_RATE), "-ac", "2", "-map_metadata", "-1", "-f", "ipod", str(part)],
                   what="encoding the audio track")
    return AudioResult(str(out), duration, total_samples, SAMPLE_RATE, has_sound, tuple(warnings))


#: integrated loudness target (LUFS) when the board sets none
DEFAULT_LUFS = -16.0


def _loudnorm_filter(target: float) -> str:
    return f"loudnorm=I={target:g}:TP=-1.5:LRA=11"

#: Below this integrated loudness (LUFS) a track is taken as silent and left alone (loudnorm would output NaN).
SILENCE_LUFS = -70.0


def _measure_loudness(path: Path, target: float = DEFAULT_LUFS) -> dict | None:
    """First loudnorm pass over *path*: its measurements, or ``None`` when the track is (near) silent."""
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
            "-af", f"{_loudnorm_filter(target)}:print_format=json", "-f", "null", "-"]
    proc = children.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise StitchError("measuring loudness failed: " + " | ".join(err.strip().splitlines()[-5:]))
    start = err.rfind("{")
    try:
        data = json.loads(err[start:err.rfind("}") + 1])
        values = {k: float(data[k]) for k in ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")}
    except (ValueError, KeyError) as exc:
        raise StitchError(f"measuring loudness: unreadable loudnorm report ({exc})") from None
    if not all(math.isfinite(v) for v in values.values()) or values["input_i"] < SILENCE_LUFS:
        return None
    return values


def _loudnorm(m: dict, target: float = DEFAULT_LUFS) -> str:
    """Second loudnorm pass: linear gain from the first pass's measurements."""
    return (f"{_loudnorm_filter(target)}:measured_I={m['input_i']:.2f}:measured_TP={m['input_tp']:.2f}:"
            f"measured_LRA={m['input_lra']:.2f}:measured_thresh={m['input_thresh']:.2f}:"
            f"offset={m['target_offset']:.2f}:linear=true")
