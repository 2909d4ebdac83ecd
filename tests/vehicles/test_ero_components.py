"""The ERO's components after the split (fsw/vehicles/ero/DESIGN.md): their wiring, the RCS
health runs, navigation's impulses seen exactly by guidance, containment's requests against
the mode table as oracle."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.core.devices import failed
from fsw.gnc.relnav import RelNavConfig, RelNavFilter
from fsw.vehicles.ero import DEVICE_KINDS, ERO_MODES, EroDevices, build_ero
from fsw.vehicles.ero.containment import STEP_OF_MODE, EroContainment
from fsw.vehicles.ero.guidance import ApproachGuidance
from fsw.vehicles.ero.rcs import RcsHealth
from fsw.vehicles.ero.topics import (CONTAINMENT_REQUEST, ERO_MODE, ERO_TOPICS, RCS_FORCE, RelNavEstimate)
from hal.config import build_devices
from hal.errors import DeviceFault
from hal.table_plant import TablePlant

S = 1_000_000_000


def make_ero():
    plant = TablePlant(DEVICE_KINDS)
    devices = build_devices({n: {"kind": k} for n, k in DEVICE_KINDS.items()}, plant=plant)
    return build_ero(EroDevices.from_set(devices))


def test_components_are_wired_through_the_declared_topics_in_executive_order():
    """ERO-VEH-001, ERO-VEH-002: one wiring, every topic has its publisher and readers, and
    the order gives each reader its publisher's message in the same tick."""
    ero = make_ero()
    assert [c.name for c in ero.gnc()] == ["containment", "relnav", "ccrs", "rcs"]
    links = {c.topic.name: (tuple(c.publishers), tuple(c.subscribers)) for c in ero.topology.connections}
    assert set(links) == {t.name for t in ERO_TOPICS}
    order = [c.name for c in ero.gnc()]
    for topic, (pubs, subs) in links.items():
        assert pubs and subs, topic
    # same tick: navigation and containment before the manager, the RCS after it
    assert order.index("relnav") < order.index("ccrs") and order.index("containment") < order.index("ccrs")
    assert links["rcs.force"] == (("ccrs",), ("rcs",))


class FlakyRcs:
    name = "rcs"

    def __init__(self):
        self.dead = False
        self.commands = []

    def command(self, force, torque):
        if self.dead:
            raise DeviceFault("no answer")
        self.commands.append(tuple(force))

    def read(self):
        if self.dead:
            raise DeviceFault("no answer")
        return object()


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.booleans(), min_size=1, max_size=40))
def test_rcs_health_counts_runs_of_cycles_without_an_answer(dead_cycles):
    """ERO-RCS-001, ERO-RCS-002: a command goes out when it arrives; rcs_faults is the run of
    cycles without an answer (reset by a good poll), one DEVICE_FAULT per run."""
    dev = FlakyRcs()
    rcs = RcsHealth("rcs", dev)
    rcs.ports.inject(RCS_FORCE, (1.0, 0.0, 0.0))
    assert dev.commands == [(1.0, 0.0, 0.0)]
    run = runs = 0
    for k, dead in enumerate(dead_cycles):
        dev.dead = dead
        if k % 3 == 0:
            rcs.ports.inject(RCS_FORCE, (0.0, 0.0, 0.0))
        rcs.step(k * S // 10)
        runs += dead and run == 0
        run = run + 1 if dead else 0
        assert rcs.tlm["rcs_faults"] == run
    assert sum(1 for e in rcs.event_log if e.name == "DEVICE_FAULT") == runs


finite = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(finite, min_size=6, max_size=6), st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3))
def test_guidance_sees_a_burn_exactly_as_navigation_will_hold_it(x, dv):
    """ERO-GDN-005, ERO-NAV-003: between the manager's IMU step and navigation applying the
    increment, guidance's chaser state equals, bit for bit, the one of the updated filter."""
    nav = RelNavFilter(RelNavConfig(n=9e-4), x, (1.0,) * 6)
    g = ApproachGuidance({}, lambda *a, **k: None)
    g.est = RelNavEstimate(tuple(float(c) for c in nav.x), tuple(nav.rectilinear().tolist()), 1.0, 0)
    g.pending_dv = tuple(dv)
    before = g.chaser_state()
    nav.apply_impulse(tuple(dv))
    after = tuple(-float(c) for c in nav.x)
    assert before == after


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(ERO_MODES.modes), min_size=1, max_size=12))
def test_containment_follows_the_manager_mode_and_asks_only_for_table_transitions(modes):
    """ERO-CON-001, ERO-CON-002, ERO-CON-003 (mode table as oracle): entering a step's mode
    starts that step, CONTAINMENT_HOLD stops it; every trigger containment asks for is a
    transition the table has from the mode it is in."""
    asked = []

    class Recording(EroContainment):
        def publish(self, topic, payload):
            if topic is CONTAINMENT_REQUEST:
                asked.append((self._mode, payload))

    con = Recording("containment", make_ero().containment.dev)
    edges = {(e.trigger, e.source) for e in ERO_MODES.edges()}
    for k, mode in enumerate(modes):
        con.ports.inject(ERO_MODE, mode)
        if mode in STEP_OF_MODE:
            assert con.tlm["step"] == STEP_OF_MODE[mode][0]
        elif mode == "CONTAINMENT_HOLD":
            assert con.tlm["step"] == ""
        con.step((k + 1) * S)
    for mode, trigger in asked:
        assert (trigger, mode) in edges or (trigger, "*") in edges, (mode, trigger)


