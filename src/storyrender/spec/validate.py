"""JSON Schema validation with errors that point at file:line and say what to do."""

from __future__ import annotations

import difflib
import functools
import json

import jsonschema

from ..errors import BoardError, BoardErrors, shorten
from ..resources import load_schema
from .yamlpos import Pos, error_at, pointer

__all__ = ["validate_document", "schema_errors", "schema_board_errors"]


_JSON_TYPES = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a whole number",
               float: "a number", type(None): "nothing (null)"}
_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "text", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "null"}


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node, defs: dict, seen: tuple = ()):
    """*node* with each ``{"$ref": "#/$defs/NAME"}`` replaced by that definition (the same checks:
    resolving a reference once per beat is most of the time validating a long board takes)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if len(node) == 1 and isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs \
                and ref not in seen:
            return _inline_refs(defs[ref[8:]], defs, seen + (ref,))
        return {k: _inline_refs(v, defs, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs, seen) for v in node]
    return node


def schema_errors(data) -> list[jsonschema.ValidationError]:
    """Where *data* breaks the schema, in document order."""
    return sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))


def validate_document(data, positions: dict[str, Pos], display: str) -> None:
    """Raise :class:`BoardError` (or :class:`BoardErrors`) when *data* breaks the schema."""
    out = schema_board_errors(data, positions, display)
    if out:
        raise BoardErrors(out) if len(out) > 1 else out[0]


def schema_board_errors(data, positions: dict[str, Pos], display: str) -> list[BoardError]:
    """Each way *data* breaks the schema, as a :class:`BoardError` at its file:line (repeats merged)."""
    errors = schema_errors(data)
    out: list[BoardError] = []
    seen = set()
    for err in errors:
        be = _convert(err, positions, display)
        sig = (be.pointer, be.message)
        if sig in seen:
            continue
        seen.add(sig)
        out.append(be)  # all kept: BoardErrors shows the first few and counts the rest
    return out


def _best(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    if err.validator in ("oneOf", "anyOf") and err.context:
        # Prefer the alternative whose type matched: its complaint is the useful one.
        typed = [e for e in err.context if e.validator != "type"]
        pool = typed or err.context
        return _best(jsonschema.exceptions.best_match(pool))
    return err


def _convert(err: jsonschema.ValidationError, positions: dict[str, Pos], display: str) -> BoardError:
    top = err
    err = _best(err)
    path = list(err.absolute_path)
    ptr = pointer(path)
    field = ptr or "/"
    hint = None
    v = err.validator
    if v == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        ptr = pointer(path + [name])
        allowed = sorted(err.schema.get("properties", {}))
        close = difflib.get_close_matches(name, allowed, n=1)
        message = f"unknown field {name!r}"
        hint = (f"Did you mean {close[0]!r}? " if close else "") + f"Allowed here: {', '.join(allowed)}."
    elif v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else "?"
        message = f"missing required field {missing!r}"
        hint = _describe(err.schema.get("properties", {}).get(missing, {}))
    elif v == "type":
        want = err.validator_value
        wants = [want] if isinstance(want, str) else list(want)
        got = _JSON_TYPES.get(type(err.instance), type(err.instance).__name__)
        message = f"expected {' or '.join(_TYPE_WORDS.get(w, w) for w in wants)}, got {got} ({_short(err.instance)})"
        hint = _describe(err.schema)
    elif v in ("enum", "const"):
        allowed = err.validator_value if v == "enum" else [err.validator_value]
        message = f"{_short(err.instance)} is not allowed; expected one of: {', '.join(map(_short, allowed))}"
    elif v == "pattern":
        message = f"{_short(err.instance)} has the wrong form"
        hint = _describe(err.schema) or f"It must match {err.validator_value}."
    elif v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                 "exclusiveMaximum": "less than"}[v]
        message = f"{_short(err.instance)} is out of range: must be {words} {err.validator_value}"
    elif v in ("minItems", "maxItems"):
        n = len(err.instance) if isinstance(err.instance, list) else 0
        words = "at least" if v == "minItems" else "at most"
        message = f"has {n} item{'s' if n != 1 else ''}; must have {words} {err.validator_value}"
    elif v in ("minLength", "maxLength"):
        words = "at least" if v == "minLength" else "at most"
        message = f"must be {words} {err.validator_value} characters long"
    elif v in ("minProperties", "maxProperties"):
        n = len(err.instance) if isinstance(err.instance, dict) else 0
        words = "at least" if v == "minProperties" else "at most"
        message = f"has {n} entries; must have {words} {err.validator_value}"
    elif v == "uniqueItems":
        message = "has repeated items; each may appear once"
    else:
        message = shorten(err.message, 300)
    del top
    return error_at(positions, display, message, ptr, hint, shown=field if v != "additionalProperties" else ptr,
                    default=Pos(display, 1, 1))


def _describe(schema: dict) -> str | None:
    d = schema.get("description")
    return d if d else None


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
