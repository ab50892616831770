"""The files a new project gets, shared by `storyrender init` and `storyrender new`.

``schema_ref`` is what a board's first line points editors at (the YAML language server): a
relative path when the board is inside the tree that holds the schema (a storyrender checkout or
the environment it is installed in), the schema's absolute path otherwise. ``gitignore_update``
adds the cache and the rendered videos to a ``.gitignore``, keeping its lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

__all__ = ["GITIGNORE_LINES", "schema_ref", "yaml_scalar", "gitignore_update"]

GITIGNORE_LINES = (".storyrender/", "out/")


def schema_ref(board_dir: Path) -> str:
    """What to write after ``$schema=`` for a board in *board_dir* (see the module doc)."""
    from ..resources import schema_path

    schema = schema_path().resolve()
    tree = schema.parent.parent  # the checkout (schemas/..) or the package (_data/..)
    if tree.name == "storyrender":  # installed: the environment holding site-packages
        for parent in tree.parents:
            if parent.name in ("lib", "Lib"):
                tree = parent.parent
                break
    board_dir = board_dir.resolve()
    if board_dir == tree or tree in board_dir.parents:
        return Path(os.path.relpath(schema, board_dir)).as_posix()
    return schema.as_posix()


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
