"""``storyrender templates``: the template library, with each template's variables
(:mod:`storyrender.spec.templates` reads them)."""

from __future__ import annotations

import json
import os

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["templates"]

def _var_line(v) -> str:
    state = "required" if v.required else f"default: {v.default}"
    return f"{v.name} ({state})" + (f": {v.description}" if v.description else "")


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def templates(name, as_json):
    """List the templates a storyboard can `extends:`, with their variables.

    \b
    Templates are looked up in $STORYRENDER_TEMPLATES (':'-separated directories),
    ~/.config/storyrender/templates, then the library shipped with storyrender; the
    first directory holding a name wins. Give NAME to show one template in full.

    \b
    Use one:  storyrender init mydir --template NAME --var key=value
      or in a board:  extends: NAME
                      vars: {key: value}
    A var is required when the template uses ${var} and gives it no default.
    """
    from ..errors import BoardError
    from ..spec.compose import list_templates, template_dirs
    from ..spec.templates import template_info

    found = list_templates()
    if name is not None and name not in found:
        click.echo(f"error: no template named {name!r} (templates: {', '.join(sorted(found)) or 'none'})", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    infos = []
    broken = []
    for n, p in sorted(found.items()):
        if name is not None and n != name:
            continue
        try:
            infos.append(template_info(p, str(p.parent)))
        except BoardError as exc:
            broken.append((n, exc))
    for n, exc in broken:
        click.echo(f"warning: template {n!r} cannot be read: {exc.format()}", err=True)
    if as_json:
        doc = {"directories": [str(d) for d in template_dirs()], "templates": [i.as_dict() for i in infos]}
        click.echo(json.dumps(doc if name is None else doc["templates"][0], indent=2, ensure_ascii=False))
        return
    if not infos:
        click.echo("no templates found (looked in: " + ", ".join(str(d) for d in template_dirs()) + ")")
        return
    for i in infos:
        click.echo(f"{i.name}  ({i.beats} beats)  {i.summary or i.description}")
        if name is not None:
            click.echo(f"  file: {_short(i.path)}")
            click.echo(f"  title: {i.title}")
            click.echo(f"  description: {i.description}")
        for v in i.vars:
            click.echo(f"    {_var_line(v)}")
        if name is not None:
            req = " ".join(f'--var {v.name}="..."' for v in i.vars if v.required)
            click.echo(f"  start: storyrender init DIR --template {i.name}" + (f" {req}" if req else ""))
    if name is None:
        click.echo("\n`storyrender templates NAME` shows one; `storyrender init DIR --template NAME` starts a board.")


def _short(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("../..") else path
