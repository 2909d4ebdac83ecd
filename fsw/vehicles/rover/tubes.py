"""The manager's tubes: what its custody ledger and tube list do when the pickup stows a
tube, the hand-off gives one to the lander's arm, or a tube is left on the ground
(ROV-CUS-* in DESIGN.md). Part of the manager (`rover.py`), as `restart.py` is: custody has
one owner, the manager, and these are the three ways a tube leaves the depot or the rover."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # pragma: no cover
    from .rover import Rover


def stowed(r: "Rover", tube: int) -> bool:
    """The pickup confirmed `tube` in a slot: depot -> rover in the ledger, STOW_TUBE -> IDLE.
    False (nothing moved) when the ledger or the mode table refuses."""
    if not (r.ledger.move(tube, "depot", "rover") and r.trigger("stowed")):
        return False
    r.aboard.append(tube)
    r.tasks.pop(0)
    r.landmarks.pop(tube, None)         # no longer on the ground to be seen
    r._relocalise_trips = 0
    r.task = None
    r.tlm["tubes_stowed"] = len(r.aboard)
    r.emit("TUBE_STOWED", tube=tube, count=len(r.aboard))
    return True


def handed_over(r: "Rover", tube: int) -> None:
    """The lander's arm took `tube` (the gripper let go after TAKEN): rover -> sta."""
    if tube in r.aboard and r.ledger.move(tube, "rover", "sta"):
        r.aboard.remove(tube)
        r.tlm["tubes_handed_over"] += 1
        r.tlm["tubes_stowed"] = len(r.aboard)
        r.emit("HANDOFF_RESULT", tube=tube, result="taken")


def skipped(r: "Rover", attempts: int) -> None:
    """The task tube stays on the ground (no safe path, or the pickup gave up after `attempts`)."""
    r._relocalise_trips = 0
    task = r.tasks.pop(0)
    r.tlm["tubes_skipped"] += 1
    r.emit("TUBE_SKIPPED", tube=task.tube, attempts=attempts)
    r.task = None


__all__ = ["handed_over", "skipped", "stowed"]
