"""A prepared board: its model, its resolved providers and its graph (nothing written, nothing spent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..spec import Board
from .nodes import Graph

if TYPE_CHECKING:  # the resolution is made above this layer and handed in as data
    from ..providers.resolve import Resolution

__all__ = ["Prepared"]


@dataclass
class Prepared:
    board: Board
    resolution: "Resolution"
    graph: Graph

    @property
    def video_seconds(self) -> float:
        """The planned video's length: its frames (each cut on the frame nearest its time) over the fps."""
        return sum(p["frames"] for p in self.graph.info["pieces"]) / self.board.output.fps
