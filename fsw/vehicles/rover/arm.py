"""The rover's arm, as the pickup (manager) and the hand-off command it: one way to move it
and one test of "there yet", through the calling component's `device_call`."""
from __future__ import annotations

from typing import Any, Sequence

from fsw.core.devices import failed

ARM_AT_M = 0.02          # the arm is at a target when every axis is within this


def move_arm(component: Any, arm: Any, target: Sequence[float]) -> None:
    """Command the arm to `target` (arm frame, m); no arm, no motion."""
    if arm is not None:
        component.device_call(arm.move_to, tuple(float(c) for c in target))


def arm_at(component: Any, arm: Any, target: Sequence[float]) -> bool:
    """The arm reports it reached `target` (within ARM_AT_M on every axis); False without an arm
    or when the read fails (the fault is reported by `device_call`)."""
    if arm is None:
        return False
    r = component.device_call(arm.read)
    return (not failed(r) and bool(r.at_target)
            and max(abs(r.position_m[k] - target[k]) for k in range(3)) < ARM_AT_M)


__all__ = ["ARM_AT_M", "arm_at", "move_arm"]
