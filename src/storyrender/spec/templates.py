"""The template library documented: each template's title, description and variables.

A template documents itself in three places, all read here:

- ``title:`` and ``description:`` (ordinary storyboard fields);
- ``vars:``, the defaults: a var with a value there is optional;
- the header comment, a ``# Vars`` line followed by ``#   name: what it is`` lines.

A var is *required* when the template uses ``${name}`` somewhere and gives it no default.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .compose import extended, list_templates
from .yamlpos import pointer

__all__ = ["TemplateInfo", "VarInfo", "template_info", "all_templates", "template_for"]

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
    data = extended(path)
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
    """Every template of the library, documented."""
    return [template_info(p, str(p.parent)) for _, p in sorted(list_templates().items())]


def template_for(ref: str, dest: Path) -> tuple[Path, str] | None:
    """The template *ref* names (a library name, or a ``.yaml`` path) for a board in *dest*: its file and
    what the board writes after ``extends:`` (a path relative to *dest*); None when there is none."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p, Path(os.path.relpath(p.resolve(), dest.resolve())).as_posix()
    found = list_templates()
    return (found[ref], ref) if ref in found else None
