"""How each kind of node is made: provider jobs and the local operations of the stitch.

:func:`make` takes a node and the paths of its inputs' artifacts, writes the node's artifact
into a temp file and returns an :class:`Outcome`; the runner verifies it and puts it in the store.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import ArtifactError, StoryrenderError
from ..graph.kinds import KINDS
from ..graph.nodes import Node
from ..graph.spec import JobSpec
from ..media.check import truncation
from ..media.probe import image_size, probe
from ..providers.base import (
    AudioRequest,
    ImageRequest,
    Job,
    KeyframeRequest,
    Provider,
    RunContext,
    SpeechRequest,
    StoryRequest,
    VideoRequest,
)

__all__ = ["Outcome", "make", "suffix_for", "verify", "request_for", "OPERATIONS"]

@dataclass
class Outcome:
    """A made artifact, before it is stored."""

    path: Path
    cost: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


def suffix_for(node: Node) -> str:
    """The artifact suffix of *node* (the kinds table's, or the export format's)."""
    suffix = KINDS[node.kind].suffix
    return suffix if suffix is not None else "." + node.spec.params["format"]


def make(node: Node, inputs: list[Path], tmp: Path, *, providers: Mapping[str, Provider],
         log: Callable[[str], None], cancelled: Callable[[], bool], journal: Any = None,
         charge: Callable[[], None] | None = None) -> Outcome:
    """Make *node*'s artifact at a path under *tmp* (a private temp folder)."""
    out = tmp / f"out{suffix_for(node)}"
    if KINDS[node.kind].provider:
        return _provider_job(node, inputs, out, providers, log, cancelled, journal, charge)
    operation = OPERATIONS.get(node.kind)
    if operation is None:
        raise StoryrenderError(f"unknown node kind {node.kind!r}")
    return operation(node, inputs, out, tmp, log)


def request_for(spec: JobSpec, inputs: list[Path]) -> Any:
    """The request a provider receives for *spec* (the one place it is built: everything in it
    comes from the spec, whose identity is the node's key, or from the input artifacts)."""
    job = Job(spec.job)
    options = dict(spec.options)
    if job is Job.WRITE_STORY:
        h = spec.identity()["hints"]  # plain JSON data (the spec keeps read-only mappings)
        return StoryRequest(model=spec.model, premise=spec.prompt, style=spec.text, beats=tuple(h["beats"]),
                            width=spec.width, height=spec.height, schema=h["schema"],
                            instructions=h["instructions"], system=h.get("system", ""), options=options,
                            take=spec.take)
    if job is Job.SPEECH:
        return SpeechRequest(model=spec.model, text=spec.text, seed=spec.seed, voice=spec.voice, options=options,
                             take=spec.take)
    if job in (Job.MUSIC, Job.SOUND):
        return AudioRequest(model=spec.model, prompt=spec.prompt, seconds=spec.seconds, seed=spec.seed,
                            options=options, take=spec.take)
    # the character references are the last inputs: each fitted to the frame (a file node)
    inputs, references = (inputs[:-len(spec.references)], inputs[-len(spec.references):]) if spec.references \
        else (inputs, [])
    common = dict(model=spec.model, prompt=spec.prompt, seed=spec.seed, width=spec.width, height=spec.height,
                  options=options, negative_prompt=spec.negative_prompt,
                  references=tuple(references), hints=dict(spec.hints),
                  take=spec.take, camera=spec.camera)
    if job is Job.TEXT_TO_IMAGE:
        return ImageRequest(**common)
    if job is Job.NEXT_KEYFRAME:
        return KeyframeRequest(**common, previous=inputs[0], seconds=spec.seconds)
    return VideoRequest(**common, first=inputs[0], last=inputs[1] if len(inputs) > 1 else None,
                        seconds=spec.seconds, fps=spec.fps or 24)


def _provider_job(node: Node, inputs: list[Path], out: Path, providers: Mapping[str, Provider],
                  log: Callable[[str], None], cancelled: Callable[[], bool], journal: Any,
                  charge: Callable[[], None] | None) -> Outcome:
    spec = node.spec
    assert isinstance(spec, JobSpec)
    provider = providers[node.provider]
    ctx = RunContext(out, log=log, cancelled=cancelled, work_dir=out.parent, call=node.call, journal=journal,
                     charge=charge)
    result = provider.run(Job(spec.job), request_for(spec, inputs), ctx)
    path = Path(result.path)
    if path != out:
        shutil.move(str(path), out)
    return Outcome(out, cost=result.cost_usd, info=dict(result.info))


