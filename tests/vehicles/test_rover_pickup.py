"""The rover's pickup component (rover_pickup): its sub-steps against the tables, its answers to
the manager, its warm restart (requirement ids: fsw/vehicles/rover/DESIGN.md)."""
from __future__ import annotations

import math
from types import SimpleNamespace

from hypothesis import event, given, settings, strategies as st

from fsw.vehicles.rover.modes import PICKUP_STEPS, ROVER_MODES, ROVER_STEPS
from fsw.vehicles.rover.pickup import STEP_WORK, RoverPickup
from fsw.vehicles.rover.topics import (NAV_STATE, PICKUP_NOTE, PICKUP_ORDER, PICKUP_REPLY, PICKUP_WISH, ROVER_FIX,
                                      NavState, PickupNote, PickupOrder)
from sim.deployment import Deployment
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec

from .test_rover_components import Gripper   # the gripper fake both rover arm users' tests share

TUBE = 5
CAM = (0.3, 0.0, 1.1)                   # the pickup's default navcam position (body frame)
IN_REACH, OUT_OF_REACH = (1.0, 0.1), (3.0, 0.2)   # body points of a seen tube (arm reach 1.3 m from x 0.55)


class Camera:
    name = "navcam"

    def __init__(self) -> None:
        self.seen: tuple[float, float] | None = IN_REACH
        self.dead = False

    def read(self):
        if self.dead:
            from hal.errors import DeviceFault
            raise DeviceFault("navcam: no frame")
        if self.seen is None:
            return SimpleNamespace(detected=False, los_unit=(1.0, 0.0, 0.0))
        d = (self.seen[0] - CAM[0], self.seen[1] - CAM[1], 0.02 - CAM[2])
        n = math.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2)
        return SimpleNamespace(detected=True, los_unit=tuple(c / n for c in d))


class Arm:
    name = "arm"

    def __init__(self) -> None:
        self.target = (0.0, 0.0, 0.0)
        self.arrives = True

    def move_to(self, target):
        self.target = tuple(target)

    def read(self):
        return SimpleNamespace(at_target=self.arrives, position_m=self.target if self.arrives else (9.0, 9.0, 9.0))


def nav(speed=0.0, bound=0.1, distance=0.0):
    return NavState(10.0, 20.0, 0.3, distance, bound, 0.03, 0.0, speed, (0.0, 0.0, 3.71))


def pickup(**params):
    p = RoverPickup(camera=Camera(), arm=Arm(), gripper=Gripper())
    for k, v in params.items():
        p.set_param(k, v)
    sent: list = []
    p.publish = lambda topic, payload: sent.append((topic, payload))     # unwired: keep what it says
    return p, sent


def order(mode, **kw):
    base = dict(tube=TUBE, tube_xy_m=(12.0, 21.0), landmarks=((TUBE, 12.0, 21.0),))
    return PickupOrder(mode, **(base | kw))


def tick(p, o, n=1, **navkw):
    for _ in range(n):
        p.ports.inject(PICKUP_ORDER, o)
        p.ports.inject(NAV_STATE, nav(**navkw))
        p.step(0)


def notes(sent):
    return [m for t, m in sent if t is PICKUP_NOTE]


def wishes(sent):
    return [m for t, m in sent if t is PICKUP_WISH]


# ------------------------------------------------------------ the tables as oracle (ROV-STEP-*, ROV-PICK-001)
def guards_hold(edge, note: PickupNote) -> bool:
    """The manager's guards for a pickup move are the facts the note carries."""
    facts = {"tube_localised": note.localised, "grasp_confirmed": note.grasped,
             "retries_left": note.retries_left, "stow_confirmed": note.stowed}
    return all(facts[g] for g in edge.guards) and not any(facts[g] for g in edge.unless)


step_input = st.fixed_dictionaries({
    "event": st.sampled_from(["none"] * 8 + ["arrive", "refuse", "refuse", "restart", "restart", "hazard", "fault", "recover"]),
    "seen": st.sampled_from([IN_REACH, OUT_OF_REACH, None]),
    "arm_arrives": st.booleans(),
    "holding": st.sampled_from([0, 0, TUBE, TUBE, 6]),
    "in_slot": st.booleans(),
    "rolling": st.booleans(),
    "at_goal": st.booleans(),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(step_input, st.integers(1, 8)), min_size=1, max_size=30))
