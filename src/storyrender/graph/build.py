"""Board + provider choices -> render graph.

keyframes mode, N beats: keyframe 0 (text-to-image from beat 1, or beat 1's pinned
``start_image``), keyframe k (next-keyframe from keyframe k-1 and beat k, or beat k's pinned
``end_image``), segment k from beat k's start and end keyframes. With ``keyframes: anchored``
keyframe k is made from keyframe 0 (or beat k's pinned ``start_image``) instead of keyframe
k-1, so the keyframes after the first do not wait for each other. A beat's start is its pinned
``start_image`` if any, else the previous beat's end. extend mode: segment 1 starts from
keyframe 0; segment k starts from the last frame of segment k-1.

The stitch: one ``piece`` node per body and junction (see :mod:`storyrender.stitch.timeline`),
a ``speech`` node per ``say:`` line, a ``sound`` node per ``sound:`` effect, a ``music`` node for a
music prompt, one ``audio`` node mixing them with the segments' kept sound for the whole track, one ``final`` node joining them, and an ``export``
node per extra format.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..cache.keys import file_digest
from ..spec.lengths import split_seconds
from ..spec.model import Beat, Board
from ..stitch import timeline
from ..text import find_name
from ..stitch.encode import RECIPE_VERSION
from .clips import post_segment
from .nodes import Graph, Node
from .spec import FileRef, JobSpec, OpSpec, vendor_seed

if TYPE_CHECKING:  # choices are made by the resolver above this layer and handed in as data
    from ..providers.resolve import Choice, Resolution

__all__ = ["build_graph", "resolved_prompt", "STITCH_VERSION"]

#: bump when the stitch's output changes for the same inputs (part of stitch node keys)
STITCH_VERSION = 2


def resolved_prompt(board: Board, beat: Beat) -> str:
    """The beat's prompt with its characters' descriptions and the board's style."""
    parts = [beat.prompt.strip()]
    for name in beat.characters:
        ch = board.characters.get(name)
        if ch:
            # the name as the prompt writes it ("Mia" for the character key "mia")
            found = find_name(name, beat.prompt)
            shown = found.group(0) if found else name
            desc = ch.description.strip()
            joiner = " is " if desc.lower().startswith(("a ", "an ", "the ")) else ": "
            parts.append(f"{shown}{joiner}{desc}")
    if board.style.strip():
        parts.append(board.style.strip())
    return ". ".join(p.rstrip(".") for p in parts if p)


def _timecode(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:02d}:{s:02d}"


#: choice -> what its nodes share, for the graph being built (emptied when the next one starts)
_SHARED: dict[int, tuple[Choice, dict[str, Any]]] = {}


def _shared(choice: Choice) -> dict[str, Any]:
    """What every node of *choice* has in common, worked out once per choice (a board has hundreds of
    nodes and a few choices; a choice is immutable)."""
    hit = _SHARED.get(id(choice))
    if hit is None or hit[0] is not choice:
        facts = {"reads": choice.provider.reads_for(choice.job, choice.model), "version": choice.version,
                 "options": choice.identity_options, "call": choice.call_options,
                 "pricing": {"price_override": choice.price_override, "price_unknown": choice.price_unknown,
                             "model_label": choice.label}}
        hit = _SHARED[id(choice)] = (choice, facts)
    return hit[1]


def _job_spec(board: Board, beat: Beat, choice: Choice, *, prompt: str = "", seconds: float | None = None,
              fps: int | None = None, take: int = 1, camera: str = "", hints: dict | None = None,
              text: str = "", voice: str = "") -> JobSpec:
    """The request *choice*'s provider gets: the fields it does not read are left empty."""
    shared = _shared(choice)
    reads = shared["reads"]
    references: tuple[FileRef, ...] = ()
    if "references" in reads:
        references = tuple(FileRef(str(board.characters[n].image), file_digest(board.characters[n].image))
                           for n in beat.characters if n in board.characters and board.characters[n].image)
    return JobSpec(
        job=choice.job.value, provider=choice.name, model=choice.model.name, version=shared["version"],
        width=board.output.width, height=board.output.height, prompt=prompt,
        negative_prompt=beat.negative_prompt if "negative_prompt" in reads else "",
        seed=vendor_seed(beat.seed, take) if "seed" in reads else None, take=take,
        camera=(camera or "") if "camera" in reads else "", seconds=seconds,
        fps=fps if "fps" in reads else None, text=text, voice=voice,
        options=shared["options"], hints=(hints or {}) if "hints" in reads else {},
        references=references,
    )