def _file(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    fit = node.spec.params.get("fit")
    if not fit:
        shutil.copyfile(node.spec.file(), out)
        return Outcome(out)
    from PIL import Image

    from ..media.fit import fit_image, flatten

    # a pinned keyframe is fitted to the board's frame as output.fit says, so every provider (and the
    # animatic) gets the same framing the stitch would give a clip
    with Image.open(node.spec.file()) as im:
        im.load()
        fitted = fit_image(flatten(im), node.spec.params["width"], node.spec.params["height"], fit)
    fitted.save(out, format="PNG")
    return Outcome(out)


def _lastframe(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from PIL import Image

    from ..media.probe import read_frames

    last = None
    for last in read_frames(inputs[0]):
        pass
    if last is None:
        raise ArtifactError("segment has no frames")
    Image.fromarray(last).save(out, format="PNG")
    return Outcome(out)


def verify(node: Node, path: Path) -> dict[str, Any]:
    """Check a made artifact decodes and has the expected shape; return facts for its record.

    :raises ArtifactError: for a corrupt, truncated or wrong-sized artifact (never stored).
    """
    if not path.exists() or path.stat().st_size == 0:
        raise ArtifactError(f"{node.label}: empty artifact")
    cut = truncation(path)
    if cut:
        raise ArtifactError(f"{node.label}: the file is truncated ({cut}); an interrupted download?")
    suffix = path.suffix
    if suffix == ".png":
        w, h = image_size(path)
        return {"width": w, "height": h}
    if suffix in (".mp4", ".webm"):
        info = probe(path)
        if info.frames < 1:
            raise ArtifactError(f"{node.label}: the video has no frames")
        if node.kind == "segment":
            seconds = float(node.spec.seconds)
            if info.duration < 0.25 * seconds:
                raise ArtifactError(f"{node.label}: the video lasts {info.duration:.2f} s, expected about {seconds:g} s")
        return {k: v for k, v in info.as_dict().items()}
    if suffix in (".wav", ".m4a"):
        return _audio_facts(path)
    return {}


def _audio_facts(path: Path) -> dict[str, Any]:
    import av

    try:
        with av.open(str(path)) as c:
            a = next(s for s in c.streams if s.type == "audio")
            dur = float(a.duration * a.time_base) if a.duration is not None else (c.duration or 0) / 1e6
            return {"audio_duration": dur, "audio_rate": a.rate}
    except Exception as exc:
        raise ArtifactError(f"{path.name}: not a readable audio file ({exc.__class__.__name__})") from None


# ---- stitch operations ------------------------------------------------------------------------------------------


def _settings(node: Node):
    from ..stitch import EncodeSettings

    e = node.spec.params["encode"]
    return EncodeSettings(e["width"], e["height"], e["fps"], quality=e["quality"], fit=e["fit"])


def _piece(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..stitch import Overlay, PieceSpec, encode_piece

    spec = node.spec.params["piece"]
    piece = PieceSpec(spec["kind"], tuple(spec["beats"]), spec["start"], spec["end"], spec["transition"],
                      spec["frames"], spec["out_start"], tuple(spec["beat_frames"]))
    overlays = [Overlay(o["text"], o["start"], o["end"]) for o in node.spec.params["overlays"]]
    encode_piece(piece, [(p, probe(p)) for p in inputs], out, _settings(node), overlays=overlays)
    return Outcome(out)


def _audio(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..stitch import Transition
    from ..stitch.audio import MusicBed, SoundCue, render_audio

    p = node.spec.params
    n_beats = len(p["beat_frames"])
    segments = inputs[:n_beats]
    rest = iter(inputs[n_beats:])  # speech, then sound effects, then a generated music bed
    voices = [next(rest) if has else None for has in p["voice"]]
    sounds = [SoundCue(str(next(rest)), s["at"], s["volume"]) if s else None for s in p.get("sound") or ()]
    keep = p.get("keep") or [False] * n_beats
    music = None
    if p["music"]:
        m = p["music"]
        path = node.spec.file() if node.spec.files else str(next(rest))
        music = MusicBed(path, m["volume"], m["fade_in"], m["fade_out"], m.get("duck", 1.0))
    result = render_audio(
        [(s, probe(s)) if kept else None for s, kept in zip(segments, keep)], p["beat_frames"],
        [Transition(n, f) for n, f in p["transitions"]], p["fps"], out, voices=voices, music=music,
        loudness=p["loudness"], voice_volume=p["voice_volume"], sounds=sounds,
    )
    for w in result.warnings:
        log(w)
    return Outcome(out, info={"warnings": list(result.warnings), "has_sound": result.has_sound})


def _final(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..stitch import Cue, concat_pieces, write_ass, write_srt

    p = node.spec.params
    pieces, audio = inputs[:-1], inputs[-1]
    subs = None
    if p["soft_subtitles"]:
        cues = [Cue(c["start"], c["end"], c["text"]) for c in p["soft_subtitles"]]
        subs = write_ass(cues, tmp / "soft.ass") if p.get("subtitles") == "ass" else write_srt(cues, tmp / "soft.srt")
    concat_pieces(pieces, out, audio=audio, subtitles=subs, subtitle_language=p.get("subtitle_language", "und"))
    return Outcome(out)


def _export(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..plugins.manager import installed
    from ..stitch import Cue
    from ..stitch.exporters import ExportRequest

    p = node.spec.params
    exporter = installed().exporters.get(p["format"])
    if exporter is None:
        raise StoryrenderError(f"unknown export format {p['format']!r}: no installed plugin writes it")
    cues = tuple(Cue(c["start"], c["end"], c["text"]) for c in p["soft_subtitles"]) if p.get("subtitles") else ()
    exporter.write(ExportRequest(inputs[0], out, tmp, p.get("settings") or {}, cues,
                                 p.get("subtitle_language", "und")))
    return Outcome(out)


def _colormatch(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..media.colormatch import color_match

    info = color_match(inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None, out,
                       method=node.spec.params["method"])
    return Outcome(out, info=info)


def _trim(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..media.clipops import trim_clip

    p = node.spec.params
    return Outcome(out, info=trim_clip(inputs[0], p["start"], p["end"], out))


def _retime(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..media.clipops import retime_clip
    from ..providers.local.motion import interpolate

    return Outcome(out, info=retime_clip(inputs[0], node.spec.params["fps"], out, interpolate))


def _join(node: Node, inputs: list[Path], out: Path, tmp: Path, log: Callable[[str], None]) -> Outcome:
    from ..media.clipops import join_clips

    return Outcome(out, info=join_clips(inputs[node.spec.params["keyframes"]:], out))


#: the local operation of each non-provider kind: ``(node, inputs, out, tmp, log) -> Outcome``
OPERATIONS: dict[str, Callable[..., Outcome]] = {
    "file": _file, "lastframe": _lastframe, "piece": _piece, "audio": _audio, "final": _final, "export": _export,
    "colormatch": _colormatch, "trim": _trim, "retime": _retime, "join": _join,
}