def test_the_pickup_moves_only_as_its_tables_allow(runs):
    """ROV-STEP-002, ROV-STEP-003, ROV-PICK-001: driven by any sequence of manager orders and
    sensor readings (a manager that follows the mode table, ROVER_MODES as oracle), every mode
    move the pickup asks for is an edge of ROVER_MODES from the manager's mode whose guards its
    facts satisfy, every sub-step move is an edge of ROVER_STEPS (a refused one raises), a
    sub-step is idle or belongs to the manager's mode, "stowed" follows a grasp or a restart
    that found the tube, and no sub-step outlives its timeout."""
    p, sent = pickup(step_timeout_cycles=12)
    mode, grasped_or_restarted = "TRAVERSE", False
    inputs = [x if k == 0 else x | {"event": "none"} for x, n in runs for k in range(n)]   # readings that last
    inputs[0] = inputs[0] | {"event": "arrive"}     # the first step arrives at the tube
    for x in inputs:
        new_approach = False
        if x["event"] == "arrive" and mode == "TRAVERSE":
            mode, new_approach = "APPROACH_TUBE", True
        elif x["event"] == "hazard" and mode in ("TRAVERSE", "APPROACH_TUBE"):
            mode = "HAZARD_STOP"
        elif x["event"] == "fault":
            mode = "SAFE"
        elif x["event"] == "recover" and mode in ("SAFE", "HAZARD_STOP", "IDLE"):
            mode = "TRAVERSE"
        elif x["event"] == "restart":
            saved = p.checkpoint_state()
            p, sent = pickup(step_timeout_cycles=12)
            p.restore_state(saved)
            grasped_or_restarted = True
        p.camera.seen, p.arm.arrives = x["seen"], x["arm_arrives"]
        holding = x["holding"]
        o = order(mode, holding=bool(holding), gripper_tube=holding, new_approach=new_approach,
                  slot_tubes=(TUBE,) if x["in_slot"] else (), has_route=True, at_goal=x["at_goal"],
                  pursuing=mode == "TRAVERSE")
        before = len(sent)
        tick(p, o, speed=0.05 if x["rolling"] else 0.0)
        w = wishes(sent[before:])[-1]
        if x["event"] == "refuse" and w.creep:
            p.ports.inject(PICKUP_REPLY, "too close to reach")      # the manager has no such path
        for n in notes(sent[before:]):
            event(f"asks {n.kind}")                   # --hypothesis-show-statistics: what the runs reach
            edges = [e for e in ROVER_MODES.edges() if e.trigger == n.kind and e.source == mode]
            assert edges and guards_hold(edges[0], n), (mode, n)
            if n.kind == "grasped":
                grasped_or_restarted = True
            if n.kind == "stowed":
                assert grasped_or_restarted
                grasped_or_restarted = False
            mode = edges[0].dest
        assert p.steps.idle or p.steps.state in PICKUP_STEPS.get(mode, ()), (mode, p.steps.state)
        assert p.steps.idle or p.steps.cycles <= 12
        assert w.action in ("", "stop", "pursue")
        if w.action == "pursue":
            assert p.steps.state == "creep"           # it drives itself only on the creep
        assert not (w.creep and mode != "APPROACH_TUBE")


def test_every_substep_has_its_work_and_its_mode():
    """ROV-STEP-002: each sub-step but idle has one method, and belongs to one manager mode."""
    assert set(STEP_WORK) == set(ROVER_STEPS.modes) - {"idle"}
    owners = [m for m, steps in PICKUP_STEPS.items() for s in steps]
    assert sorted(owners) == sorted(m for m, steps in PICKUP_STEPS.items() for _ in steps)
    assert all(m in ROVER_MODES.modes for m in PICKUP_STEPS)