def test_expect_tubes_only_before_the_capture():
    """ERO-CON-005: the OS contents are registered while it is still in orbit, never after."""
    ero = make_ero()
    con = ero.containment
    assert con.dispatch("EXPECT_TUBES", {"tubes": "3,1"}).ok
    assert con.custody.tubes_at("orbit") == [1, 3]
    con.ports.inject(ERO_MODE, "ORIENT")
    assert not con.dispatch("EXPECT_TUBES", {"tubes": "4"}).ok
    assert con.custody.location(4) is None
    assert isinstance(con, EroContainment) and not failed(con)


def test_a_restart_after_a_burn_widens_the_estimate_before_the_first_measurement():
    """ERO-NAV-004: the checkpoint carries the manager's burn outlook; the first cycle after
    a restore widens the estimate by what full thrust could have done in the gap (and only
    when a burn was under way or due within it)."""
    from fsw.vehicles.ero.topics import BURN_OUTLOOK, BurnOutlook
    import json
    import math
    for burning, due_s, widened in ((True, 0.0, True), (False, 0.5, True), (False, 600.0, False),
                                    (True, math.inf, True), (False, math.inf, False)):
        ero = make_ero()
        nav = ero.relnav
        nav.dispatch("REL_STATE_PRIOR", dict(zip(("x", "y", "z", "vx", "vy", "vz"), (0.0, 300.0, 0.0, 0.0, -0.5, 0.0)),
                                             sigma_pos_m=1.0, sigma_vel_mps=0.01))
        nav.ports.inject(ERO_MODE, "CLOSE_RANGE")
        nav.ports.inject(BURN_OUTLOOK, BurnOutlook(burning, due_s))
        state = json.loads(json.dumps(nav.checkpoint_state(), allow_nan=False))   # as the store writes it
        assert state["outlook"] == [burning, due_s if math.isfinite(due_s) else None]
        fresh = make_ero().relnav
        fresh.restore_state(state)
        fresh.ports.inject(ERO_MODE, "CLOSE_RANGE")
        before = fresh.nav.position_sigma
        fresh._resume = False
        fresh._t = state["t"] + 2.0
        fresh._widen_after_restart()
        gap_dv = fresh.params["force_limit_N"] / fresh.params["mass_kg"] * 2.0
        assert (fresh.nav.position_sigma > before) == widened
        assert (fresh.nav.P[3, 3] >= gap_dv ** 2) == widened