def build_graph(board: Board, resolution: Resolution) -> Graph:
    """Build the render graph of *board* (pure: reads only pinned files, to hash them)."""
    _SHARED.clear()
    g = Graph()
    fps = board.output.fps

    def provider_node(kind: str, role: str, beat: Beat, choice: Choice, spec: JobSpec, inputs: tuple,
                      label: str, seconds: float | None = None) -> str:
        # character references reach the provider fitted to the frame as output.fit says (after the other inputs)
        inputs = tuple(inputs) + tuple(reference(ref) for ref in spec.references)
        shared = _shared(choice)
        return g.add(Node(kind, spec, inputs, role=role, beat=beat.index, beat_id=beat.id, label=label,
                          provider=choice.name, estimate=choice.estimate(seconds), call=shared["call"],
                          pricing=shared["pricing"]))

    fit = {"fit": board.output.fit, "width": board.output.width, "height": board.output.height}

    def pinned(path, role: str, beat: Beat, label: str) -> str:
        return g.add(Node("file", OpSpec({"suffix": ".png", **fit}, (FileRef(str(path), file_digest(path)),)), (),
                          role=role, beat=beat.index, beat_id=beat.id, label=label))

    names = {str(c.image): c.name for c in board.characters.values() if c.image}

    def reference(ref: FileRef) -> str:
        name = names.get(ref.path, "?")
        return g.add(Node("file", OpSpec({"suffix": ".png", **fit}, (ref,)), (), role=f"reference:{name}",
                          label=f"reference image of {name}"))

    t = 0.0
    segments: list[str] = []
    clips: list[str] = []  # what the stitch uses: each segment after its continuity repairs
    keyframes: list[dict] = []  # the keyframes the video passes through, for drift (continuity)
    prev_end: str | None = None
    anchor: str | None = None
    inner: dict[int, list[int]] = {}  # beat (0-based) -> clip frames where its model-sized clips meet
    for beat in board.beats:
        prompt = resolved_prompt(board, beat)
        # ---- the beat's start
        if beat.start_image is not None:
            start = pinned(beat.start_image, f"start:{beat.id}", beat, f"beat {beat.index} start (pinned)")
        elif beat.index == 1:
            ch = resolution.get("image", beat)
            spec = _job_spec(board, beat, ch, prompt=prompt, camera=beat.camera,
                             hints={"label": "beat 1 · start", "timecode": _timecode(0)})
            start = provider_node("image", "keyframe:0", beat, ch, spec, (), "keyframe 0")
        elif board.mode == "extend":
            start = g.add(Node("lastframe", OpSpec({"suffix": ".png"}), (clips[-1],), role=f"lastframe:{beat.id}",
                               beat=beat.index - 1, label=f"last frame of segment {beat.index - 1}"))
        else:
            start = prev_end
        if beat.index == 1:
            anchor = start
        if beat.index == 1 or board.mode == "extend":
            keyframes.append({"index": beat.index - 1, "beat": max(1, beat.index - 1), "key": start,
                              "characters": list(beat.characters)})
        # ---- the beat's end and its segment
        hints = {"label": f"beat {beat.index}", "timecode": _timecode(t + beat.seconds)}
        vch = resolution.get("video", beat)
        seg_spec = _job_spec(board, beat, vch, prompt=prompt, seconds=beat.seconds, fps=fps, take=beat.take,
                             camera=beat.camera, hints=hints)
        # a beat longer than the model's longest clip: clips it can make, through intermediate
        # keyframes (keyframes mode) or last frames (extend mode), joined into the beat's clip
        parts = split_seconds(beat.seconds, vch.model.limits.durations) or (beat.seconds,)
        stops, subs, tt = [start], [], t
        for j, secs in enumerate(parts, 1):
            if len(parts) == 1:
                break
            tt += secs
            h = {"label": f"beat {beat.index}.{j}", "timecode": _timecode(tt)}
            if j > 1 and board.mode == "extend":
                stops.append(g.add(Node("lastframe", OpSpec({"suffix": ".png"}), (subs[-1],),
                                        role=f"lastframe:{beat.id}.{j}", beat=beat.index, beat_id=beat.id,
                                        label=f"last frame of segment {beat.index}.{j - 1}")))
            elif j < len(parts) and board.mode == "keyframes":
                kch = resolution.get("keyframe", beat)
                spec = _job_spec(board, beat, kch, prompt=prompt, seconds=secs, camera=beat.camera, hints=h)
                stops.append(provider_node("keyframe", f"keyframe:{beat.id}.{j}", beat, kch, spec, (stops[-1],),
                                           f"keyframe {beat.index}.{j}"))
            if board.mode == "keyframes" and j == len(parts):
                break  # the last clip ends on the beat's end keyframe, made below
            spec = _job_spec(board, beat, vch, prompt=prompt, seconds=secs, fps=fps, take=beat.take,
                             camera=beat.camera, hints=h)
            ends = (stops[j - 1], stops[j]) if board.mode == "keyframes" else (stops[j - 1],)
            subs.append(provider_node("segment", f"segment:{beat.id}.{j}", beat, vch, spec, ends,
                                      f"segment {beat.index}.{j}", seconds=secs))
        if board.mode == "keyframes":
            if beat.end_image is not None:
                end = pinned(beat.end_image, f"keyframe:{beat.id}", beat, f"keyframe {beat.index} (pinned)")
            else:
                kch = resolution.get("keyframe", beat)
                spec = _job_spec(board, beat, kch, prompt=prompt, seconds=parts[-1], camera=beat.camera,
                                 hints=hints)
                # anchored: from keyframe 0 (or the beat's own pinned start), not from keyframe k-1
                source = start if board.keyframes != "anchored" or beat.start_image is not None else anchor
                end = provider_node("keyframe", f"keyframe:{beat.id}", beat, kch, spec, (stops[-1] if subs else source,),
                                    f"keyframe {beat.index}")
            if subs:
                spec = _job_spec(board, beat, vch, prompt=prompt, seconds=parts[-1], fps=fps, take=beat.take,
                                 camera=beat.camera, hints=hints)
                subs.append(provider_node("segment", f"segment:{beat.id}.{len(parts)}", beat, vch, spec,
                                          (stops[-1], end), f"segment {beat.index}.{len(parts)}", seconds=parts[-1]))
                seg = g.add(Node("join", OpSpec({"keyframes": 2}), (start, end) + tuple(subs), role=f"segment:{beat.id}",
                                 beat=beat.index, beat_id=beat.id, label=f"segment {beat.index} ({len(subs)} clips)"))
            else:
                seg = provider_node("segment", f"segment:{beat.id}", beat, vch, seg_spec, (start, end),
                                    f"segment {beat.index}", seconds=beat.seconds)
            keyframes.append({"index": beat.index, "beat": beat.index, "key": end, "characters": list(beat.characters)})
            prev_end = end
        else:
            end = None
            if subs:
                seg = g.add(Node("join", OpSpec({"keyframes": 1}), (start,) + tuple(subs), role=f"segment:{beat.id}",
                                 beat=beat.index, beat_id=beat.id, label=f"segment {beat.index} ({len(subs)} clips)"))
            else:
                seg = provider_node("segment", f"segment:{beat.id}", beat, vch, seg_spec, (start,),
                                    f"segment {beat.index}", seconds=beat.seconds)
        if subs:
            inner.setdefault(beat.index - 1, [round(sum(parts[:j]) * fps) for j in range(1, len(parts))])
        segments.append(seg)
        clips.append(post_segment(g, board, beat, seg, start, end))
        # Storyboard time (the sum of the beats' lengths, as a script is timed): transitions
        # overlap beats in the video but do not move these marks, so editing one re-renders
        # no local panel.
        t += beat.seconds

    _add_stitch(g, board, resolution, segments, clips)
    g.info["keyframes"] = keyframes
    g.info["inner_joins"] = inner
    return g


