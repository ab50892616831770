"""The shape of a written story: the JSON Schema a writer's answer must match, the instructions
that ask for it, and the check of an answer.

The answer schema is derived from the storyboard schema (``schemas/storyboard.schema.json``):
each beat's ``prompt``, ``camera`` and ``caption`` keep the descriptions and length limits the
board gives them, so what a writer returns always drops into a board that validates. It is
written in the subset that vendors' structured-output modes accept (every property required,
no additional properties), and fixes the number of beats (``minItems == maxItems``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["SYSTEM", "CAMERAS", "Story", "answer_schema", "vendor_schema", "instructions", "parse_answer", "MalformedStory"]

#: the writer's role, sent as the system message by vendors that take one
SYSTEM = ("You are a storyboard writer for AI video. Answer only with JSON that matches the given schema; "
          "write every prompt in the language of the premise.")

#: the camera hints a written beat may use (the storyboard schema's list for ``camera``)
CAMERAS = ("static", "push-in", "pull-out", "pan-left", "pan-right", "tilt-up", "tilt-down", "orbit")


class MalformedStory(ValueError):
    """A writer's answer is not a story of the asked shape (nothing is written)."""


@dataclass(frozen=True)
class Story:
    """A written story: a title and, per beat, a prompt, a camera hint and a caption."""

    title: str
    beats: tuple[dict[str, str], ...]


def _beat_fields() -> dict[str, dict]:
    from ..resources import schema_path

    board = json.loads(schema_path().read_text("utf-8"))
    return board["$defs"]["beat"]["properties"]


def answer_schema(n_beats: int) -> dict[str, Any]:
    """The JSON Schema of an answer telling a story in exactly *n_beats* beats."""
    beat = _beat_fields()

    def text(name: str, max_len: int) -> dict:
        return {"type": "string", "description": beat[name]["description"],
                "maxLength": min(max_len, beat[name].get("maxLength", max_len))}

    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "beats"],
        "properties": {
            "title": {"type": "string", "description": "A short title for the video.", "maxLength": 120},
            "beats": {
                "type": "array", "minItems": n_beats, "maxItems": n_beats,
                "description": "The beats in order; each is one clip of the video.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["prompt", "camera", "caption"],
                    "properties": {
                        "prompt": text("prompt", 600),
                        "camera": {"type": "string", "enum": list(CAMERAS),
                                   "description": beat["camera"]["description"]},
                        "caption": text("caption", 80),
                    },
                },
            },
        },
    }


_LIMITS = frozenset({"maxLength", "minLength", "minItems", "maxItems"})


def vendor_schema(n_beats: int) -> dict[str, Any]:
    """:func:`answer_schema` in the subset every vendor's strict structured-output mode accepts:
    every property required, no additional properties, no length or count constraints (the beat
    count is in the instructions and the descriptions; :func:`parse_answer` checks it)."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in _LIMITS}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    schema = strip(answer_schema(n_beats))
    schema["properties"]["beats"]["description"] = f"Exactly {n_beats} beats, in order; each is one clip of the video."
    return schema


def instructions(premise: str, style: str, beats: tuple[float, ...]) -> str:
    """The request text a writer model receives (the schema travels beside it)."""
    lengths = ", ".join(f"{s:g} s" for s in beats)
    return (
        "You write storyboards for short AI-generated videos. A video is made of beats; each beat is "
        "one continuous clip whose first frame is the previous beat's last frame, so consecutive beats "
        "must flow into each other in one place and one continuous moment-to-moment action.\n"
        f"Premise: {premise}\n"
        f"Visual style (added to every prompt separately; do not repeat it): {style or 'none given'}\n"
        f"Write exactly {len(beats)} beats, lasting {lengths} (total {sum(beats):g} s), with a "
        "progression: an opening that establishes the scene, development, a turn or high point, and a "
        "resolution. For each beat give: prompt (one or two sentences describing what is seen at the "
        "END of the beat, concrete and visual, naming the subject each time), camera (one of "
        f"{', '.join(CAMERAS)}), caption (a few words shown on screen). Also give a short title. "
        "Answer with JSON only."
    )


def parse_answer(data: bytes | str, n_beats: int) -> Story:
    """The story in a writer's answer, checked against :func:`answer_schema`.

    :raises MalformedStory: saying what is wrong (not JSON, wrong number of beats, a missing or
        empty field, an unknown camera hint).
    """
    import jsonschema

    try:
        doc = json.loads(data)
    except (ValueError, TypeError) as exc:
        raise MalformedStory(f"the answer is not JSON ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    validator = jsonschema.Draft202012Validator(answer_schema(n_beats))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "the answer"
        raise MalformedStory(f"{where}: {e.message[:200]}")
    beats = []
    for i, b in enumerate(doc["beats"], 1):
        prompt = " ".join(b["prompt"].split())
        if not prompt:
            raise MalformedStory(f"beats/{i - 1}/prompt is empty")
        beats.append({"prompt": prompt, "camera": b["camera"], "caption": " ".join(b["caption"].split())})
    return Story(" ".join(doc["title"].split()) or "Untitled", tuple(beats))