# ------------------------------------------------------------ behaviour (ROV-PICK-*)
def test_a_tube_in_reach_is_grasped_stowed_and_confirmed():
    """ROV-PICK-001: look (stopped), in reach: grasp above, descend, close; the gripper reads the
    tube: grasped, to the stow point, open; a slot reads it: stowed."""
    p, sent = pickup()
    tick(p, order("TRAVERSE", new_approach=True))
    assert p.steps.state == "look" and notes(sent) == []
    tick(p, order("APPROACH_TUBE"), speed=0.05)
    assert p.steps.state == "look" and wishes(sent)[-1].action == "stop"   # no image while rolling
    tick(p, order("APPROACH_TUBE"))
    assert [n.kind for n in notes(sent)] == ["in_reach"] and p.steps.state == "above"
    assert p.gripper.calls == ["open"]
    tick(p, order("ACQUIRE"), 2)
    assert p.steps.state == "grasp" and p.gripper.calls[-1] == "close"
    tick(p, order("ACQUIRE", holding=True, gripper_tube=TUBE), 4)
    assert notes(sent)[-1].kind == "grasped" and p.steps.state == "stow"
    tick(p, order("STOW_TUBE", holding=True, gripper_tube=TUBE))
    assert p.steps.state == "confirm_stow" and p.gripper.calls[-1] == "open"
    tick(p, order("STOW_TUBE"), 4)
    assert notes(sent)[-1].kind == "grasped" and p.steps.state == "confirm_stow"   # no slot reads it yet
    tick(p, order("STOW_TUBE", slot_tubes=(TUBE,)))
    n = notes(sent)[-1]
    assert (n.kind, n.tube, n.attempts, n.stowed) == ("stowed", TUBE, 1, True) and p.steps.idle


def test_a_missed_grasp_backs_off_and_gives_up_after_the_attempts():
    """ROV-PICK-002: nothing in the gripper: GRASP_FAILED, back off, look again; after
    max_pickup_attempts the manager is asked to give up (with the attempts for TUBE_SKIPPED)."""
    p, sent = pickup(max_pickup_attempts=2)
    tick(p, order("TRAVERSE", new_approach=True))
    mode = "APPROACH_TUBE"
    for _ in range(2):
        tick(p, order(mode))                     # look: in reach
        tick(p, order("ACQUIRE"), 2 + 4 + 1)     # above, descend, grasp (> 3 cycles) -> backoff
        tick(p, order("ACQUIRE"))                # back above the tube: retry or give up
        mode = "APPROACH_TUBE"
    assert [n.kind for n in notes(sent)] == ["in_reach", "retry", "in_reach", "give_up"]
    assert notes(sent)[-1].attempts == 2 and p.steps.idle
    assert [e.name for e in p.event_log].count("GRASP_FAILED") == 2


def test_a_tube_out_of_reach_asks_for_a_creep_and_a_refusal_counts_as_an_attempt():
    """ROV-PICK-003: seen out of reach: a straight creep to the point seen (the manager plans
    it); no path: GRASP_FAILED and look again, in the same tick."""
    p, sent = pickup()
    p.camera.seen = OUT_OF_REACH
    tick(p, order("TRAVERSE", new_approach=True))
    tick(p, order("APPROACH_TUBE"))
    w = wishes(sent)[-1]
    assert w.creep == "seen" and w.action == "stop" and p.steps.state == "creep"
    n = nav()
    h = n.heading_rad
    bx, by, _ = p.tube_body
    assert math.isclose(w.seen_xy_m[0], n.x_m + bx * math.cos(h) - by * math.sin(h))
    p.ports.inject(PICKUP_REPLY, "too close to reach")
    assert p.steps.state == "look" and p.attempts == 1
    assert p.event_log[-1].name == "GRASP_FAILED"
    tick(p, order("APPROACH_TUBE"))                                      # looks again: a creep, granted
    tick(p, order("APPROACH_TUBE", at_goal=False, has_route=True))      # creeping: pursue
    assert p.steps.state == "creep" and wishes(sent)[-1].action == "pursue"
    tick(p, order("APPROACH_TUBE", at_goal=True, has_route=True))       # there: stop and look again
    assert p.steps.state == "look" and wishes(sent)[-1].action == "stop"


def test_a_large_bound_stops_the_managers_drive_to_look_and_fixes_on_a_known_tube():
    """ROV-PICK-004: pursuing with a bound above look_uncertainty_m and a known tube ahead in
    range: stop, look once stopped (looks + 1), fix on the tube: the fix goes to navigation and,
    with the wish, to the manager."""
    p, sent = pickup()
    p.camera.seen = (2.0, 0.0)
    o = order("TRAVERSE", pursuing=True, landmarks=((9, 10.0 + 2.0 * math.cos(0.3), 20.0 + 2.0 * math.sin(0.3)),))
    tick(p, o, bound=1.0, speed=0.05)
    assert wishes(sent)[-1].action == "stop" and p.tlm["looks"] == 0       # rolling: wait
    tick(p, o, bound=1.0)
    w = wishes(sent)[-1]
    assert w.action == "stop" and p.tlm["looks"] == 1 and w.fix is not None and w.fix.kind == "landmark"
    assert [m for t, m in sent if t is ROVER_FIX] == [w.fix] and w.navcam_answered
    tick(p, o, bound=1.0, distance=1.0)
    assert wishes(sent)[-1].action == "" and p.tlm["looks"] == 1           # look_every_m not driven yet


