"""Warm restart of the surface vehicles: a reset while a tube moves (rover stowing it, the
lander's arm carrying it into the OS) neither loses nor duplicates it in custody."""
from types import SimpleNamespace

import pytest

from fsw.vehicles.custody import CustodyLedger
from fsw.vehicles.lander.sta import SampleTransferArm
from fsw.vehicles.lander.topics import LANDER_MODE
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec


def stow_reset(delay_s):
    spec = FaultSpec("reset", when="rover:STOW_TUBE", delay_s=delay_s)
    return fly_with_faults(Deployment("fetch", 1), [spec], duration_s=768.6 + max(delay_s + 8.0, 30.0),
                           stop_on_done=False)


@pytest.mark.parametrize("delay_s", [22.15, pytest.param(10.0, marks=pytest.mark.slow),
                                     pytest.param(21.95, marks=pytest.mark.slow)])
def test_a_reset_while_stowing_keeps_custody_exact(delay_s):
    run = stow_reset(delay_s)
    assert run.restarts == 1 and run.restore_notes[0]["not_restored"].get("rover") is None
    rover = run.topology["rover"]
    truth = run.plant.rover
    in_slots = sorted(t for t in truth.slots if t)
    assert in_slots == [1]
    assert rover.ledger.location(1) == "rover" and rover.aboard == [1]
    assert rover.ledger.tubes_at("depot") == list(range(2, 11))
    moved = [r for r in run.records if r.name == "TUBE_MOVED" and r.args["tube"] == 1]
    assert len(moved) == 1                                # once across both incarnations
    assert not [r for r in run.records if r.name == "CUSTODY_REFUSED"]
    checks = [r for r in run.records if r.name == "CUSTODY_CHECK"]
    assert checks and all(c.args["ok"] for c in checks)
    assert rover.mode in ("IDLE", "TRAVERSE") and [t.tube for t in rover.tasks][:1] == [2]


class Dev:
    """A device stand-in: `read()` gives `value`; commands are recorded."""

    def __init__(self, name, **value):
        self.name = name
        self.value = dict(value)
        self.calls = []

    def read(self):
        return SimpleNamespace(t_ns=0, **self.value)

    def __getattr__(self, cmd):
        return lambda *a: self.calls.append((cmd, a))


def arm_with(tube_in_gripper, os_tube):
    ledger = CustodyLedger()
    sta = SampleTransferArm(
        "sta", arm=Dev("sta_arm", position_m=(0.0, 0.0, 0.0), at_target=0),
        gripper=Dev("sta_gripper", closed=1, holding=int(bool(tube_in_gripper)), tube_id=tube_in_gripper),
        os_sensor=Dev("os_tube_sensor", present=int(bool(os_tube)), tube_id=os_tube),
        ledger=ledger)
    sta.ports.inject(LANDER_MODE, "SAMPLE_TRANSFER")
    return sta


def saved_holding_tube(tube):
    """The checkpoint of an arm that took `tube` from the rover and is carrying it to the OS."""
    sta = arm_with(tube, 0)
    sta.ledger.register(3, "os")
    sta.os_confirmed = [3]
    sta.ledger.register(tube, "rover")
    sta.ledger.move(tube, "rover", "sta")
    sta.force_mode("HOLDING")
    sta.held = tube
    return sta.checkpoint_state()


@pytest.mark.parametrize("where", ["gripper", "os"])
def test_sta_reset_while_carrying_a_tube_reconciles_against_the_os_sensor(where):
    state = saved_holding_tube(7)
    sta = arm_with(7 if where == "gripper" else 0, 7 if where == "os" else 3)
    sta.restore_state(state)
    for k in range(3):
        sta.step(k)
    if where == "gripper":
        assert sta.ledger.location(7) == "sta" and sta.mode == "HOLDING" and sta.steps.state == "carry"
        assert ("move_to", (sta._os_pos(),)) in sta.arm.calls
    else:
        assert sta.ledger.location(7) == "os" and sta.os_confirmed == [3, 7] and sta.mode == "READY"
        assert [e.name for e in sta.event_log].count("TUBE_MOVED") == 1
    assert sta.ledger.snapshot().count((7, sta.ledger.location(7))) == 1


def test_sta_answers_a_repeated_offer_of_the_tube_it_holds_with_taken():
    """After a rover restart the rover offers again the tube the arm already took."""
    state = saved_holding_tube(7)
    sent = []
    sta = arm_with(7, 3)
    sta.handoff = SimpleNamespace(receive=lambda: [SimpleNamespace(kind="OFFER", tube=7, xyz_m=None)],
                                  send=lambda kind, tube=0, *a: sent.append((kind, tube)))
    sta.restore_state(state)
    sta.step(0)
    assert sent == [("TAKEN", 7)] and sta.ledger.location(7) == "sta"
