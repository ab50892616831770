"""``storyrender templates``: the template library, with each template's variables.

A template documents itself in three places, all read here:

- ``title:`` and ``description:`` (ordinary storyboard fields);
- ``vars:``, the defaults: a var with a value there is optional;
- the header comment, a ``# Vars`` line followed by ``#   name: what it is`` lines.

A var is *required* when the template uses ``${name}`` somewhere and gives it no default.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["templates", "TemplateInfo", "VarInfo", "template_info", "all_templates"]

_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DOC_VAR = re.compile(r"^#\s+([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$")
_DOC_TAIL = re.compile(r"\s*\((required|default:?[^)]*)\)\s*$")


@dataclass
class VarInfo:
    name: str
    required: bool
    default: str | int | float | bool | None = None
    description: str = ""
    used_in: list[str] = field(default_factory=list)  # JSON pointers where ${name} appears


@dataclass
class TemplateInfo:
    name: str
    path: str
    title: str
    description: str
    summary: str  # the first line of the header comment
    vars: list[VarInfo]
    beats: int
    library: str  # the directory it was found in

    def as_dict(self) -> dict:
        return asdict(self)


def _header(text: str) -> tuple[str, dict[str, str]]:
    """The header comment's first line and its ``# Vars`` section (name -> description)."""
    summary = ""
    docs: dict[str, str] = {}
    in_vars = False
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if body.startswith("yaml-language-server:"):
            continue
        if not summary and body:
            summary = body
            continue
        if re.match(r"^vars\b", body, re.I):
            in_vars = True
            continue
        if in_vars:
            m = _DOC_VAR.match(line)
            if m:
                last = m.group(1)
                docs[last] = m.group(2).strip()
            elif body and last and line.startswith("#     "):  # a continuation line
                docs[last] += " " + body
            else:
                in_vars = False
    return summary, {k: _DOC_TAIL.sub("", v).strip() for k, v in docs.items()}


def _refs(value, ptr: str, out: dict[str, list[str]]) -> None:
    from ..spec.yamlpos import pointer

    if isinstance(value, str):
        for m in _REF.finditer(value):
            if m.group(1):
                out.setdefault(m.group(1), [])
                if ptr not in out[m.group(1)]:
                    out[m.group(1)].append(ptr)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not (ptr == "" and k == "vars"):
                _refs(v, ptr + pointer([k]), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refs(v, f"{ptr}/{i}", out)


def template_info(path: Path, library: str = "") -> TemplateInfo:
    """Read a template's documentation (its ``extends`` chain applied, no vars substituted)."""
    from ..spec.compose import _load_chain

    data, _ = _load_chain(path, str(path), depth=0, seen=())
    summary, docs = _header(path.read_text("utf-8"))
    defaults = data.get("vars") or {}
    used: dict[str, list[str]] = {}
    _refs(data, "", used)
    names = list(docs) + [n for n in used if n not in docs] + [n for n in defaults if n not in docs and n not in used]
    vars_ = [VarInfo(n, required=n in used and n not in defaults, default=defaults.get(n),
                     description=docs.get(n, ""), used_in=used.get(n, [])) for n in names]
    beats = data.get("beats")
    return TemplateInfo(name=path.stem, path=str(path), title=str(data.get("title") or path.stem),
                        description=str(data.get("description") or summary), summary=summary, vars=vars_,
                        beats=len(beats) if isinstance(beats, list) else 0, library=library)


def all_templates() -> list[TemplateInfo]:
    from ..spec.compose import list_templates

    return [template_info(p, str(p.parent)) for _, p in sorted(list_templates().items())]


def _var_line(v: VarInfo) -> str:
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