def test_a_blind_navcam_look_counts_as_a_navcam_fault_not_a_device_fault():
    """ROV-PICK-005: a look whose frame does not come counts in navcam_faults (mobility holds the
    rover), not in device_faults (which safes it); mobility hears of it with the wish."""
    p, sent = pickup()
    p.camera.dead = True
    tick(p, order("TRAVERSE", new_approach=True))
    tick(p, order("APPROACH_TUBE"))
    assert p.tlm["navcam_faults"] == 1 and p.tlm["device_faults"] == 0 and wishes(sent)[-1].navcam_failed


def test_a_substep_that_never_ends_times_out():
    """ROV-PICK-006: past step_timeout_cycles: STEP_TIMEOUT; in APPROACH_TUBE/ACQUIRE the pickup
    gives up (attempts spent), in STOW_TUBE the manager is asked to go SAFE; the wheels stop."""
    p, sent = pickup(step_timeout_cycles=10)
    p.camera.seen = None
    tick(p, order("TRAVERSE", new_approach=True))
    tick(p, order("APPROACH_TUBE"), 11)
    assert "STEP_TIMEOUT" in [e.name for e in p.event_log]
    assert notes(sent)[-1].kind == "give_up" and notes(sent)[-1].attempts == 3 and p.steps.idle
    assert wishes(sent)[-1].action == "stop"
    q, sent = pickup(step_timeout_cycles=10)
    q.restore_state(q.checkpoint_state())
    tick(q, order("STOW_TUBE", holding=True, gripper_tube=TUBE))          # resumes in stow
    q.arm.arrives = False
    tick(q, order("STOW_TUBE", holding=True, gripper_tube=TUBE), 11)
    assert notes(sent)[-1].kind == "fault"


def test_leaving_the_pickup_modes_ends_the_substep():
    """ROV-PICK-007: a hazard stop or SAFE mid-pickup ends the sub-step (the next approach starts
    with a look), so a stale step neither times out later nor jumps where the table has no edge."""
    p, sent = pickup()
    p.camera.seen = OUT_OF_REACH
    tick(p, order("TRAVERSE", new_approach=True))
    tick(p, order("APPROACH_TUBE"))
    assert p.steps.state == "creep"
    tick(p, order("HAZARD_STOP"))
    assert p.steps.idle
    tick(p, order("TRAVERSE", new_approach=True))
    assert p.steps.state == "look" and p.attempts == 0


# ------------------------------------------------------------ warm restart (ROV-PICK-008)
def restarted(saved_from, o):
    p, sent = pickup()
    p.restore_state(saved_from.checkpoint_state())
    tick(p, o)
    return p, sent


def test_a_pickup_restarted_mid_grasp_resumes_from_what_the_sensors_show():
    """ROV-PICK-008: the pickup checkpoints its attempts, last look and counters; after a warm
    restart in ACQUIRE a tube the gripper reads is stowed, else it looks again (or gives up with
    no attempt left); in STOW_TUBE a held tube is stowed, one a slot reads is confirmed, one in
    neither calls the ground; in APPROACH_TUBE it looks again."""
    before, _ = pickup(max_pickup_attempts=3)
    before.attempts, before._last_look_m = 2, 41.5
    before.tlm["looks"], before.tlm["navcam_faults"] = 4, 1
    p, sent = restarted(before, order("ACQUIRE", holding=True, gripper_tube=TUBE))
    assert (p.attempts, p._last_look_m, p.tlm["looks"], p.tlm["navcam_faults"]) == (2, 41.5, 4, 1)
    assert [n.kind for n in notes(sent)] == ["grasped"] and p.steps.state in ("stow", "confirm_stow")
    p, sent = restarted(before, order("ACQUIRE"))
    assert [n.kind for n in notes(sent)] == ["retry", "in_reach"]   # looks again at once: in reach
    before.attempts = 3
    p, sent = restarted(before, order("ACQUIRE"))
    assert [n.kind for n in notes(sent)] == ["give_up"] and p.steps.idle
    p, sent = restarted(before, order("STOW_TUBE", slot_tubes=(TUBE,)))
    assert p.steps.state == "confirm_stow" and notes(sent) == []
    p, sent = restarted(before, order("STOW_TUBE"))
    assert [n.kind for n in notes(sent)] == ["fault"]
    p, sent = restarted(before, order("APPROACH_TUBE"))
    assert [n.kind for n in notes(sent)] == ["in_reach"]            # looked again, and it is in reach


