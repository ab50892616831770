"""The well-formed part of a board that breaks the schema, so its other problems show in the same round.

A beat with a schema error is left out whole; elsewhere the offending value is removed (the
board's default applies), an unknown field is dropped, and a malformed character keeps its name.
What remains is validated again until it passes; a board whose root or beat list is malformed has
no well-formed part.
"""

from __future__ import annotations

import copy
from typing import Any

from .validate import schema_errors

__all__ = ["well_formed_part"]

#: rounds of removing and re-validating before giving up
_ROUNDS = 8


def well_formed_part(data: Any) -> tuple[dict, frozenset[int], frozenset[str]] | None:
    """A schema-valid copy of *data*, the indices of the beats left out and the top-level fields cut
    into (``None``: nothing usable)."""
    if not isinstance(data, dict) or not isinstance(data.get("beats"), list):
        return None
    data = copy.deepcopy(data)
    skipped: set[int] = set()
    touched: set[str] = set()
    for _ in range(_ROUNDS):
        errors = schema_errors(data)
        if not errors:
            return data, frozenset(skipped), frozenset(touched)
        for err in errors:
            path = list(err.absolute_path)
            if not _remove(data, path, err, skipped):
                return None
            touched.update(str(p) for p in path[:1] if p != "beats")
        # a left-out beat stays in place (the others keep their numbers and lines): a stand-in that validates
        for i in skipped:
            data["beats"][i] = {"prompt": "-"}
    return None


def _remove(data: dict, path: list, err, skipped: set[int]) -> bool:
    """Remove what *err* complains about; False when that would take the board's root or beat list."""
    if path[:1] == ["beats"]:
        if len(path) < 2 or not isinstance(path[1], int):
            return False
        skipped.add(path[1])
        return True
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        parent = _at(data, path)
        if isinstance(parent, dict):
            for extra in set(err.instance) - set(err.schema.get("properties", {})):
                parent.pop(extra, None)
            return True
    if not path:
        return False
    if path[0] == "characters" and len(path) >= 2:
        chars = data.get("characters")
        if isinstance(chars, dict) and path[1] in chars:
            chars[path[1]] = {"description": str(path[1])}
            return True
    # cut at the first list on the way (its items would shift) or at the value itself
    for depth in range(1, len(path)):
        if isinstance(path[depth], int):
            path = path[:depth]
            break
    parent = _at(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
        return True
    return False


def _at(data: Any, path: list) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
