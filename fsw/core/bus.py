"""Message bus between a vehicle's components, with a deterministic delivery order.

Messages published during a rate group are queued and delivered when the executive calls
`deliver()` (after each group): in publish order, each to its topic's subscribers in the order
they subscribed. No threads, no dict-order surprises from outside. Components reach it through
typed ports (fsw.core.ports), never by topic strings of their own.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

Handler = Callable[[str, Any], None]


class BusOverflow(RuntimeError):
    """Delivery kept producing messages past the per-pass limit (a publish loop)."""


class Bus:
    def __init__(self, max_per_pass: int = 10_000) -> None:
        self._subs: dict[str, list[Handler]] = {}
        self._queue: deque[tuple[str, Any]] = deque()
        self._max = max_per_pass
        self.delivered = 0
        self.dropped_no_subscriber = 0

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._subs.setdefault(topic, []).append(handler)

    @property
    def subscribed(self) -> bool:
        return bool(self._subs)

    def publish(self, topic: str, message: Any) -> None:
        self._queue.append((topic, message))

    def deliver(self) -> int:
        """Deliver queued messages (and those they cause) in FIFO order; return how many."""
        n = 0
        queue = self._queue
        while queue:
            topic, message = queue.popleft()
            handlers = self._subs.get(topic)
            if not handlers:
                self.dropped_no_subscriber += 1
                continue
            for h in handlers:
                h(topic, message)
            n += 1
            if n > self._max:
                queue.clear()
                raise BusOverflow(f"more than {self._max} messages in one delivery pass")
        self.delivered += n
        return n

    @property
    def pending(self) -> int:
        return len(self._queue)
