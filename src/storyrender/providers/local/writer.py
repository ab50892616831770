"""The local provider's writer (`storyrender new --offline`): a template, not a story.

It tells any premise in the same progression (an opening that establishes the scene, approach,
discovery, build-up, high point, turn, resolution), spread over the beats, the way the product
plan's sketch splits "a cat in a magical forest" into enters / approaches / climbs / ... /
descends. Every prompt is the premise plus its phase's direction, so the result is legible and
renders, and is meant to be rewritten by a person (or by a text-model writer).
"""

from __future__ import annotations

__all__ = ["PHASES", "template_story"]

#: (id, caption, camera, direction) in story order
PHASES = (
    ("opening", "Opening", "push-in", "a wide establishing view of the place, the subject just arriving"),
    ("approach", "Approach", "push-in", "the subject moves closer to what draws it, details of the place emerge"),
    ("discovery", "Discovery", "pan-right", "the subject finds something unexpected and stops to look"),
    ("build", "Build-up", "tilt-up", "the subject engages with it and the action builds"),
    ("high-point", "High point", "orbit", "the most striking moment, the subject at the centre of it"),
    ("turn", "Turn", "pan-left", "the mood shifts, the subject reacts and turns away"),
    ("resolution", "Resolution", "pull-out", "the scene settles, the subject at rest in a final wide view"),
)


def template_story(premise: str, n_beats: int) -> dict:
    """The answer the offline writer gives for *premise* in *n_beats* beats (answer-schema JSON)."""
    base = " ".join(premise.split()).rstrip(" .!?;:,") or "A scene"
    last = len(PHASES) - 1
    beats, seen = [], {}
    for i in range(n_beats):
        idx = 0 if n_beats == 1 else round(i * last / (n_beats - 1))
        pid, caption, camera, direction = PHASES[idx]
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:
            caption = f"{caption} ({seen[pid]})"
        beats.append({"prompt": f"{base}: {direction}.", "camera": camera, "caption": caption})
    title = base[:1].upper() + base[1:]
    return {"title": title[:120], "beats": beats}
