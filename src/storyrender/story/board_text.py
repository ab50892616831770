"""A written story as a commented board (the text `storyrender new` writes)."""

from __future__ import annotations

import re
from pathlib import Path

from .shape import Story

__all__ = ["board_text", "beat_ids"]


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return s if s and s[0].isalnum() else ""


def beat_ids(story: Story) -> list[str]:
    """A stable, unique id per beat, from its caption (``beat-N`` when the caption has no letters)."""
    ids: list[str] = []
    for i, b in enumerate(story.beats, 1):
        base = _slug(b["caption"]) or f"beat-{i}"
        bid, n = base, 2
        while bid in ids:
            bid, n = f"{base}-{n}", n + 1
        ids.append(bid)
    return ids


def _q(value: str) -> str:
    from .project_files import yaml_scalar as _yaml_scalar

    return _yaml_scalar(value)


def board_text(board_dir: Path, story: Story, *, premise: str, style: str, size: str, fps: int,
               lengths: tuple[float, ...], writer: str, video: str, template: bool) -> str:
    """The board: header comments (how it was written, what to run), settings, then the beats."""
    from .project_files import schema_ref

    same = len(set(lengths)) == 1
    about = ("a template: the premise told in a fixed progression (opening, approach, ..., resolution),\n"
             "#   not a story. Rewrite the prompts, or write it again with a text model: --writer openai or google."
             if template else "a text model; the beats are yours to edit.")
    lines = [
        f"# yaml-language-server: $schema={schema_ref(board_dir)}",
        f"# Written by `storyrender new` from the prompt: {premise[:300]}",
        f"# Writer: {writer}, {about}",
        "#",
        "#   storyrender plan board.yaml                 what would render, why, and what it costs (calls nothing)",
        "#   storyrender build --offline board.yaml      render it free on this machine (an animatic, a previz)",
        "#   storyrender studio board.yaml               watch it render in the browser, edit beats, new takes",
        "#",
        "# Only what changed re-renders; everything else comes from the cache in .storyrender/.",
        "version: 1",
        f"title: {_q(story.title)}",
        "",
        "output:",
        f"  size: {size:<19} # WIDTHxHEIGHT, both even; 720x1280 for a 9:16 short",
        f"  fps: {fps}",
        "",
        f"style: {_q(style) if style else _q('cinematic'):<22} # added to every prompt",
        "seed: 42                      # change it (or one beat's seed) for different pictures",
    ]
    if same:
        lines.append(f"seconds: {lengths[0]:<20g} # every beat's length (sized to the video model's clips)")
    lines += [
        "transition: cut               # beats chain frame to frame (each clip starts on the last one's end)",
        "",
        "providers:",
        f"  writer: {writer:<19} # who wrote the beats (storyrender new); a build does not call it",
        "  image: local                # text -> the first keyframe (local: the offline animatic, free)",
        "  keyframe: local             # previous keyframe + beat prompt -> the next keyframe",
        f"  video: {video:<20} # first + last keyframe -> the beat's clip",
        "  # `storyrender providers` lists the others, e.g. video: google/veo-3.1-generate-001",
        "",
        "captions:",
        "  burn: true                  # draw each beat's caption into the picture",
        "",
        "beats:                        # one clip per beat; keyframe k shows the end of beat k",
    ]
    for bid, b, secs in zip(beat_ids(story), story.beats, lengths):
        lines.append(f"  - id: {bid}")
        lines.append(f"    prompt: {_q(b['prompt'])}")
        if not same:
            lines.append(f"    seconds: {secs:g}")
        lines.append(f"    camera: {b['camera']}")
        lines.append(f"    caption: {_q(b['caption'])}")
    lines.append("    # take: 2                 # bump a beat's take for a new version of its clip and nothing else")
    return "\n".join(lines) + "\n"
