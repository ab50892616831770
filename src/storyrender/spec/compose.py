"""Templates: ``extends:`` and ``vars:``.

A storyboard may start from another one (``extends: PATH-or-NAME``): its keys override the
template's, mappings merge key by key, lists replace. Beats replace the template's beats
unless the board says ``beats_merge: append`` (template beats first) or ``prepend``; a board
that gives no ``beats`` keeps the template's. Templates may extend templates (up to
:data:`MAX_DEPTH`), relative paths inside a template are relative to the template file.

``${name}`` in any string is replaced by ``vars.name`` (the board's vars override the
template's); ``$${`` writes a literal ``${``. A missing var is an error naming it and the
place that uses it.

Limits (each error names it): a path in ``extends:`` must stay inside the project (or be a
template name, looked up in the template folders), and a template outside the project is never
read, so its content is never shown; a var is a string, number or boolean; one string expands to
at most :data:`MAX_EXPANDED` characters.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import BoardError, BoardErrors, shorten
from ..reads import note_dir
from ..resources import templates_dir
from .yamlpos import Pos, error_at, load_yaml, pointer

__all__ = ["compose", "extended", "template_dirs", "find_template", "list_templates", "MAX_DEPTH"]

MAX_DEPTH = 8
#: the longest text one string may become once its ${vars} are replaced
MAX_EXPANDED = 100_000
_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def template_dirs() -> list[Path]:
    """Where template names are looked up: ``$STORYRENDER_TEMPLATES`` (``:``-separated),
    ``~/.config/storyrender/templates``, then the library shipped with storyrender."""
    dirs = []
    env = os.environ.get("STORYRENDER_TEMPLATES")
    if env:
        dirs += [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    dirs.append(Path("~/.config/storyrender/templates").expanduser())
    dirs.append(templates_dir())
    return dirs


def list_templates() -> dict[str, Path]:
    """Template name -> file, earlier directories winning."""
    found: dict[str, Path] = {}
    for d in template_dirs():
        if d.is_dir():
            for f in sorted(d.glob("*.yaml")):
                found.setdefault(f.stem, f)
    return found


def find_template(ref: str, base: Path, *, inside: tuple[Path, ...] = ()) -> Path | None:
    """Resolve an ``extends:`` value: a path relative to *base*, else a library template name.

    With *inside*, a path is followed only when it resolves (symlinks included) into one of
    those folders: :class:`BoardError`-worthy escapes return None and are reported by the caller.
    """
    from .paths import path_text_problem

    if path_text_problem(ref):
        return None
    candidate = (base / ref)
    if inside:
        real = candidate.resolve()
        if not any(real == d or d in real.parents for d in inside):
            return None
    if candidate.is_file():
        return candidate
    name = Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref
    if "/" in name or "\\" in name:
        return None
    return list_templates().get(name)


def compose(path: Path, *, display: str | None = None) -> tuple[dict, dict[str, Pos]]:
    """Load *path*, apply ``extends`` and ``vars``; return the data and positions."""
    data, pos = _load_chain(path, display or str(path), depth=0, seen=())
    return _substitute(data, pos, display or str(path)), pos


def extended(path: Path) -> dict:
    """*path*'s data with its ``extends`` chain applied and no vars substituted (a template as written)."""
    return _load_chain(path, str(path), depth=0, seen=())[0]


def _load_chain(path: Path, display: str, depth: int, seen: tuple) -> tuple[dict, dict[str, Pos]]:
    data, pos = load_yaml(path, display=display)
    if not isinstance(data, dict):
        raise error_at(pos, display, "a storyboard must be a mapping of fields (version, beats, ...)",
                       default=Pos(display, 1, 1))
    ext = data.get("extends")
    if ext is None:
        return data, pos
    def at_extends(message: str, hint: str | None = None) -> BoardError:
        return error_at(pos, display, message, "/extends", hint, default=Pos(display, 1, 1))

    if not isinstance(ext, str) or not ext:
        raise at_extends("extends must be a template name or a path")
    if depth >= MAX_DEPTH:
        raise at_extends(f"templates extend each other more than {MAX_DEPTH} levels deep")
    from .paths import path_text_problem, project_root

    allowed = (project_root(path.parent), *(d.resolve() for d in template_dirs()))
    outside = not path_text_problem(ext) and not _within((path.parent / ext).resolve(), allowed)
    if outside and ("/" in ext or "\\" in ext or ext.startswith(".")):
        raise at_extends(f"{shorten(repr(ext))} points outside the project",
                         "Extend a template inside the project, or a template name (`storyrender templates`). "
                         "A file outside the project is never read.")
    for folder in ((path.parent / ext).parent, *template_dirs()):  # a file appearing there could
        note_dir(folder)  # change what *ext* names
    target = find_template(ext, path.parent, inside=allowed)
    if target is None:
        names = ", ".join(sorted(list_templates())) or "none installed"
        raise at_extends(f"template {shorten(repr(ext))} not found",
                         f"Give a path relative to this file or a template name ({names}); "
                         f"`storyrender templates` lists them.")
    key = str(target.resolve())
    if key in seen:
        raise at_extends(f"templates extend each other in a cycle through {ext!r}")
    tdisplay = _display(target)
    base, bpos = _load_chain(target, tdisplay, depth + 1, seen + (key,))
    return _merge_board(base, bpos, data, pos)


