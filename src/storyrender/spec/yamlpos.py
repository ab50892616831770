"""Read YAML into plain JSON-like data while remembering where every value came from.

``load_yaml(path)`` returns ``(data, positions)`` where *positions* maps a JSON pointer
(``/beats/2/prompt``) to a :class:`Pos` (file, line, column; 1-based). Only the JSON types
are produced (mapping, sequence, str, int, float, bool, null): any other YAML tag, a
duplicate key, a non-string key, a non-UTF-8 file, a lone surrogate in text, or an alias or
merge-key expansion bigger than :data:`MAX_NODES` is a :class:`~storyrender.errors.BoardError`
naming the place and the limit.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import BoardError, shorten
from ..reads import note_file

__all__ = ["Pos", "load_yaml", "pointer", "nearest", "error_at", "MAX_NODES", "MAX_BYTES"]

#: refuse documents that hold, or expand (through aliases and merge keys) to, more values than this
MAX_NODES = 100_000
#: libyaml when present (about ten times faster), else PyYAML's own
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: a document libyaml refuses is read again by PyYAML, for its wording, up to this size
_PY_FALLBACK_BYTES = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")
#: refuse storyboard files larger than this
MAX_BYTES = 8 * 1024 * 1024

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


@dataclass(frozen=True)
class Pos:
    """Where a value was written."""

    file: str
    line: int
    column: int


def nearest(positions: Mapping[str, Pos], ptr: str) -> Pos | None:
    """Where the value at JSON pointer *ptr* was written, or its nearest written parent."""
    while True:
        p = positions.get(ptr)
        if p or not ptr:
            return p
        ptr = ptr.rsplit("/", 1)[0]


def error_at(positions: Mapping[str, Pos], display: str | None, message: str, ptr: str = "",
             hint: str | None = None, *, shown: str | None = None, default: Pos | None = None) -> BoardError:
    """The :class:`BoardError` for the value at *ptr*: its file:line:column (its nearest written
    parent's, else *default*'s, else *display* alone), naming *shown* (default *ptr*) as the field."""
    p = nearest(positions, ptr) or default
    return BoardError(message, file=p.file if p else display, line=p.line if p else None,
                      column=p.column if p else None, pointer=ptr if shown is None else shown, hint=hint)


def pointer(parts) -> str:
    """A JSON pointer for a path of keys/indexes."""
    out = ""
    for p in parts:
        out += "/" + str(p).replace("~", "~0").replace("/", "~1")
    return out


def load_yaml(path: Path, *, display: str | None = None) -> tuple[Any, dict[str, Pos]]:
    """Parse *path*; return the data and the position of every value by JSON pointer."""
    name = display or str(path)
    try:
        if path.is_dir():
            raise BoardError("is a directory, not a storyboard file", file=name,
                             hint="Pass the path of a .yaml file.")
        if path.exists() and not path.is_file():  # a FIFO, a socket or a device never ends
            raise BoardError("is not a regular file (a pipe or a device?)", file=name,
                             hint="Pass the path of a .yaml file.")
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # bounded, whatever the file claims to be
            note_file(path, os.fstat(fh.fileno()), content=raw)
    except ValueError:  # an embedded NUL byte in the path
        raise BoardError("is not a valid path (it holds a NUL byte)", file=name.replace("\0", "\\0")) from None
    except FileNotFoundError:
        raise BoardError("no such file", file=name, hint="Check the path.") from None
    except PermissionError:
        raise BoardError("cannot be read (permission denied)", file=name) from None
    except IsADirectoryError:
        raise BoardError("is a directory, not a storyboard file", file=name) from None
    if len(raw) > MAX_BYTES:
        raise BoardError(f"is over {MAX_BYTES} bytes, the limit for a storyboard", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BoardError("is not UTF-8 text", file=name, line=line,
                         hint="Save the file as UTF-8.") from None
    if not text.strip():
        raise BoardError("is empty", file=name, line=1,
                         hint="A storyboard needs at least `version: 1` and `beats:` "
                              "(run `storyrender init` for a starter).")
    try:
        try:
            _prescan(text, name, _LOADER)
            node = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:
            # libyaml words errors differently and refuses some escapes PyYAML reads (surrogates,
            # reported by the builder below): a small document is read again by PyYAML itself.
            if _LOADER is yaml.SafeLoader or len(raw) > _PY_FALLBACK_BYTES:
                raise
            _prescan(text, name, yaml.SafeLoader)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise BoardError(f"contains the control character U+{exc.character:04X}, which YAML does not allow",
                         file=name, line=line, column=column,
                         hint="Remove it, or write it as an escape inside double quotes (e.g. \"\\x07\").") from None
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met before ours
            raise _too_deep(text, name) from None
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        raise BoardError(
            f"YAML syntax error: {problem}{ctx}", file=name,
            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
            hint="Fix the YAML at that place (check indentation, colons and quotes).",
        ) from None
    except yaml.YAMLError as exc:
        raise BoardError(f"YAML error: {exc}", file=name) from None
    except RecursionError:
        raise _too_deep(text, name) from None
    if node is None:
        raise BoardError("is empty", file=name, line=1)
    builder = _Builder(name)
    try:
        _expanded_size(node, {}, builder)
        data = builder.build(node, ())
    except RecursionError:
        raise _too_deep(text, name) from None
    return data, builder.positions


#: nesting deeper than this is reported where it starts (real storyboards nest a few levels)
MAX_DEPTH = 64


def _expanded_size(node, memo: dict, builder: "_Builder") -> int:
    """How many values *node* becomes once aliases and merge keys are expanded, computed once per
    distinct node (linear time), so an alias or merge-key bomb is refused before it is built."""
    size = memo.get(id(node))
    if size is not None:
        return size
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, builder) + _expanded_size(v, memo, builder)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            size += _expanded_size(v, memo, builder)
    memo[id(node)] = size
    if size > MAX_NODES:
        builder._counted(node, size)
    return size


def _prescan(text: str, name: str, loader) -> None:
    """Count values and nesting from parser events (no tree, no recursion) before composing, so a
    huge flat list or a very deep document is refused in well under a second."""
    depth = count = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                m = event.start_mark
                raise BoardError(f"YAML nesting is too deep (more than {MAX_DEPTH} levels)", file=name,
                                 line=m.line + 1, column=m.column + 1,
                                 hint="Storyboards nest only a few levels: remove the extra brackets.")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > MAX_NODES:
                m = event.start_mark
                raise BoardError(f"the document holds more than {MAX_NODES} values, the limit for a storyboard",
                                 file=name, line=m.line + 1, column=m.column + 1,
                                 hint="Split it, or remove the long lists.")


def _too_deep(text: str, name: str) -> BoardError:
    """The error for a document nested too deeply, naming the line where it gets too deep."""
    depth = 0
    line = column = None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):  # events: no recursion, stops early
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line, column = event.start_mark.line + 1, event.start_mark.column + 1
                    break
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    return BoardError(f"YAML nesting is too deep (more than {MAX_DEPTH} levels)", file=name, line=line or 1,
                      column=column, hint="Storyboards nest only a few levels: remove the extra brackets.")


class _Builder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.positions: dict[str, Pos] = {}
        self.count = 0
        self._scalar = yaml.constructor.SafeConstructor()

    def _pos(self, node) -> Pos:
        m = node.start_mark
        return Pos(self.name, m.line + 1, m.column + 1)

    def _fail(self, node, message: str, hint: str | None = None):
        p = self._pos(node)
        raise BoardError(message, file=self.name, line=p.line, column=p.column, hint=hint)

    def build(self, node, path: tuple) -> Any:
        self._counted(node)
        self.positions.setdefault(pointer(path), self._pos(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self._fail(node, f"unsupported YAML tag {node.tag}", "Remove the tag.")
            out: dict[str, Any] = {}
            for key_node, value_node in self._pairs(node):
                if not isinstance(key_node, yaml.ScalarNode):
                    self._fail(key_node, "a mapping key must be a plain string")
                key = self._scalar_value(key_node)
                if isinstance(key, bool) or key is None or not isinstance(key, (str, int, float)):
                    self._fail(key_node, f"mapping key {key_node.value!r} must be a string")
                key = str(key)
                if key in out:
                    self._fail(key_node, f"duplicate key {key!r}", "Each key may appear once.")
                out[key] = self.build(value_node, path + (key,))
                self.positions[pointer(path + (key,))] = self._pos(key_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self._fail(node, f"unsupported YAML tag {node.tag}", "Remove the tag.")
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar_value(node)

    def _counted(self, node, n: int = 1) -> None:
        self.count += n
        if self.count > MAX_NODES:
            self._fail(node, f"the document expands to more than {MAX_NODES} values (alias or merge-key bomb?)",
                       "Remove the repeated aliases and merge keys (<<).")

    def _pairs(self, node):
        # Merge keys (<<) are expanded like PyYAML's SafeLoader does, counted against MAX_NODES.
        pairs = []
        merged = []
        self._counted(node, len(node.value))
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                subs = v.value if isinstance(v, yaml.SequenceNode) else [v]
                for sub in subs:
                    if not isinstance(sub, yaml.MappingNode):
                        self._fail(sub, "a merge key (<<) needs a mapping")
                    merged.extend(self._pairs(sub))
            else:
                pairs.append((k, v))
        own = {k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)}
        first: dict = {}  # of several merged mappings, the first to give a key wins (YAML merge spec)
        for k, v in merged:
            name = k.value if isinstance(k, yaml.ScalarNode) else id(k)
            if name not in own:
                first.setdefault(name, (k, v))
        return list(first.values()) + pairs

    def _scalar_value(self, node) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._fail(node, f"unsupported YAML tag {node.tag}", "Remove the tag; write plain values.")
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay text
        try:
            value = self._scalar.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            self._fail(node, f"cannot read the value {shorten(repr(node.value))}",
                       "Numbers have at most 4300 digits; write text in quotes.")
        if isinstance(value, float) and not math.isfinite(value):
            self._fail(node, f"{shorten(repr(node.value))} is not a finite number")
        if isinstance(value, str) and _SURROGATE.search(value):
            bad = _SURROGATE.search(value).group(0)
            self._fail(node, f"the text holds a lone surrogate (U+{ord(bad):04X}), which is not a character",
                       "Write the character itself (or its \\U escape), not half of a UTF-16 pair.")
        return value
