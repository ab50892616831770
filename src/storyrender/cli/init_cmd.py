"""``storyrender init``: start a project with a commented ``board.yaml`` and a ``.gitignore``.

The board's first line points editors (the YAML language server: VS Code's YAML extension,
Neovim, Helix, ...) at the JSON Schema, for completion and checking as you type:

- a relative path when the board is inside a storyrender checkout;
- otherwise ``storyboard.schema.json``, a copy of the schema written beside the board, so the
  line resolves on a collaborator's machine too (never an absolute path into one install; the
  line can be edited freely, storyrender itself ignores it).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["init"]

BOARD_NAME = "board.yaml"
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

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
    from ..atomic import write_text
    from ..spec.templates import template_for, template_info
    from ..story.project_files import gitignore_update, write_schema_copy
    from ..story.starter import starter_text, template_board_text, vars_problem

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
        found = template_for(template, dest)
        if found is None:
            from ..spec.compose import list_templates

            _fail(f"template {template!r} not found; templates: {', '.join(sorted(list_templates())) or 'none'} "
                  f"(`storyrender templates` lists them)")
        info = template_info(found[0], str(found[0].parent))
        problem = vars_problem(info, values)
        if problem:
            _fail(problem)
        text = template_board_text(dest, info, found[1], values)
    else:
        text = starter_text(dest, title=dest.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize()
                            or "My first storyboard")

    dest.mkdir(parents=True, exist_ok=True)
    write_text(board, text)
    click.echo(f"wrote {board}")
    copied = write_schema_copy(dest)  # what the board's $schema line names, when outside a checkout
    if copied is not None:
        click.echo(f"wrote {copied} (the schema editors check the board against; commit it with the board)")
    gi = dest / ".gitignore"
    new = gitignore_update(gi)
    if new is not None:
        existed = gi.exists()
        write_text(gi, new)
        click.echo(f"{'updated' if existed else 'wrote'} {gi}")
    click.echo(f"next: storyrender build --offline {board}")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)
