"""Edits of a board's YAML that keep its comments and layout (ruamel.yaml round trip).

Each edit loads the file as it is on disk, changes one thing, and :func:`apply` validates the
result (the whole board: schema, files, providers) before it atomically replaces the file. A
board whose beats come from a template (``extends:``) is not edited beat by beat: the error says
to edit the template or write the beats into the board.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Callable

from ..errors import BoardError

__all__ = ["EditError", "apply", "new_take", "set_prompt", "delete_beat", "add_beats", "pin_frame"]


class EditError(BoardError):
    """An edit that cannot be made (the file is left as it was)."""


def _yaml():
    from ruamel.yaml import YAML

    y = YAML()  # round trip: comments, key order, quotes and flow style are kept
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _load(path: Path) -> Any:
    return _yaml().load(path.read_text("utf-8"))


def _dump(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def _beats(doc: Any, path: Path) -> Any:
    beats = doc.get("beats") if hasattr(doc, "get") else None
    if beats is None or doc.get("extends") is not None:
        raise EditError("this board's beats are not all written in it (it extends a template)", file=str(path),
                        hint="Edit the template, or copy its beats into this board under beats:.")
    return beats


def _beat(doc: Any, path: Path, index: int) -> Any:
    beats = _beats(doc, path)
    if not 1 <= index <= len(beats):
        raise EditError(f"there is no beat {index} (the board has {len(beats)})", file=str(path))
    return beats[index - 1]


def apply(path: Path, edit: Callable[[Any], None], *, offline: bool = False) -> str:
    """Run *edit* on the board's document, validate the result, replace the file; the new text."""
    from ..api import prepare

    path = Path(path)
    doc = _load(path)
    edit(doc)
    text = _dump(doc)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.edit{path.suffix}")  # beside it: same relative paths
    try:
        tmp.write_text(text, "utf-8")
        prepare(tmp, offline=offline)  # the whole board: schema, files, providers; raises BoardError
        os.replace(tmp, path)
    except BoardError as exc:  # the errors name the board, not the copy that was checked
        for err in [exc, *getattr(exc, "errors", [])]:
            if err.file == str(tmp):
                err.file = str(path)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return text


def new_take(path: Path, index: int, **kw) -> str:
    """Bump beat *index*'s ``take`` (a new version of its clip, nothing else re-renders)."""
    def edit(doc):
        beat = _beat(doc, path, index)
        beat["take"] = int(beat.get("take") or 1) + 1
    return apply(path, edit, **kw)


def set_prompt(path: Path, index: int, prompt: str, **kw) -> str:
    text = " ".join(str(prompt).split())
    if not text:
        raise EditError("a beat's prompt cannot be empty", file=str(path))

    def edit(doc):
        _beat(doc, path, index)["prompt"] = text
    return apply(path, edit, **kw)


def delete_beat(path: Path, index: int, **kw) -> str:
    def edit(doc):
        beats = _beats(doc, path)
        _beat(doc, path, index)
        if len(beats) == 1:
            raise EditError("a board needs at least one beat; this is the last one", file=str(path))
        del beats[index - 1]
    return apply(path, edit, **kw)


def add_beats(path: Path, prompts: list[str], **kw) -> str:
    """Append one beat per prompt (each with a fresh id; lengths follow the board's ``seconds``)."""
    from ruamel.yaml.comments import CommentedMap

    clean = [" ".join(str(p).split()) for p in prompts]
    if not clean or not all(clean):
        raise EditError("give each new beat a prompt", file=str(path))

    def edit(doc):
        beats = _beats(doc, path)
        ids = {str(b.get("id")) for b in beats if hasattr(b, "get")}
        last = beats[-1] if len(beats) else None
        for p in clean:
            n = len(beats) + 1
            bid = f"beat-{n}"
            while bid in ids:
                n += 1
                bid = f"beat-{n}"
            ids.add(bid)
            beat = CommentedMap()
            beat["id"] = bid
            beat["prompt"] = p
            if last is not None and hasattr(last, "get") and last.get("seconds") is not None:
                beat["seconds"] = last["seconds"]
            beats.append(beat)
    return apply(path, edit, **kw)


def pin_frame(path: Path, index: int, image: Path, **kw) -> str:
    """Pin beat *index*'s end keyframe to a copy of *image* in ``frames/`` (stops the cascade).

    All or nothing: when the pinned board is rejected, ``frames/`` is as it was (a new copy is
    removed, a replaced one restored, a folder made for it removed)."""
    from ..atomic import write_bytes

    folder = path.parent / "frames"
    made_folder = not folder.exists()
    placed: list[tuple[Path, bytes | None]] = []  # (file written, its bytes before: None when new)

    def edit(doc):
        beat = _beat(doc, path, index)
        name = f"{beat.get('id') or f'beat-{index}'}.png"
        dest = folder / name
        data = Path(image).read_bytes()
        before = dest.read_bytes() if dest.is_file() else None
        if before != data:
            folder.mkdir(exist_ok=True)
            placed.append((dest, before))
            write_bytes(dest, data)
        beat["end_image"] = f"frames/{name}"

    try:
        return apply(path, edit, **kw)
    except BaseException:
        for dest, before in placed:
            if before is None:
                dest.unlink(missing_ok=True)
            else:
                write_bytes(dest, before)
        if made_folder and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise
