"""The MAV flight manager's mode table (MSR_FACTS.md, "Mars Ascent Vehicle").

Ground phases run from STOWED through thermal conditioning and OS loading (several
sessions, returning to conditioning between them so temperatures recover) to CHECKOUT.
The count (COUNTDOWN -> ARMED -> LAUNCH) is guarded by the launch interlocks on *every*
edge that advances it, so no path reaches ignition without a passed checkout and all five
interlocks true at arming and again at launch. A failed interlock moves the count to HOLD.
After ignition there is no way back to the ground modes: faults lead to ABORT, whose only
useful outcome is to release the OS into whatever orbit was reached, or SAFE.
"""
from __future__ import annotations

from fsw.core.modes import ModeTable, T

LAUNCH_INTERLOCKS = ("grain_warm", "rcs_warm", "os_sealed", "checkout_passed", "ero_plane_ok")

GROUND_MODES = ("STOWED", "THERMAL_CONDITIONING", "OS_LOADING", "CHECKOUT", "COUNTDOWN",
                "ARMED", "HOLD")
FLIGHT_MODES = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN",
                "ORBIT_INSERTION", "OS_RELEASE", "ABORT")

MAV_MODES = ModeTable(
    modes=GROUND_MODES + FLIGHT_MODES + ("SAFE", "PASSIVE"),
    initial="STOWED",
    safe="SAFE",
    terminal=("PASSIVE",),
    transitions=(
        T("start_conditioning", "STOWED", "THERMAL_CONDITIONING"),
        T("begin_loading", "THERMAL_CONDITIONING", "OS_LOADING", "thermal_ok"),
        T("end_loading_session", "OS_LOADING", "THERMAL_CONDITIONING"),
        T("begin_checkout", "THERMAL_CONDITIONING", "CHECKOUT", "thermal_ok", "os_sealed"),
        T("checkout_done", "CHECKOUT", "COUNTDOWN", "checkout_passed"),
        T("checkout_done", "CHECKOUT", "HOLD", unless=("checkout_passed",)),
        T("arm", "COUNTDOWN", "ARMED", *LAUNCH_INTERLOCKS),
        T("launch", "ARMED", "LAUNCH", *LAUNCH_INTERLOCKS),
        T("hold_count", ("COUNTDOWN", "ARMED", "CHECKOUT"), "HOLD"),
        T("resume_count", "HOLD", "COUNTDOWN", "checkout_passed"),
        T("recheck", "HOLD", "CHECKOUT"),
        T("recondition", "HOLD", "THERMAL_CONDITIONING"),
        T("ignite_stage1", "LAUNCH", "STAGE1_BURN"),
        T("stage1_burnout", "STAGE1_BURN", "COAST"),
        T("begin_spin_up", "COAST", "SPIN_UP"),
        T("ignite_stage2", "SPIN_UP", "STAGE2_BURN", "spin_ok"),
        T("stage2_burnout", "STAGE2_BURN", "ORBIT_INSERTION"),
        T("insertion_done", "ORBIT_INSERTION", "OS_RELEASE"),
        T("os_released", "OS_RELEASE", "PASSIVE"),
        T("abort", ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP", "STAGE2_BURN",
                    "ORBIT_INSERTION"), "ABORT"),
        T("release_os", ("ABORT", "SAFE"), "OS_RELEASE", "in_orbit"),
        T("safe", "*", "SAFE"),
        T("recover", "SAFE", "THERMAL_CONDITIONING", unless=("has_launched",)),
    ),
)

__all__ = ["MAV_MODES", "LAUNCH_INTERLOCKS", "GROUND_MODES", "FLIGHT_MODES"]
