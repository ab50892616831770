"""The runner's policies: retries (capped exponential backoff with jitter, honouring a provider's
Retry-After) and the budget guard."""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field

from ..errors import StoryrenderError
from ..graph.nodes import Node

__all__ = ["RetryPolicy", "BudgetExceeded", "Spend"]


class BudgetExceeded(StoryrenderError):
    """Starting this node would take the spend over ``--budget``."""


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter; a provider's Retry-After wins when larger.

    The defaults come from ``STORYRENDER_RETRY_BASE`` (first backoff, seconds; default 1),
    ``STORYRENDER_RETRY_CAP`` (longest backoff; default 60) and ``STORYRENDER_RETRY_ATTEMPTS``
    (tries per node; default 5), so tests and impatient users can make retries fast.
    """

    attempts: int = field(default_factory=lambda: max(1, int(_env_float("STORYRENDER_RETRY_ATTEMPTS", 5))))
    base: float = field(default_factory=lambda: _env_float("STORYRENDER_RETRY_BASE", 1.0))
    cap: float = field(default_factory=lambda: _env_float("STORYRENDER_RETRY_CAP", 60.0))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        d = random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))
        if retry_after is not None:
            d = max(d, min(float(retry_after), self.cap * 5))
        return d


class Spend:
    """Budget guard: a paid node may start only if spent + reserved + its estimate fits.

    A node's estimate is reserved when it starts; when it finishes with a cost the provider
    reported, the reservation becomes that cost (so a vendor charging more than its list price
    stops further paid calls sooner).
    """

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self.reserved = 0.0
        self.lock = threading.Lock()

    def reserve(self, node: Node) -> None:
        if self.budget is None or node.estimate <= 0:
            return
        with self.lock:
            if self.reserved + node.estimate > self.budget + 1e-9:
                raise BudgetExceeded(
                    f"{node.label}: starting it (${node.estimate:.3f}) would take the spend over the budget "
                    f"of ${self.budget:.2f} (${self.reserved:.3f} already committed)")
            self.reserved += node.estimate

    def settle(self, node: Node, cost: float | None) -> None:
        # Reservations are kept: a started paid call counts against the budget whether or not it succeeded.
        if self.budget is None or node.estimate <= 0 or cost is None:
            return
        with self.lock:
            self.reserved += max(0.0, float(cost) - node.estimate)