def _within(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == d or d in path.parents for d in folders)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _merge_board(base: dict, bpos: dict, over: dict, opos: dict) -> tuple[dict, dict]:
    out_pos: dict[str, Pos] = {}
    merged = _merge(base, bpos, "", over, opos, "", "", out_pos)
    mode = over.get("beats_merge", "replace")
    if "beats" in over and mode in ("append", "prepend") and isinstance(base.get("beats"), list) \
            and isinstance(over.get("beats"), list):
        first, fpos, second, spos = (base, bpos, over, opos) if mode == "append" else (over, opos, base, bpos)
        for k in [k for k in out_pos if k == "/beats" or k.startswith("/beats/")]:
            del out_pos[k]
        n = len(first["beats"])
        _copy(fpos, "/beats", out_pos, "/beats")
        for i in range(len(second["beats"])):
            _copy(spos, f"/beats/{i}", out_pos, f"/beats/{n + i}")
        merged["beats"] = list(first["beats"]) + list(second["beats"])
        out_pos["/beats"] = opos.get("/beats", bpos.get("/beats"))
    merged.pop("extends", None)
    merged.pop("beats_merge", None)
    # vars: template's, overridden by the board's
    if isinstance(base.get("vars"), dict) or isinstance(over.get("vars"), dict):
        v = dict(base.get("vars") or {})
        v.update(over.get("vars") or {})
        merged["vars"] = v
    return merged, out_pos


def _copy(src: dict, sprefix: str, dst: dict, dprefix: str) -> None:
    for k, v in src.items():
        if k == sprefix or k.startswith(sprefix + "/"):
            dst[dprefix + k[len(sprefix):]] = v


def _merge(base: Any, bpos: dict, bptr: str, over: Any, opos: dict, optr: str, outptr: str,
           out_pos: dict) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = {}
        if outptr in opos or optr in opos:
            out_pos[outptr] = opos.get(optr) or bpos.get(bptr)
        elif bptr in bpos:
            out_pos[outptr] = bpos[bptr]
        for key in list(base) + [k for k in over if k not in base]:
            seg = pointer([key])
            if key in over and key in base and isinstance(base[key], dict) and isinstance(over[key], dict):
                out[key] = _merge(base[key], bpos, bptr + seg, over[key], opos, optr + seg, outptr + seg, out_pos)
            elif key in over:
                out[key] = over[key]
                _copy(opos, optr + seg, out_pos, outptr + seg)
            else:
                out[key] = base[key]
                _copy(bpos, bptr + seg, out_pos, outptr + seg)
        return out
    _copy(opos, optr, out_pos, outptr)
    return over


def _substitute(data: dict, pos: dict[str, Pos], display: str) -> dict:
    vars_ = data.get("vars") or {}
    if not isinstance(vars_, dict):
        return data  # the schema reports the wrong type
    errors: list[BoardError] = []
    missing: dict[str, list[str]] = {}  # var name -> pointers of the strings that use it
    for name, v in vars_.items():
        if not isinstance(v, (str, int, float, bool)) or v is None:
            kind = "a list" if isinstance(v, list) else "a mapping" if isinstance(v, dict) else "empty"
            raise error_at(pos, display, f"var {shorten(repr(name))} is {kind}; a var is a string, a number or "
                           "true/false", "/vars" + pointer([name]), "Give it a plain value.")

    def sub(value: Any, ptr: str) -> Any:
        if isinstance(value, str):
            if "$" not in value:
                return value
            size = len(value)
            for m in _VAR.finditer(value):
                v = vars_.get(m.group(1) or "", "")
                size += len(str(v)) - len(m.group(0))
                if size > MAX_EXPANDED:
                    _err(f"this text expands to more than {MAX_EXPANDED} characters once its ${{vars}} are "
                         "replaced", ptr, "Use shorter vars, or fewer of them in one text.")
                    return value

            def repl(m: re.Match) -> str:
                if m.group(0) == "$${":
                    return "${"
                name = m.group(1)
                if not _NAME.match(name or ""):
                    _err(f"${{{name}}} is not a valid variable reference", ptr,
                         "Variable names are letters, digits and _; write $${ for a literal ${.")
                    return m.group(0)
                if name not in vars_:
                    missing.setdefault(name, []).append(ptr)
                    return m.group(0)
                v = vars_[name]
                return str(v).lower() if isinstance(v, bool) else str(v)

            return _VAR.sub(repl, value)
        if isinstance(value, dict):
            return {k: (v if (ptr == "" and k == "vars") else sub(v, ptr + pointer([k]))) for k, v in value.items()}
        if isinstance(value, list):
            return [sub(v, f"{ptr}/{i}") for i, v in enumerate(value)]
        return value

    def _err(message: str, ptr: str, hint: str) -> None:
        errors.append(error_at(pos, None, message, ptr, hint))

    out = sub(data, "")
    for name, uses in missing.items():
        # One error per missing var. When the uses are in a template, point at the board's own
        # `extends:` line: the fix (adding the var) belongs in the board, not in the template.
        first = pos.get(uses[0])
        anchor = uses[0]
        if first is not None and first.file != display and "/extends" in pos:
            anchor = "/extends"
        where = ", ".join(uses[:3]) + (f" and {len(uses) - 3} more" if len(uses) > 3 else "")
        known = ", ".join(sorted(vars_)) or "none yet"
        _err(f"no var {name!r} is set, but ${{{name}}} is used in {where}", anchor,
             f"Add `{name}: ...` under vars: in {display} (vars set: {known}).")
    if errors:
        raise BoardErrors(errors) if len(errors) > 1 else errors[0]
    return out
