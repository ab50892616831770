"""The files a new project gets, shared by `storyrender init` and `storyrender new`.

``schema_ref`` is what a board's first line points editors at (the YAML language server): a
relative path when the board is inside a storyrender checkout, otherwise ``storyboard.schema.json``,
a copy of the schema ``write_schema_copy`` puts beside the board (commit it with the board: the line
then resolves on every collaborator's machine; an absolute path into one install would not). ``gitignore_update``
adds the cache and the rendered videos to a ``.gitignore``, keeping its lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

__all__ = ["GITIGNORE_LINES", "SCHEMA_COPY", "schema_ref", "write_schema_copy", "yaml_scalar", "gitignore_update"]

GITIGNORE_LINES = (".storyrender/", "out/")


#: the schema's copy beside a board outside the storyrender tree (written by `init` and `new`)
SCHEMA_COPY = "storyboard.schema.json"


def schema_ref(board_dir: Path) -> str:
    """What to write after ``$schema=`` for a board in *board_dir* (see the module doc): never an absolute path,
    so the line resolves on a collaborator's machine too."""
    from ..resources import schema_path

    schema = schema_path().resolve()
    tree = schema.parent.parent  # the checkout (schemas/..), whatever its folder is called; not the package (_data/..)
    board_dir = board_dir.resolve()
    if schema.parent.name == "schemas" and (board_dir == tree or tree in board_dir.parents):  # inside a checkout
        return Path(os.path.relpath(schema, board_dir)).as_posix()
    return SCHEMA_COPY


def write_schema_copy(board_dir: Path) -> Path | None:
    """Copy the schema beside a board whose ``$schema`` line names :data:`SCHEMA_COPY`; the path written, or None
    when the board refers to the checkout's schema or the copy is already current."""
    from ..atomic import write_text
    from ..resources import schema_path

    if schema_ref(board_dir) != SCHEMA_COPY:
        return None
    dest = Path(board_dir) / SCHEMA_COPY
    text = schema_path().read_text("utf-8")
    if dest.is_file() and dest.read_text("utf-8", errors="replace") == text:
        return None
    write_text(dest, text)
    return dest


def yaml_scalar(value: str) -> str:
    """*value* as a YAML scalar (quoted with JSON rules unless plainly safe)."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()-]*", value) and not value.endswith((" ", ":")) \
            and value.lower() not in ("yes", "no", "on", "off", "true", "false", "null", "y", "n"):
        return value
    return json.dumps(value, ensure_ascii=False)


def gitignore_update(path: Path) -> str | None:
    """The new text of .gitignore (existing lines kept), or None when nothing is missing."""
    old = path.read_text("utf-8") if path.exists() else ""
    have = {ln.strip() for ln in old.splitlines()}
    missing = [ln for ln in GITIGNORE_LINES
               if ln not in have and ln.rstrip("/") not in have and "/" + ln not in have]
    if not missing:
        return None
    head = "" if not old else (old if old.endswith("\n") else old + "\n")
    comment = "# storyrender: the render cache and the rendered videos\n"
    return head + comment + "\n".join(missing) + "\n"
