"""Schema-valid data -> a :class:`~storyrender.spec.model.Board`, checking what the schema cannot."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import BoardError, BoardErrors
from ..text import find_name
from .checks import Checker
from .model import Audio, Beat, Board, Captions, Character, Music, Output, ProviderRef, Sound, Transition
from .paths import project_root
from .yamlpos import Pos, pointer

__all__ = ["build_board"]

MAX_PIXELS = 7680 * 4320
#: the most elongated frame a board may ask for (longer side : shorter side)
MAX_ASPECT = 4

#: a generated music bed fades in and out over these seconds unless the board says otherwise
GENERATED_MUSIC_FADES = (1.0, 2.0)
#: the music's gain under a voice, unless the board says otherwise (``duck: 1`` turns ducking off)
DEFAULT_DUCK = 0.35


def _music(c: Checker, m: Any, providers: dict[str, ProviderRef]) -> Music | None:
    """``audio.music``: a file, or a prompt for ``audio.music.provider`` (which becomes the
    ``music`` role of *providers*)."""
    if not m:
        return None
    if bool(m.get("path")) == bool(m.get("prompt")):
        c.fail("audio.music needs either path (a music file) or prompt (music made by a provider), not "
               + ("both" if m.get("path") else "neither"), "/audio/music",
               "Write path: music/bed.mp3, or prompt: calm piano, slow, warm.")
        return None
    seconds = m.get("seconds", "auto")
    common = dict(volume=float(m.get("volume", 1.0)), duck=float(m.get("duck", DEFAULT_DUCK)))
    if m.get("path"):
        if "provider" in m or "seconds" in m:
            c.fail("provider and seconds are for a music prompt, not a music file", "/audio/music",
                   "Remove them, or replace path with prompt.")
        mpath = c.audio(m["path"], "/audio/music/path")
        if mpath is None:
            return None
        return Music(mpath, fade_in=float(m.get("fade_in", 0)), fade_out=float(m.get("fade_out", 0)), **common)
    if "provider" in m:
        providers["music"] = c.provider(m["provider"], "/audio/music/provider")
    fade_in, fade_out = GENERATED_MUSIC_FADES
    return Music(None, fade_in=float(m.get("fade_in", fade_in)), fade_out=float(m.get("fade_out", fade_out)),
                 prompt=str(m["prompt"]), seconds=None if seconds == "auto" else float(seconds), **common)


def _trim(c: Checker, trim: Any, seconds: float, fps: int, ptr: str) -> tuple[float, float] | None:
    """A beat's ``trim:`` as (start, end) seconds of its clip, checked against the beat's length."""
    if not trim:
        return None
    start, end = float(trim.get("start", 0.0)), float(trim.get("end", seconds))
    if not 0 <= start < end <= seconds + 1e-9:
        c.fail(f"trim {start:g}..{end:g} s is not inside the beat's clip (0..{seconds:g} s)", ptr + "/trim",
               "Give 0 <= start < end <= the beat's seconds.")
        return None
    if round((end - start) * fps) < 2:
        c.fail(f"trim {start:g}..{end:g} s at {fps} fps is less than 2 frames", ptr + "/trim", "Keep more of the clip.")
        return None
    return (start, end)


def build_board(data: dict, positions: Mapping[str, Pos], source: Path, display: str, *,
                skip: frozenset[int] = frozenset(), problems: list[BoardError] | None = None) -> Board:
    """Turn schema-valid *data* into a :class:`Board`, checking what the schema cannot.

    The beats at indices *skip* are left out (they broke the schema). With *problems*, the errors
    are appended to it and the board is returned anyway (it is then only fit for further checks).
    """
    root = project_root(source.parent)
    c = Checker(data, positions, display, root)
    c.env_keys()

    out = data.get("output") or {}
    size = out.get("size", "1280x720")
    width, height = (int(x) for x in size.split("x"))
    if width % 2 or height % 2:
        c.fail(f"size {size} has an odd side", "/output/size", "Both width and height must be even (e.g. 1280x720).")
    if width < 16 or height < 16 or width * height > MAX_PIXELS:
        c.fail(f"size {size} is out of range", "/output/size", "Use between 16x16 and 7680x4320.")
    elif max(width, height) > MAX_ASPECT * min(width, height):
        c.fail(f"size {size} has an aspect ratio beyond {MAX_ASPECT}:1", "/output/size",
               f"Keep the longer side at most {MAX_ASPECT} times the shorter (16:9 is 1280x720, 9:16 720x1280).")
    fps = int(out.get("fps", 24))
    out_path_text = out.get("path") or f"out/{source.stem}.mp4"
    out_ptr = "/output/path" if "path" in out else ""
    out_path = c.output(out_path_text, out_ptr or "/output")
    if out_path is not None and out_path.exists() and out_path.is_dir():
        c.fail(f"output path {out_path_text!r} is a directory", out_ptr or "/output", "Name a file such as out/video.mp4.")
    if out_path is not None and out_path.suffix.lower() != ".mp4":
        c.fail(f"output path {out_path_text!r} must end in .mp4", out_ptr or "/output",
               "Other formats are written beside it: set output.formats.")
    output = Output(out_path or Path("out.mp4"), width, height, fps, tuple(out.get("formats", ["mp4"])),
                    out.get("quality", "standard"), out.get("fit", "pad"), out.get("retime", "duplicate"),
                    int((out.get("gif") or {}).get("fps", 0)), int((out.get("gif") or {}).get("width", 0)),
                    int((out.get("webm") or {}).get("crf", 33)))

    providers = {role: c.provider(v, f"/providers/{role}") for role, v in (data.get("providers") or {}).items()}

    characters = {}
    for name, ch in (data.get("characters") or {}).items():
        img = c.image(ch["image"], f"/characters/{pointer([name])[1:]}/image") if ch.get("image") else None
        characters[name] = Character(name, ch["description"], img)

    audio_d = data.get("audio") or {}
    music = _music(c, audio_d.get("music"), providers)
    voice_d = audio_d.get("voice") or {}
    audio = Audio(music, float(voice_d.get("volume", 1.0)), str(voice_d.get("name", "")),
                  False if audio_d.get("loudness", -16.0) is False else float(audio_d.get("loudness", -16.0)))
    cap_d = data.get("captions") or {}
    captions = Captions(bool(cap_d.get("burn", False)), tuple(cap_d.get("files", ())), bool(cap_d.get("soft", False)),
                        bool(cap_d.get("say", True)), str(cap_d.get("language", "und")))

    default_seconds = float(data.get("seconds", 5))
    default_seed = int(data.get("seed", 0))
    default_transition = c.transition(data["transition"], "/transition") if "transition" in data else Transition("cut")

    beats: list[Beat] = []
    ids: dict[str, int] = {}
    for i, b in enumerate(data["beats"]):
        if i in skip:
            continue
        ptr = f"/beats/{i}"
        bid = b.get("id") or f"beat-{i + 1}"
        if bid in ids:
            c.fail(f"beat id {bid!r} is used twice (beats {ids[bid]} and {i + 1})", ptr + ("/id" if "id" in b else ""),
                   "Give each beat a unique id.")
        ids[bid] = i + 1
        seconds = float(b.get("seconds", default_seconds))
        if round(seconds * fps) < 2:
            c.fail(f"{seconds:g} s at {fps} fps is less than 2 frames", ptr + ("/seconds" if "seconds" in b else ""),
                   "Make the beat longer.")
        trans = None
        if i > 0:
            trans = c.transition(b["transition"], ptr + "/transition") if "transition" in b else default_transition
        elif "transition" in b:
            c.fail("the first beat has no previous beat to transition from", ptr + "/transition",
                   "Remove transition from the first beat.")
        start = c.image(b["start_image"], ptr + "/start_image") if b.get("start_image") else None
        end = c.image(b["end_image"], ptr + "/end_image") if b.get("end_image") else None
        chars = tuple(b["characters"]) if "characters" in b else tuple(
            n for n in characters if find_name(n, b["prompt"]))
        for n in chars:
            if n not in characters:
                c.fail(f"character {n!r} is not defined", ptr + "/characters",
                       "Define it under characters: or remove it.")
        bprov = {role: c.provider(v, f"{ptr}/providers/{role}") for role, v in (b.get("providers") or {}).items()}
        sound = None
        if b.get("sound") is not None:
            s = b["sound"] if isinstance(b["sound"], dict) else {"prompt": b["sound"]}
            sound = Sound(s["prompt"], float(s["seconds"]) if s.get("seconds") is not None else None,
                          float(s.get("volume", 1.0)), float(s.get("at", 0.0)))
            if sound.at >= seconds:
                c.fail(f"the sound starts at {sound.at:g} s, after the beat ends ({seconds:g} s)", ptr + "/sound/at",
                       "Make at smaller than the beat's seconds.")
        beats.append(Beat(
            index=i + 1, id=bid, prompt=b["prompt"], seconds=seconds, seed=int(b.get("seed", default_seed)),
            take=int(b.get("take", 1)), negative_prompt=b.get("negative_prompt", data.get("negative_prompt", "")),
            transition=trans, caption=b.get("caption"), say=b.get("say"), camera=b.get("camera"),
            start_image=start, end_image=end, characters=chars, providers=MappingProxyType(bprov),
            sound=sound, audio=str(b.get("audio", "drop")),
            continuity=MappingProxyType({**(data.get("continuity") or {}), **(b.get("continuity") or {})}),
            trim=_trim(c, b.get("trim"), seconds, fps, ptr),
        ))

    # Transitions must fit inside the beats they overlap.
    from ..frames import frame_exact

    frames, into = frame_exact([b.shown_seconds for b in beats],
                               [(b.transition.name, b.transition.seconds) if b.transition else ("cut", 0.0)
                                for b in beats[1:]], fps) if beats and not skip else ([], [])
    for i, beat in enumerate(beats if not skip else ()):
        n = frames[i]
        t_in = into[i - 1].frames if i else 0
        t_out = into[i].frames if i + 1 < len(beats) else 0
        if t_in + t_out > n:
            limit = beat.seconds - (t_out / fps if t_in else t_in / fps)
            ptr = f"/beats/{i + 1}/transition" if t_out else f"/beats/{i}/transition"
            if ptr not in positions:
                ptr = "/transition"
            c.fail(f"transitions of {t_in / fps:g} s in and {t_out / fps:g} s out of beat {i + 1} ({beat.id}) "
                   f"are longer than the beat ({beat.seconds:g} s)", ptr,
                   f"Keep the transitions around a beat within its length (at most {max(limit, 0):g} s here).")

    if data.get("mode", "keyframes") == "extend":
        for i, b in enumerate(data["beats"]):
            if i > 0 and (b.get("start_image")):
                c.fail("start_image is only for keyframes mode (extend mode starts each beat from the previous "
                       "segment's last frame)", f"/beats/{i}/start_image", "Remove it or use mode: keyframes.")
            if b.get("end_image"):
                c.fail("end_image is only for keyframes mode", f"/beats/{i}/end_image",
                       "Remove it or use mode: keyframes.")

    if data.get("keyframes") == "anchored" and data.get("mode", "keyframes") == "extend":
        c.fail("keyframes: anchored is for keyframes mode (extend mode makes no keyframes after the first)",
               "/keyframes", "Remove it or use mode: keyframes.")

    if out_path is not None:
        c.no_overwrite(out_path, out_ptr or "/output", formats=output.formats)

    if c.errors and problems is None:
        raise BoardErrors(c.errors) if len(c.errors) > 1 else c.errors[0]
    if problems is not None:
        problems.extend(c.errors)

    return Board(
        source=source.resolve(), display=display, root=root, title=data.get("title", source.stem),
        style=data.get("style", ""), negative_prompt=data.get("negative_prompt", ""), seed=default_seed,
        seconds=default_seconds, mode=data.get("mode", "keyframes"), transition=default_transition,
        output=output, providers=MappingProxyType(providers), characters=MappingProxyType(characters),
        audio=audio, captions=captions, prices=MappingProxyType(dict(data.get("prices") or {})),
        beats=tuple(beats), positions=MappingProxyType(dict(positions)),
        keyframes=data.get("keyframes", "chained"),
    )
