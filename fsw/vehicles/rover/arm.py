"""The rover's arm and gripper, as the pickup and the hand-off command them: one way to move
the arm, one test of "there yet", one way to work the jaws, through the calling component's
`device_call` (`ArmUser`, a mixin for a component with `arm`, `gripper` and `terrain`)."""
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


class ArmUser:
    """The arm, the gripper's jaws and the ground height, for the pickup and the hand-off."""

    arm: Any
    gripper: Any
    terrain: Any

    def _jaws(self, open_: bool) -> None:
        if self.gripper is not None:
            self.device_call(self.gripper.open_jaws if open_ else self.gripper.close_jaws)

    def _arm_to(self, target) -> None:
        move_arm(self, self.arm, target)

    def _arm_at(self, target) -> bool:
        return arm_at(self, self.arm, target)

    def _height_at(self, x: float, y: float) -> float:
        return self.terrain.height_at(x, y) if self.terrain is not None else 0.0


__all__ = ["ARM_AT_M", "ArmUser", "arm_at", "move_arm"]
