"""The tube hand-off interface between a delivering rover and the lander's Sample Transfer Arm.

One interface for both delivery options: the Sample Fetch Rover bringing tubes from depots
and Perseverance bringing the tubes it carries. The rover parks at the hand-off point,
holds one tube out and OFFERs it by id, with where it holds it (local frame, from its own
localisation against the lander); the arm reaches there, grasps it and answers TAKEN (or
REFUSED), after which the rover lets go. The rover says DONE when it has nothing more to offer.
The lander also sends FIX: where its cameras see the rover (local frame) with the fix's
uncertainty, so the rover can re-localise near the lander.

Messages ride the proximity radio in flight; `loopback_pair()` gives two connected
in-memory endpoints for SIL and tests (the `loop://` of this link). Delivery is FIFO and
deterministic.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

KINDS = ("OFFER", "TAKEN", "REFUSED", "DONE", "FIX")


@dataclass(frozen=True)
class HandoffMessage:
    kind: str
    tube: int = 0
    xyz_m: tuple[float, float, float] | None = None   # OFFER: where the tube is held; FIX: the rover (local frame)
    sigma_m: float = 0.0                              # FIX: the position's uncertainty (1 sigma)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown hand-off message kind {self.kind!r}")


class HandoffEndpoint:
    """One side of the link: `send` to the peer, `receive` drains what the peer sent."""

    def __init__(self, inbox: deque, outbox: deque) -> None:
        self._in = inbox
        self._out = outbox

    def send(self, kind: str, tube: int = 0, xyz_m: tuple[float, float, float] | None = None,
             sigma_m: float = 0.0) -> None:
        self._out.append(HandoffMessage(kind, tube, xyz_m, sigma_m))

    def receive(self) -> list[HandoffMessage]:
        out = list(self._in)
        self._in.clear()
        return out


def loopback_pair() -> tuple[HandoffEndpoint, HandoffEndpoint]:
    """(rover end, lander end) of an in-memory link."""
    a: deque = deque()
    b: deque = deque()
    return HandoffEndpoint(a, b), HandoffEndpoint(b, a)
