"""``storyrender init``: start a project with a commented ``board.yaml`` and a ``.gitignore``.

The board's first line points editors (the YAML language server: VS Code's YAML extension,
Neovim, Helix, ...) at the JSON Schema, for completion and checking as you type:

- a relative path when the board is inside a storyrender checkout;
- otherwise ``storyboard.schema.json``, a copy of the schema written beside the board, so the
  line resolves on a collaborator's machine too (never an absolute path into one install; the
  line can be edited freely, storyrender itself ignores it).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import click

from ..story.project_files import GITIGNORE_LINES, gitignore_update as _gitignore_update, schema_ref, write_schema_copy, \
    yaml_scalar as _yaml_scalar
from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["init", "schema_ref", "starter_text", "template_board_text", "GITIGNORE_LINES"]

BOARD_NAME = "board.yaml"
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

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


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("-t", "--template", "template", default=None,
              help="Start from this template (a name from `storyrender templates`, or a path).")
@click.option("--var", "var_items", multiple=True, metavar="NAME=VALUE",
              help="A value for one of the template's vars (repeatable).")
@click.option("--force", is_flag=True, help="Overwrite an existing board.yaml.")
@handle_errors
def init(directory, template, var_items, force):
    """Start a storyboard project in DIRECTORY (default: here).

    \b
    Writes:
      board.yaml   a commented starter board (or, with --template, a board that
                   extends the template, its vars filled in from --var)
      .gitignore   ignoring .storyrender/ (the cache) and out/ (the videos); an
                   existing .gitignore keeps its lines and gets the missing ones

    The starter validates and builds offline as it is:
    `storyrender build --offline board.yaml`.

    Exit status: 0 written, 2 bad input (board.yaml exists and no --force, an unknown
    template or var, a required var missing); nothing is written then.
    """
    from .templates_cmd import template_info

    dest = Path(directory)
    board = dest / BOARD_NAME
    values: dict[str, str] = {}
    for item in var_items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not _VAR_NAME.match(name):
            _fail(f"--var {item!r}: write NAME=VALUE (NAME: letters, digits and _)")
        values[name] = value
    if values and not template:
        _fail("--var needs --template: only a template has vars to fill in")
    if board.exists() and not force:
        _fail(f"{board} already exists; not overwriting it (use --force to replace it)")
    if dest.exists() and not dest.is_dir():
        _fail(f"{dest} is not a directory")

    if template:
        tpath, extends = _find_template(template, dest)
        info = template_info(tpath, str(tpath.parent))
        known = {v.name for v in info.vars}
        unknown = [n for n in values if n not in known]
        if unknown:
            _fail(f"template {info.name!r} has no var {', '.join(map(repr, unknown))}; "
                  f"its vars: {', '.join(sorted(known)) or 'none'}")
        missing = [v.name for v in info.vars if v.required and v.name not in values]
        if missing:
            _fail(f"template {info.name!r} needs " + " ".join(f'--var {n}="..."' for n in missing)
                  + f" (`storyrender templates {info.name}` describes them)")
        text = template_board_text(dest, info, extends, values)
    else:
        text = starter_text(dest, title=dest.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize()
                            or "My first storyboard")

    dest.mkdir(parents=True, exist_ok=True)
    _write(board, text)
    click.echo(f"wrote {board}")
    copied = write_schema_copy(dest)  # what the board's $schema line names, when outside a checkout
    if copied is not None:
        click.echo(f"wrote {copied} (the schema editors check the board against; commit it with the board)")
    gi = dest / ".gitignore"
    new = _gitignore_update(gi)
    if new is not None:
        existed = gi.exists()
        _write(gi, new)
        click.echo(f"{'updated' if existed else 'wrote'} {gi}")
    click.echo(f"next: storyrender build --offline {board}")


def _find_template(ref: str, dest: Path) -> tuple[Path, str]:
    """(template file, the value to write after `extends:`)."""
    from ..spec.compose import list_templates

    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        rel = os.path.relpath(p.resolve(), dest.resolve())
        return p, Path(rel).as_posix()
    found = list_templates()
    if ref in found:
        return found[ref], ref
    _fail(f"template {ref!r} not found; templates: {', '.join(sorted(found)) or 'none'} "
          f"(`storyrender templates` lists them)")
    raise AssertionError  # unreachable


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)
