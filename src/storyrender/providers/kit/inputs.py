"""Input mappings, for marketplaces of models whose parameters a board names."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from ...errors import ProviderError
from ...vocabulary import Job
from .images import aspect_of, nearest_aspect

#: the keys of a board's ``options.inputs`` (what a model's parameters can take)
INPUT_KEYS = ("prompt", "first_frame", "last_frame", "image", "duration", "seed", "aspect_ratio",
              "negative_prompt")


@dataclass(frozen=True)
class InputMap:
    """Which parameter of a hosted model takes what (None: the model has no such parameter).

    :param duration_format: how seconds are written (``"{:g}s"`` gives "6s"); None sends a number.
    :param aspect_ratios: ``aspect_ratio`` is sent as the nearest of these to the board's size;
        a string is sent as it is (e.g. ``"match_input_image"``); None sends ``W:H`` in lowest terms.
    :param defaults: parameters always sent (a board's ``params`` override them).
    """

    prompt: str | None = "prompt"
    first_frame: str | None = None
    last_frame: str | None = None
    image: str | None = None
    duration: str | None = None
    seed: str | None = None
    aspect_ratio: str | None = None
    negative_prompt: str | None = None
    duration_format: str | None = None
    aspect_ratios: tuple[str, ...] | str | None = None
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def jobs(self) -> frozenset[Job]:
        """The jobs this mapping can do (a first and last frame, a first frame, an image, a prompt)."""
        if self.first_frame and self.last_frame:
            return frozenset({Job.FIRST_LAST_VIDEO, Job.FIRST_FRAME_VIDEO})
        if self.first_frame:
            return frozenset({Job.FIRST_FRAME_VIDEO})
        if self.image:
            return frozenset({Job.NEXT_KEYFRAME})
        return frozenset({Job.TEXT_TO_IMAGE})

    def merged(self, names: Mapping[str, Any]) -> "InputMap":
        """A copy with a board's ``options.inputs`` over these names (empty values unset one)."""
        return dataclasses.replace(self, **{k: (v or None) for k, v in names.items() if k in INPUT_KEYS})

    def aspect_value(self, width: int, height: int) -> str:
        """What to send as ``aspect_ratio`` for a board of width x height."""
        if isinstance(self.aspect_ratios, str):
            return self.aspect_ratios
        if self.aspect_ratios:
            return nearest_aspect(width, height, self.aspect_ratios)
        return aspect_of(width, height)

    def duration_value(self, seconds: float) -> Any:
        """What to send as ``duration``: :attr:`duration_format` applied, else an int when whole."""
        secs = float(seconds)
        if self.duration_format:
            return self.duration_format.format(secs)
        return int(secs) if secs.is_integer() else secs

    def fill(self, args: dict[str, Any], prompt: str, request: Any, params: Any) -> dict[str, Any]:
        """Put :attr:`defaults`, *prompt*, the request's negative prompt, seed and aspect ratio, then
        a board's *params* (extra values, sent as they are) into *args*; returns *args*.

        :raises ProviderError: when *params* is not a mapping.
        """
        args.update(self.defaults)
        if self.prompt and prompt:
            args[self.prompt] = prompt
        if self.negative_prompt and request.negative_prompt:
            args[self.negative_prompt] = request.negative_prompt
        if self.seed:
            args[self.seed] = int(request.seed)
        if self.aspect_ratio:
            args[self.aspect_ratio] = self.aspect_value(request.width, request.height)
        params = params or {}
        if not isinstance(params, Mapping):
            raise ProviderError("options.params must be a mapping of parameter names to values")
        args.update(params)
        return args


def input_key_problems(who: str, names: Any, example: str) -> list[str]:
    """Problems with a board's ``options.inputs`` (*names*): not a mapping, or unknown keys.

    :param example: a mapping to suggest, such as ``"{first_frame: start_image, ...}"``.
    """
    if names is None:
        return []
    if not isinstance(names, Mapping):
        return [f"{who}: options.inputs must be a mapping such as {example}"]
    unknown = sorted(set(names) - set(INPUT_KEYS))
    if unknown:
        return [f"{who}: options.inputs has unknown keys {', '.join(unknown)}; known keys: {', '.join(INPUT_KEYS)}"]
    return []

