"""The campaign's phases: which scenario flies each, what it is given, and its seed.

Each phase is a scenario deployment with its own seed drawn from the campaign seed; each
phase's results become the next one's overrides (`chain`). The quiet period before a phase
(cruise, the wait on the surface, Earth return) is not simulated: it is on the timeline,
compressed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from . import chain

DAY_S = 86_400.0


@dataclass(frozen=True)
class Phase:
    name: str
    scenario: str
    title: str
    quiet_before: tuple[str, float]   # what happens, compressed, before this phase (label, s)
    inputs: Callable[[Mapping[str, Mapping[str, Any]]], dict[str, Any]]
    # from this phase's own campaign overrides alone (never from what earlier phases give it),
    # the summary (what the next phase reads of it) it ends with if all goes to plan: lets
    # the phases after it fly ahead on another core from the campaign's start (ahead.py),
    # each of them reading only the summary of the phase before it (as PHASES' inputs do)
    predict: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None


PHASES: tuple[Phase, ...] = (
    Phase("landing", "landing", "SRL entry, descent and landing on a safe site",
          ("cruise to Mars", 220 * DAY_S), lambda s: {}),
    Phase("delivery", "fetch", "tubes brought to the lander and sealed in the OS",
          ("lander checkout on the surface", 14 * DAY_S), lambda s: chain.after_landing(s["landing"]),
          predict=chain.predict_delivery),
    Phase("ascent", "ascent", "MAV conditioning, checkout, launch, ascent, OS release",
          ("MAV thermal conditioning wait", 30 * DAY_S), lambda s: chain.after_fetch(s["delivery"])),
    Phase("capture", "capture", "ERO search, rendezvous, capture, containment, EEV release",
          ("ERO phasing towards the OS", 3 * DAY_S), lambda s: chain.after_ascent(s["ascent"])),
)


def phase_seeds(seed: int, n: int) -> list[int]:
    """Independent, reproducible phase seeds from the campaign seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]
