"""The CCRS containment steps as one sub-step table (fsw/vehicles/ero/ccrs.py, `CCRS_STEPS` run
by the core's SubSteps): the steps move only along the table (the table as oracle), a step
is verified only from its last sub-step, a fault or a timeout fails it with its reason, and a
warm restart in the middle of a step restarts it and completes with custody intact."""
import random
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.core.modes import check_structure
from fsw.vehicles.ero.ccrs import (CCRS_STEPS, FAILED, RUNNING, STEP_NAMES, STEP_OF_SUBSTEP, VERIFIED,
                                   CcrsSteps)
from hal.errors import DeviceFault

from .test_ero_ccrs import Rig
from .test_ero_restart import events_after_reset, reboot, saved

OS_ID = 1000
PARAMS = {"os_id": OS_ID, "sterilise_C": 200.0, "sterilise_dwell_s": 3.0, "sterilise_power_W": 400.0,
          "step_timeout_s": 40.0}
# the sub-step each step ends in (VERIFIED comes from there only)
LAST = {"orient": "orient", "contain": "seal_secondary", "break_the_chain": "sterilise",
        "eev_transfer": "eev_transfer", "eev_release": "eev_release"}


class Device:
    """A CCRS device whose every answer is drawn from `rng`: good, wrong, or a fault."""

    def __init__(self, name: str, rng: random.Random, fault_p: float) -> None:
        self.name, self.rng, self.fault_p = name, rng, fault_p

    def _answer(self) -> None:
        if self.rng.random() < self.fault_p:
            raise DeviceFault("no answer", self.name)

    def read(self):
        self._answer()
        r = self.rng
        return SimpleNamespace(pitch_rad=r.choice((0.0, 0.5)), yaw_rad=r.choice((0.0, 0.5)),
                               detected=r.random() < 0.7, los_unit=r.choice(((0.0, 0.0, 1.0), (0.0, 1.0, 0.0))),
                               present=r.random() < 0.6, tube_id=r.choice((OS_ID, OS_ID, 7)),
                               temp_C=r.choice((150.0, 210.0)), at_target=r.random() < 0.5, fired=r.random() < 0.5)

    def fire(self) -> None:
        self._answer()

    point = move_to = set_power = lambda self, *args: self._answer()


def fake_devices(seed: int, fault_p: float):
    rng = random.Random(seed)
    names = ("orient_mech", "seal_primary", "seal_secondary", "primary_check", "secondary_check", "btc_heater",
             "btc_temp", "transfer_arm", "eev_slot", "eev_sep")
    dev = SimpleNamespace(**{n: Device(n, rng, fault_p) for n in names})
    dev.orient_cams = (Device("cam_a", rng, fault_p), Device("cam_b", rng, fault_p))
    return dev


def table_moves(source: str) -> set[str]:
    return {e.dest for e in CCRS_STEPS.edges() if e.source == source}


def test_the_step_table_is_sound():
    """ERO-CON-007: every sub-step reachable from idle and back; each step starts from idle by
    the trigger of its name; every sub-step belongs to a step."""
    assert check_structure(CCRS_STEPS) == []
    assert all(CCRS_STEPS.initial in CCRS_STEPS.reachable_from(m) for m in CCRS_STEPS.modes)
    starts = {e.trigger: e.dest for e in CCRS_STEPS.edges() if e.source == "idle" and e.dest != "idle"}
    assert set(starts) == set(STEP_NAMES) and all(STEP_OF_SUBSTEP[d] == s for s, d in starts.items())
    assert set(STEP_OF_SUBSTEP) == set(CCRS_STEPS.modes)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.sampled_from((0.0, 0.05)),
       st.lists(st.one_of(st.sampled_from(STEP_NAMES), st.just("stop"), st.integers(1, 8)), max_size=40))
def test_steps_move_only_along_the_table(seed, fault_p, ops):
    """ERO-CON-007, ERO-CON-008 (the table as oracle): start, poll and stop move the sub-step
    only along an edge of CCRS_STEPS, never a refused move; a step is verified only from its
    last sub-step; a failure always says why (a device fault names it, a timeout its step)."""
    steps = CcrsSteps(fake_devices(seed, fault_p), PARAMS)
    t, failed = 0.0, False
    for op in ops:
        before = steps.steps.state
        if op == "stop":
            steps.stop()
            failed = False
            assert steps.steps.state == "idle"
        elif isinstance(op, str):
            steps.start(op, t)
            assert steps.steps.state == next(e.dest for e in CCRS_STEPS.edges() if (e.trigger, e.source) == (op, "idle"))
            assert steps.name == op and steps.active
            failed = bool(steps.reason)
            assert not failed or steps.reason.startswith("device fault: ")
        else:
            for _ in range(op):
                t += 1.0
                before = steps.steps.state
                result = steps.poll(t)
                after = steps.steps.state
                assert after == before or after in table_moves(before), (before, after)
                if result == VERIFIED:
                    assert after == LAST[steps.name] and not failed
                elif result == FAILED:
                    assert steps.reason.startswith("device fault: ") or "not verified within 40 s" in steps.reason
                    failed = True
                else:
                    assert result == RUNNING and not failed and (steps.active or after == "idle")
                if result != RUNNING:
                    steps.stop()
                    failed = False
                    break
        assert steps.steps.rejected == 0
        assert steps.name == STEP_OF_SUBSTEP[steps.steps.state]
        assert before in CCRS_STEPS.modes


def test_a_reset_between_the_two_seals_restarts_containment_and_completes():
    """ERO-CON-006, ERO-CON-009: a processor reset after the primary seal was verified (sub-step
    seal_secondary) restarts the contain step from its beginning (a step must verify again,
    from the sensors) and the capture goes on to the EEV with the tube in custody once."""
    rig = Rig(3)
    rig.run_until(("CONTAIN",))
    for _ in range(6000):
        if rig.c.steps.steps.state == "seal_secondary":
            break
        rig.run_until(("-",), limit_s=0.1)
    assert rig.c.steps.steps.state == "seal_secondary" and rig.m.mode == "CONTAIN"
    state = saved(rig)
    rig.run_until(("-",), limit_s=0.5)                   # lost with the reset
    reboot(rig, state)
    assert rig.c.steps.steps.state == "idle"             # nothing runs before the first cycle
    assert rig.run_until(("COMPLETE", "CONTAINMENT_HOLD", "SAFE")) == "COMPLETE"
    events = events_after_reset(rig)
    assert ("RESUMED", {"mode": "CONTAIN", "action": "step restarted"}) in events
    verified = [a["step"] for n, a in events if n == "STEP_VERIFIED"]
    assert verified[0] == "contain" and verified.count("contain") == 1
    assert rig.c.custody.snapshot() == [(7, "eev")] and rig.ccrs.truth()["eev_released"]
