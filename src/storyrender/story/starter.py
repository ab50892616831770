"""The text of a new project's board (`storyrender init`): the commented starter, or a board that
extends a template with its vars filled in."""

from __future__ import annotations

import json
from pathlib import Path

from .project_files import schema_ref, yaml_scalar as _yaml_scalar

__all__ = ["STARTER", "TEMPLATE_BOARD", "starter_text", "template_board_text", "vars_problem"]

STARTER = """\
# yaml-language-server: $schema={schema}
# A storyrender storyboard: beats of a few seconds each, rendered into one video.
#
#   storyrender plan board.yaml                 what would render, why, and what it costs (calls nothing)
#   storyrender build --offline board.yaml      render it free on this machine (an animatic, a previz)
#   storyrender build board.yaml                render it with the providers below
#
# Only what changed re-renders: edit a beat and only it (and the beats after it, whose keyframes
# chain from it) is made again; everything else comes from the cache in .storyrender/.
version: 1
title: {title}

output:
  size: 1280x720              # WIDTHxHEIGHT, both even; 720x1280 for a 9:16 short
  fps: 24
  # path: out/board.mp4       # the default: out/<this file's name>.mp4
  # formats: [mp4, webm, gif]

style: cinematic, soft natural light      # added to every prompt
seed: 42                      # change it (or one beat's seed) for different pictures
seconds: 3                    # default length of a beat
transition: {{type: fade, seconds: 0.5}}   # a cross-fade; or cut, dissolve, fadeblack, wipeleft, ... (ffmpeg xfade names)

providers:                    # local = the built-in offline animatic: no key, no network, free
  image: local                # text -> the first keyframe
  keyframe: local             # previous keyframe + beat prompt -> the next keyframe
  video: local                # first + last keyframe -> the beat's clip
  # voice: local              # text -> speech, for say: lines
  # `storyrender providers` lists the others, e.g. video: google/veo-3.1-generate-001

captions:
  burn: true                  # draw each beat's caption into the picture
  # files: [srt, vtt]         # and/or write subtitle files beside the video

beats:                        # one keyframe per beat end; each beat's clip runs between two keyframes
  - id: opening               # a stable name (used by --only and in reports)
    prompt: A lighthouse on a cliff at dawn, waves below
    caption: Morning
  - id: approach
    prompt: The camera glides toward the lighthouse door as the sun rises
    camera: push-in           # push-in, pull-out, pan-left, pan-right, tilt-up, tilt-down, orbit, static
  - id: light
    prompt: The lighthouse lamp turns, a beam sweeps over the sea
    camera: pull-out
    # take: 2                 # bump to get a new version of this clip and nothing else
    # say: Every coast needs a light.
"""

TEMPLATE_BOARD = """\
# yaml-language-server: $schema={schema}
# Starts from the `{name}` template: {summary}
# Its fields apply unless this file sets them (mappings such as output: merge key by key).
# `storyrender templates {name}` shows its variables; `storyrender plan board.yaml` shows what will render.
#
# Beats: the template's are used as they are. Add a `beats:` list here to replace them, or add
# `beats_merge: append` (yours after the template's) or `beats_merge: prepend` (yours first).
version: 1
extends: {extends}
{vars}
# output:
#   size: 1280x720            # override anything of the template here
"""


def starter_text(board_dir: Path, title: str = "My first storyboard") -> str:
    return STARTER.format(schema=schema_ref(board_dir), title=_yaml_scalar(title))


def template_board_text(board_dir: Path, info, extends: str, values: dict[str, str]) -> str:
    """A board that extends the template *info* with *values* for its vars."""
    lines = []
    for v in info.vars:
        note = v.description or ""
        if v.name in values:
            tail = " (required)" if v.required else ""
            lines.append(f"  {v.name}: {_yaml_scalar(values[v.name])}" + (f"    # {note}{tail}" if note else ""))
        else:  # optional and not given: shown with its default, commented out
            default = v.default if not isinstance(v.default, str) else _yaml_scalar(v.default)
            lines.append(f"  # {v.name}: {json.dumps(default) if isinstance(default, bool) else default}"
                         + (f"    # {note}" if note else ""))
    if values:
        body = "vars:\n" + "\n".join(lines)
    else:
        body = "vars: {}   # none set, the defaults below apply; to set one: write `vars:` and uncomment it" + "".join("\n" + ln for ln in lines)
    return TEMPLATE_BOARD.format(schema=schema_ref(board_dir), name=info.name,
                                 summary=info.description or info.summary, extends=extends, vars=body)


def vars_problem(info, values: dict[str, str]) -> str | None:
    """What is wrong with *values* for the template *info* (an unknown var, a required one missing), or None."""
    known = {v.name for v in info.vars}
    unknown = [n for n in values if n not in known]
    if unknown:
        return (f"template {info.name!r} has no var {', '.join(map(repr, unknown))}; "
                f"its vars: {', '.join(sorted(known)) or 'none'}")
    missing = [v.name for v in info.vars if v.required and v.name not in values]
    if missing:
        return (f"template {info.name!r} needs " + " ".join(f'--var {n}="..."' for n in missing)
                + f" (`storyrender templates {info.name}` describes them)")
    return None
