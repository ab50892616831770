"""A prepared board: its model, its resolved providers and its graph (nothing written, nothing spent)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache.keys import file_digest
from ..spec import Board
from .nodes import Graph

if TYPE_CHECKING:  # the resolution is made above this layer and handed in as data
    from ..providers.resolve import Resolution

__all__ = ["Prepared", "characters_doc"]


@dataclass
class Prepared:
    board: Board
    resolution: "Resolution"
    graph: Graph

    @property
    def video_seconds(self) -> float:
        """The planned video's length: its frames (each cut on the frame nearest its time) over the fps."""
        return sum(p["frames"] for p in self.graph.info["pieces"]) / self.board.output.fps


def characters_doc(board: Board, base: Path) -> list[dict[str, Any]]:
    """Each character: name, description, its reference image (path relative to *base*, with its sha256: the
    file providers that take references receive) and the beats it is in."""
    out = []
    for name, ch in board.characters.items():
        image = None
        if ch.image is not None:
            image = {"path": Path(os.path.relpath(ch.image, base)).as_posix(), "sha256": file_digest(ch.image)}
        out.append({"name": name, "description": ch.description, "reference": image,
                    "beats": [b.index for b in board.beats if name in b.characters]})
    return out
