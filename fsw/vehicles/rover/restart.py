"""The rover manager's warm restart: what it checkpoints, and the first step after a restore
(ROV-RST-* in DESIGN.md). The pickup, the hand-off, navigation and mobility checkpoint and
resume their own work; the manager puts back custody, the tube list and its drive.

Custody first: a tube a slot sensor reads is aboard (moved once from the depot if the ledger
still had it there; the stow confirmation of the current task does that itself); a tube the
ledger has aboard that neither a slot nor the gripper holds was taken by the lander's arm if
the rover was handing over. Then the drive: egress goes on to its goal, a traverse or a
return replans from the restored pose (a traverse with no task left is abandoned to IDLE).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:   # pragma: no cover
    from .rover import Rover

TLM_KEPT = ("tubes_handed_over", "tubes_skipped", "device_faults")
WORKING = ("TRAVERSE", "APPROACH_TUBE", "ACQUIRE", "STOW_TUBE")   # a task is under way


def checkpoint(r: "Rover") -> dict[str, Any]:
    """Custody, what is aboard, the tube list, the flags and the counters fault protection watches."""
    return {
        "custody": r.ledger.snapshot(), "aboard": list(r.aboard),
        "tasks": [(t.tube, t.x_m, t.y_m) for t in r.tasks],
        "landmarks": [(k, x, y) for k, (x, y) in sorted(r.landmarks.items())],
        "flags": {"lander_landed": r.lander_landed_flag, "egressed": r.egressed, "done": r.done},
        "egress": (r.egress_start, r._egress_goal),
        "work": {"relocalise_trips": r._relocalise_trips},
        "tlm": {k: r.tlm[k] for k in TLM_KEPT},
    }


def restore(r: "Rover", state: Mapping[str, Any]) -> None:
    """Put the checkpoint back; the next step reconciles custody (`resume`)."""
    from .rover import TubeTask
    r.ledger.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
    r.aboard = [int(t) for t in state.get("aboard", ()) if r.ledger.location(int(t)) == "rover"]
    if "tasks" in state:
        r.tasks = [TubeTask(int(t), float(x), float(y)) for t, x, y in state["tasks"]]
    if "landmarks" in state:
        r.landmarks = {int(t): (float(x), float(y)) for t, x, y in state["landmarks"]}
    flags = state.get("flags", {})
    r.lander_landed_flag = bool(flags.get("lander_landed", r.lander_landed_flag))
    r.egressed = bool(flags.get("egressed", r.egressed))
    r.done = bool(flags.get("done", r.done))
    start, goal = state.get("egress", (None, None))
    r.egress_start = None if start is None else (float(start[0]), float(start[1]))
    r._egress_goal = None if goal is None else (float(goal[0]), float(goal[1]))
    r._relocalise_trips = int(state.get("work", {}).get("relocalise_trips", 0))
    for k, v in state.get("tlm", {}).items():
        if k in TLM_KEPT and isinstance(v, int):
            r.tlm[k] = v
    r.tlm["tubes_stowed"] = len(r.aboard)


def _reconcile(r: "Rover", tube: int, source: str, dest: str, why: str) -> bool:
    if not r.ledger.move(tube, source, dest):
        return False
    r.emit("CUSTODY_RECONCILED", tube=tube, source=source, dest=dest, why=why)
    return True


def resume(r: "Rover") -> None:
    """First step after a warm restart: custody against the slot sensors and the gripper, then the drive."""
    r._restored = False
    slots = [r._call(s.read) for s in r.slot_sensors]
    r._slots = slots
    seen = {int(s.tube_id): f"slot{k}" for k, s in enumerate(slots) if s is not None and s.present}
    holding, held = r._gripper()
    r.task = r.tasks[0] if r.tasks and r.mode in WORKING else None
    for tube, slot in sorted(seen.items()):
        if r.ledger.location(tube) == "depot" and not (r.mode == "STOW_TUBE" and r.task is not None
                                                       and tube == r.task.tube):
            if _reconcile(r, tube, "depot", "rover", f"seen in {slot}"):
                r.aboard.append(tube)
                r.tasks = [t for t in r.tasks if t.tube != tube]
                r.landmarks.pop(tube, None)
    if r.mode == "HANDOFF":
        for tube in [t for t in r.aboard if t not in seen and t != held]:
            if _reconcile(r, tube, "rover", "sta", "in neither a slot nor the gripper: taken"):
                r.aboard.remove(tube)
                r.tlm["tubes_handed_over"] += 1
    sensed = set(seen) | ({held} if held else set())
    r.emit("CUSTODY_CHECK", ledger=",".join(map(str, sorted(r.aboard))) or "-",
           sensors=",".join(map(str, sorted(sensed))) or "-", ok=set(r.aboard) <= sensed)
    r.tlm["tubes_stowed"] = len(r.aboard)
    if r.mode == "EGRESS" and r._egress_goal is not None:
        r.drive.straight(r.nav, r._egress_goal, "egress (resumed)")
    elif r.mode in ("TRAVERSE", "RETURN"):
        r._replan = True
        if r.mode == "TRAVERSE" and r.task is None:
            r.trigger("abandon")
    # APPROACH_TUBE, ACQUIRE, STOW_TUBE: the pickup resumes (pickup.py); HANDOFF: the hand-off


__all__ = ["TLM_KEPT", "checkpoint", "restore", "resume"]
