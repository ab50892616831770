"""The render graph: pure data built from a board (no I/O beyond hashing pinned files)."""

from .nodes import Graph, Node

__all__ = ["Graph", "Node"]