def test_a_reset_mid_grasp_in_flight_resumes_and_stows_the_tube():
    """ROV-PICK-008, ROV-MGR-002 in the fetch flight: a processor reset while the arm grasps the first tube;
    every component restores its own checkpoint, the pickup looks again or stows what it holds,
    and tube 1 ends in a slot once in custody (moved once from the depot)."""
    spec = FaultSpec("reset", when="rover:ACQUIRE", delay_s=3.0)
    run = fly_with_faults(Deployment("fetch", 1), [spec], duration_s=800.0, stop_on_done=False)
    assert run.restarts == 1 and run.restore_notes[0]["not_restored"].get("rover_pickup") is None
    rover = run.topology["rover"]
    assert rover.ledger.location(1) == "rover" and 1 in rover.aboard
    assert [r.args["tube"] for r in run.records if r.name == "TUBE_MOVED"].count(1) == 1
    assert any(r.name == "TUBE_STOWED" and r.args["tube"] == 1 for r in run.records)
    assert not [r for r in run.records if r.name in ("TUBE_SKIPPED", "STEP_TIMEOUT")]


def test_pickup_device_faults_are_its_own_and_safe_the_rover():
    """ROV-PICK-009: an arm that stops answering mid-grasp counts in rover_pickup.device_faults
    (DEVICE_FAULT), and fault protection watches that channel with the rover's SAFE response."""
    from hal.errors import DeviceFault
    from fsw.vehicles.rover import build_rover
    from fsw.vehicles.rover.faults import SAFE_RESPONSE, fault_table

    p, sent = pickup()

    def broken(target):
        raise DeviceFault("arm: no answer")
    p.arm.move_to = broken
    tick(p, order("TRAVERSE", new_approach=True))
    tick(p, order("APPROACH_TUBE"))                  # in reach: the grasp starts, the arm does not answer
    assert p.tlm["device_faults"] == 1 and p.tlm["navcam_faults"] == 0
    assert [e.name for e in p.event_log].count("DEVICE_FAULT") == 1
    monitors = {m.name: m for m in fault_table(build_rover().topology)}
    m = monitors["rover_pickup_device_fault"]
    assert m.channel == "rover_pickup.device_faults" and m.response == SAFE_RESPONSE


def test_the_drive_order_goes_out_once_a_tick_after_the_pickups_wish():
    """ROV-MGR-001 / ROV-WIRE-001: wired, the manager publishes exactly one drive order per
    tick, when the pickup's wish is delivered; a look the pickup decides stops the manager's
    pursuit in that same order."""
    from fsw.vehicles.rover import build_rover
    from fsw.vehicles.rover.topics import DRIVE_ORDER
    fsw = build_rover(delivery="perseverance", carried=(101,), handoff_pose=(10.0, 0.0, 0.0))
    rover, pick = fsw.rover, fsw.pickup
    log: list[tuple[int, object, object]] = []       # (tick, topic, payload), in publish order
    now = [0]

    def recording(publish):
        return lambda topic, payload: (log.append((now[0], topic, payload)), publish(topic, payload))
    for c in fsw.components:
        c.publish = recording(c.publish)

    def one_tick():
        for c in fsw.components:
            c.step((now[0] + 1) * 100_000_000)
            fsw.topology.bus.deliver()
        now[0] += 1
    for _ in range(4):                                # plans a way home and pursues it
        one_tick()
    orders = [(k, p) for k, topic, p in log if topic is DRIVE_ORDER]
    assert [k for k, _ in orders] == [0, 1, 2, 3] and orders[-1][1].action == "pursue"
    for k in range(4):
        topics = [topic for j, topic, _ in log if j == k]
        assert topics.index(PICKUP_WISH) < topics.index(DRIVE_ORDER)
    rover.landmarks[99] = (rover.nav.x_m + 2.0 * math.cos(rover.nav.heading_rad),
                           rover.nav.y_m + 2.0 * math.sin(rover.nav.heading_rad))   # a known tube ahead
    pick.set_param("look_uncertainty_m", 0.0)
    one_tick()
    last = [p for k, topic, p in log if topic is DRIVE_ORDER and k == 4]
    assert rover.mode == "RETURN" and len(last) == 1 and last[0].action == "stop"
