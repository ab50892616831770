"""Prompts: the one way a request's prompt, camera and negative prompt become the text sent."""

from __future__ import annotations

from typing import Any, Mapping

#: a next-keyframe prompt for models that take one plain prompt (``str.format`` with
#: ``seconds`` and ``prompt``); boards override it with ``options.keyframe_prompt``
NEXT_KEYFRAME_PROMPT = "The same scene, {seconds:g} seconds later: {prompt}"


def compose_prompt(request: Any, *, negative_inline: bool = False, prompt: str | None = None) -> str:
    """The text to send for *request*: its prompt (or *prompt*, e.g. a next-keyframe template
    already applied), then ``" Camera: <camera>."`` when the request carries a camera hint, then
    ``" Avoid: <negative>."`` when *negative_inline* (for models without a negative-prompt
    parameter). Camera and negative prompt arrive only to providers that declare they read them
    (``Provider.reads``), so they are in the node's key exactly when they are in this text."""
    text = request.prompt if prompt is None else prompt
    camera = getattr(request, "camera", "")
    if camera:
        text = f"{text.strip().rstrip('.')}. Camera: {camera}."
    if negative_inline:
        text = with_negative(text, getattr(request, "negative_prompt", ""))
    return text


def with_camera(prompt: str, camera: "str | Mapping[str, Any] | None") -> str:
    """*prompt* with a camera hint appended (``"... Camera: slow pan left."``); prefer
    :func:`compose_prompt`."""
    if isinstance(camera, Mapping):
        camera = camera.get("camera")
    return f"{prompt.strip().rstrip('.')}. Camera: {camera}." if camera else prompt


def with_negative(prompt: str, negative: str) -> str:
    """*prompt* with ``" Avoid: <negative>."`` appended, for models without a negative prompt."""
    return f"{prompt} Avoid: {negative.strip()}." if negative and negative.strip() else prompt

