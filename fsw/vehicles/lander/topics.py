"""The lander's topics: what its components tell each other over the bus (wired in vehicle.py).

Each component publishes its state when it changes (a mode change, the end of its step), so
a reader in a later rate group sees what it would have seen reading the publisher directly.
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.ports import Topic


@dataclass(frozen=True)
class StaStatus:
    """The Sample Transfer Arm as the lander's surface phases need it."""

    mode: str
    busy: bool       # work to do or under way: the lander stays in SAMPLE_TRANSFER
    sealed: bool     # the Orbiting Sample container is sealed


LANDER_MODE = Topic("lander.mode", str, "the lander's mode, published on every change")
STA_STATUS = Topic("sta.status", StaStatus, "the arm's mode and work, on every change and step")

LANDER_TOPICS = (LANDER_MODE, STA_STATUS)

__all__ = ["LANDER_MODE", "LANDER_TOPICS", "STA_STATUS", "StaStatus"]
