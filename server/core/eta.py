"""ETA that learns: an exponentially weighted moving average of observed waits per queue.

A new observation w moves the estimate e to e + alpha·(w − e): recent answer times count most,
one slow answer does not dominate, and the prior is forgotten after a handful of cases.
"""

from __future__ import annotations

import math


class EwmaEstimator:
    def __init__(self, prior_seconds: float, alpha: float) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self._prior = prior_seconds
        self._alpha = alpha
        self._by_queue: dict[str, float] = {}

    def observe(self, queue: str, wait_seconds: float) -> None:
        current = self._by_queue.get(queue, self._prior)
        self._by_queue[queue] = current + self._alpha * (max(0.0, wait_seconds) - current)

    def mean_wait(self, queue: str) -> float:
        return self._by_queue.get(queue, self._prior)

    def eta(self, queue: str, position: int, serving_agents: int) -> float | None:
        """Seconds until a case at this 1-based position is answered; None if nobody serves."""
        if serving_agents <= 0:
            return None
        rounds = math.ceil(position / serving_agents)
        return rounds * self.mean_wait(queue)
