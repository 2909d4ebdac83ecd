"""Sample Transfer Arm: tubes offered over the hand-off link go one by one into the OS, each
confirmed by the OS tube sensor, custody moves rover -> sta -> os, duplicates are refused,
then the OS is sealed."""
from hal.devices import ArmReading, GripperReading, PyroReading, TubeSensorReading
from fsw.vehicles.custody import CustodyLedger
from fsw.vehicles.handoff import loopback_pair
from fsw.vehicles.lander.sta import SampleTransferArm
from fsw.vehicles.lander.topics import LANDER_MODE
import math

from sim.plants.surface_ops import SampleTransferModel, StaParams


class Dev:
    """A typed-device stand-in over the sample-transfer model (what hal.devices would give)."""

    def __init__(self, name, world):
        self.name, self.w = name, world

    def read(self):
        w = self.w
        if self.name == "arm":
            return ArmReading(0, w.ee, int(math.dist(w.ee, w.target) < 0.005))
        if self.name == "gripper":
            return GripperReading(0, int(w.closed), int(w.held != 0), w.held)
        if self.name == "os":
            return TubeSensorReading(0, int(bool(w.os)), w.os[-1] if w.os else 0)
        return PyroReading(0, int(w.sealed))

    def move_to(self, target):
        self.w.target = tuple(target)

    def close_jaws(self):
        w = self.w
        w.closed = True
        if w.presented and sum((w.ee[k] - w.presented[1][k]) ** 2 for k in range(3)) < 0.01:
            w.held = w.presented[0]

    def open_jaws(self):
        w = self.w
        w.closed = False
        if w.held:
            if sum((w.ee[k] - w.params.os_port_m[k]) ** 2 for k in range(3)) < 1e-3 and not w.jam:
                w.os.append(w.held)
            w.held = 0

    def fire(self):
        self.w.sealed = True


def setup(jam=False):
    world = SampleTransferModel((0.0, 0.0, 0.0), StaParams(speed_mps=0.5))
    world.presented = None
    world.jam = jam
    rover_end, lander_end = loopback_pair()
    ledger = CustodyLedger()
    sta = SampleTransferArm("sta", arm=Dev("arm", world), gripper=Dev("gripper", world),
                            os_sensor=Dev("os", world), seal=Dev("seal", world), handoff=lander_end,
                            ledger=ledger, base_xyz_m=(0.0, 0.0, 0.0))
    sta.ports.inject(LANDER_MODE, "SAMPLE_TRANSFER")     # what the lander publishes on its bus
    return world, sta, rover_end, ledger


def run(world, sta, rover_end, cycles, on_msg=None):
    for _ in range(cycles):
        world.step(0.1)
        sta.step(0)
        for m in rover_end.receive():
            if on_msg:
                on_msg(m)


def test_tubes_go_one_by_one_into_the_os_and_the_os_is_sealed():
    world, sta, rover_end, ledger = setup()
    taken = []

    def rover(msg):
        if msg.kind == "TAKEN":
            taken.append(msg.tube)
            world.presented = None          # the rover lets go and fetches the next tube
    held_at = (1.5, 0.0, -0.5)
    for tube in (21, 22, 23):
        world.presented = (tube, held_at)
        rover_end.send("OFFER", tube, held_at)
        run(world, sta, rover_end, 200, rover)
        assert taken[-1] == tube and world.os[-1] == tube
    assert ledger.tubes_at("os") == [21, 22, 23] and sta.os_confirmed == [21, 22, 23]
    # The same tube offered again is refused: custody says it is in the OS.
    rover_end.send("OFFER", 22, held_at)
    refused = []
    run(world, sta, rover_end, 5, lambda m: refused.append(m) if m.kind == "REFUSED" else None)
    assert [m.tube for m in refused] == [22]
    assert any(e.name == "OFFER_REFUSED" for e in sta.event_log)
    rover_end.send("DONE")
    run(world, sta, rover_end, 20)
    assert sta.mode == "SEALED" and world.sealed
    assert world.os == [21, 22, 23]                      # nothing inserted twice


def test_unconfirmed_insertion_is_retried_then_safed_without_losing_custody():
    world, sta, rover_end, ledger = setup(jam=True)
    sta.set_param("step_timeout_cycles", 80)
    world.presented = (5, (1.5, 0.0, -0.5))
    rover_end.send("OFFER", 5, (1.5, 0.0, -0.5))
    run(world, sta, rover_end, 400)
    assert sta.mode == "SAFE"
    assert ledger.location(5) == "sta"                    # never recorded in the OS
    assert sta.tlm["insert_retries"] == sta.params["max_insert_retries"]


def test_offer_out_of_reach_is_refused():
    world, sta, rover_end, ledger = setup()
    rover_end.send("OFFER", 9, (4.0, 0.0, 0.0))
    got = []
    run(world, sta, rover_end, 3, got.append)
    assert [(m.kind, m.tube) for m in got] == [("REFUSED", 9)]
    assert ledger.location(9) is None


def test_every_step_publishes_the_status_the_arm_is_in():
    """The status goes out every step; an idle arm's is the one it published last (the same
    payload), and it follows every change of mode, work and seal."""
    from fsw.core.bus import Bus
    from fsw.vehicles.lander.topics import STA_STATUS, StaStatus
    world, sta, rover_end, _ = setup()
    bus = Bus()
    sent = []
    bus.subscribe(STA_STATUS.name, lambda _t, m: sent.append(m))
    sta.ports.bus = bus
    held_at = (1.5, 0.0, -0.5)

    def rover(msg):
        if msg.kind == "TAKEN":
            world.presented = None
    for cycles, offer in ((3, None), (150, 7), (5, None)):
        if offer:
            world.presented = (offer, held_at)
            rover_end.send("OFFER", offer, held_at)
        before = len(sent)
        for _ in range(cycles):
            world.step(0.1)
            sta.step(0)
            bus.deliver()
            assert sent[-1] == StaStatus(sta.mode, sta.busy, sta.sealed)
            for m in rover_end.receive():
                rover(m)
        assert len(sent) - before >= cycles             # one a step at least (mode changes publish too)
    assert any(s.busy for s in sent) and not sent[-1].busy and sta.os_confirmed == [7]