def _add_stitch(g: Graph, board: Board, resolution: Resolution, segments: list[str], clips: list[str]) -> None:
    out = board.output
    fps = out.fps
    n, trans = timeline.frame_exact([b.shown_seconds for b in board.beats],
                                    [(b.transition.name, b.transition.seconds) for b in board.beats[1:]], fps)
    pieces = timeline.plan_pieces(n, trans, end_on_keyframe=True)  # the last panel (an end card) shows clean
    times = timeline.cue_times(n, trans, fps)
    encode = {"width": out.width, "height": out.height, "fps": fps, "quality": out.quality, "fit": out.fit,
              "stitch": STITCH_VERSION, "recipe": RECIPE_VERSION}
    cues = []
    for beat, bt in zip(board.beats, times):
        text = beat.caption_text(board.captions)
        if text:
            cues.append({"beat": beat.index, "start": bt.start, "end": bt.end,
                         "start_frame": bt.start_frame, "end_frame": bt.end_frame, "text": text})
    piece_keys = []
    for i, piece in enumerate(pieces):
        overlays = []
        if board.captions.burn:
            for cue in cues:
                a = max(cue["start_frame"], piece.out_start)
                b = min(cue["end_frame"], piece.out_end)
                if a < b:
                    overlays.append({"text": cue["text"], "start": a - piece.out_start, "end": b - piece.out_start})
        params = {"piece": piece.as_dict(), "encode": encode, "overlays": overlays}
        inputs = tuple(clips[k] for k in piece.beats)
        beat = board.beats[piece.beats[0]]
        role = f"{piece.kind}:{beat.id}" + (f">{board.beats[piece.beats[1]].id}" if piece.kind == "junction" else "")
        piece_keys.append(g.add(Node("piece", OpSpec(params), inputs, role=role, beat=beat.index, beat_id=beat.id,
                                     label=f"{piece.kind} {piece.beats[0] + 1}" +
                                           (f"-{piece.beats[1] + 1}" if piece.kind == "junction" else ""))))

    # ---- audio: speech and sound per beat, a music bed, then one track for the whole video
    def audio_node(kind: str, role: str, beat: Beat, ch: Choice, spec: JobSpec, label: str,
                   seconds: float | None) -> str:
        return g.add(Node(kind, spec, (), role=role, beat=beat.index, beat_id=beat.id, label=label, provider=ch.name,
                          estimate=ch.estimate(seconds), call=ch.call_options,
                          pricing={"price_override": ch.price_override, "price_unknown": ch.price_unknown,
                                   "model_label": ch.label}))

    voice_keys: list[str | None] = []
    sound_keys: list[str | None] = []
    overlong: list[str] = []
    for beat, bt in zip(board.beats, times):
        voice_keys.append(None)
        sound_keys.append(None)
        if beat.say:
            ch = resolution.get("voice", beat)
            spec = _job_spec(board, beat, ch, text=beat.say, voice=board.audio.voice_name)
            said = ch.provider.speech_seconds(beat.say, ch.options)
            voice_keys[-1] = audio_node("speech", f"speech:{beat.id}", beat, ch, spec, f"voice {beat.index}", said)
            room = bt.end - bt.start
            if said > room + 0.05:
                overlong.append(f"beat {beat.index} ({beat.id}): its say: line takes about {said:.1f} s to say "
                                f"({ch.label}), longer than the beat's {room:.2f} s: it runs on into the next beat; "
                                "shorten the line or lengthen the beat")
        if beat.sound is not None:
            ch = resolution.get("sound", beat)
            spec = _job_spec(board, beat, ch, prompt=beat.sound.prompt, seconds=beat.sound.seconds)
            sound_keys[-1] = audio_node("sound", f"sound:{beat.id}", beat, ch, spec, f"sound {beat.index}",
                                        beat.sound.seconds or min(beat.seconds, 5.0))
    music: dict[str, Any] | None = None
    music_files: tuple[FileRef, ...] = ()
    music_key: str | None = None
    if board.audio.music:
        m = board.audio.music
        music = {"volume": m.volume, "fade_in": m.fade_in, "fade_out": m.fade_out, "duck": m.duck}
        if m.path is not None:
            music_files = (FileRef(str(m.path), file_digest(m.path)),)
        else:
            first = board.beats[0]
            ch = resolution.get("music", first)
            # auto: the video's length, rounded up to a whole second (the mix trims it to the frame)
            seconds = m.seconds or float(math.ceil(timeline.total_frames(n, trans) / fps))
            spec = _job_spec(board, first, ch, prompt=m.prompt, seconds=seconds)
            music_key = audio_node("music", "music", first, ch, spec, "music", seconds)
    audio_params = {
        "beat_frames": n, "transitions": [[t.name, t.frames] for t in trans], "fps": fps,
        "voice": [k is not None for k in voice_keys], "voice_volume": board.audio.voice_volume,
        "music": music, "loudness": board.audio.loudness, "stitch": STITCH_VERSION,
    }
    # only when used, so boards without them keep their audio node's key
    if any(b.audio == "keep" for b in board.beats):
        audio_params["keep"] = [b.audio == "keep" for b in board.beats]
    if any(sound_keys):
        audio_params["sound"] = [{"at": b.sound.at, "volume": b.sound.volume} if k else None
                                 for b, k in zip(board.beats, sound_keys)]
    audio_inputs = (tuple(segments) + tuple(k for k in voice_keys if k) + tuple(k for k in sound_keys if k)
                    + ((music_key,) if music_key else ()))
    audio = g.add(Node("audio", OpSpec(audio_params, music_files), audio_inputs, role="audio", label="audio track"))

    soft = [{"start": c["start"], "end": c["end"], "text": c["text"]} for c in cues] if board.captions.soft else []
    final_params = {"pieces": len(piece_keys), "soft_subtitles": soft, "stitch": STITCH_VERSION}
    export_subs = {"soft_subtitles": soft}
    if soft:  # soft tracks keep text like <on>; their language is the board's
        final_params.update(subtitles="ass", subtitle_language=board.captions.language)
        export_subs.update(subtitles="vtt", subtitle_language=board.captions.language)
    final = g.add(Node("final", OpSpec(final_params),
                       tuple(piece_keys) + (audio,), role="final", label="final mp4"))
    g.targets["mp4"] = final
    for fmt in board.output.formats:
        if fmt == "mp4":
            continue
        version = resolution.exporters.get(fmt, "")
        k = g.add(Node("export", OpSpec({"format": fmt, "quality": out.quality, **export_subs,
                                         **({"exporter": version} if version else {}),
                                         **({"settings": out.export_settings(fmt)} if fmt in ("gif", "webm") else {}),
                                         "stitch": STITCH_VERSION}), (final,), role=f"export:{fmt}", label=f"{fmt} export"))
        g.targets[fmt] = k
    g.info.update({
        "beat_frames": n, "fps": fps, "cues": cues,
        "beat_times": [bt.as_dict() for bt in times], "pieces": [p.as_dict() for p in pieces],
        "segments": segments, "clips": clips, "warnings": overlong,
    })
