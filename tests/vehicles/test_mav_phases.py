"""The MAV's phases and ports (fsw/vehicles/mav/DESIGN.md): the phase table against the mode
table as oracle, the lifecycle hooks, per-phase checkpoints, and the wiring of the topics."""
import inspect
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsw.core.bus import Bus
from fsw.core.component import Component
from fsw.core.ports import PortError, wire
from fsw.gnc.kepler import apsides
from fsw.vehicles.mav import DEVICE_KINDS, MAV_MODES, MavDevices, build_mav
from fsw.vehicles.mav import control as ctl
from fsw.vehicles.mav.flight import MavFlightManager
from fsw.vehicles.mav.phase import Phase, PhaseTableError, phase_table
from fsw.vehicles.mav.topics import (ACS_COMMAND, MAV_TOPICS, NAV_STATE, THRUST_MODEL, AcsCommand, NavModel,
                                     ThrustModel)
from hal.config import build_devices
from hal.table_plant import TablePlant

GUARDS = MAV_MODES.guard_names
TRIGGERS = MAV_MODES.triggers


def make_mav():
    plant = TablePlant(DEVICE_KINDS)
    devices = build_devices({n: {"kind": k} for n, k in DEVICE_KINDS.items()}, plant=plant)
    return build_mav(MavDevices.from_set(devices)), plant


def table_next(mode: str, trigger: str, guards: dict) -> str | None:
    """The oracle: the first edge of the mode table this trigger may take from `mode`."""
    for e in MAV_MODES.edges():
        if e.trigger == trigger and e.source == mode and all(guards[g] for g in e.guards) \
                and not any(guards[g] for g in e.unless):
            return e.dest
    return None


class Recorder:
    """Wraps each phase's lifecycle hooks to record (hook, phase, mode)."""

    def __init__(self, flight: MavFlightManager) -> None:
        self.calls: list[tuple[str, str, str]] = []
        for ph in flight.phases:
            for hook in ("on_activation", "on_inactivation"):
                orig = getattr(ph, hook)
                setattr(ph, hook, self._wrap(hook, type(ph).__name__, orig))

    def _wrap(self, hook, name, orig):
        def hooked(mode):
            self.calls.append((hook, name, mode))
            orig(mode)
        return hooked


def test_every_mode_with_work_has_exactly_one_phase():
    """MAV-PH-001: the phase table covers the modes that do work, each once."""
    f = make_mav()[0].flight
    assert set(f.phase_of) == set(MAV_MODES.modes) - {"STOWED", "PASSIVE"}
    with pytest.raises(PhaseTableError, match="claimed by"):
        phase_table([f.coast, f.coast], MAV_MODES.modes)

    class Stray(Phase):
        MODES = ("ORBIT",)
    with pytest.raises(PhaseTableError, match="unknown mode"):
        phase_table([Stray(f)], MAV_MODES.modes)


@given(st.lists(st.tuples(st.sampled_from(TRIGGERS), st.fixed_dictionaries({g: st.booleans() for g in GUARDS})),
                max_size=25))
def test_lifecycle_hooks_follow_the_mode_table(steps):
    """MAV-PH-002: random triggers with random guards: the mode follows the table (oracle), and
    every change calls on_inactivation of the phase left and on_activation of the phase
    entered, once, in that order; a refused trigger calls neither."""
    mav, _ = make_mav()
    f = mav.flight
    rec = Recorder(f)
    for trigger, guards in steps:
        f.guard_override = guards
        before = f.mode
        want = table_next(before, trigger, guards)
        rec.calls.clear()
        assert f.trigger(trigger) == (want is not None)
        assert f.mode == (want or before)
        expected = []
        if want is not None:
            old, new = f.phase_of.get(before), f.phase_of.get(want)
            if old is not None:
                expected.append(("on_inactivation", type(old).__name__, before))
            if new is not None:
                expected.append(("on_activation", type(new).__name__, want))
        assert rec.calls == expected


def test_a_restore_runs_no_activation_hook():
    """MAV-PH-002: a checkpoint brought back does not re-enter its phase (HOLD would safe the
    igniters; the restart rule decides what happens first)."""
    mav, _ = make_mav()
    f = mav.flight
    f.guard_override = {g: True for g in GUARDS}
    for trig in ("start_conditioning", "begin_checkout", "checkout_done", "arm", "hold_count"):
        assert f.trigger(trig)
    state = f.checkpoint_state()
    mav2, _ = make_mav()
    rec = Recorder(mav2.flight)
    mav2.flight.restore_state(state)
    assert mav2.flight.mode == "HOLD" and rec.calls == []


def test_each_phase_checkpoints_its_own_state():
    """MAV-PH-003: the manager's checkpoint is the union of its phases' and survives a round trip."""
    f = make_mav()[0].flight
    f.loading.expected_tubes, f.loading.sealed = (1, 2), True
    f.checkout.passed = True
    f.stage1.bad_pointing_s = 0.4
    f.insertion.trim_used, f.insertion.trim_phase, f.insertion.trim2_t = 3.5, 0, 812.0
    f.end.release_t = 900.0
    f.degraded.causes, f.degraded.since, f.degraded.spin_due_s = ("imu",), 120.0, 400.0
    f.degraded.resume = (ctl.RCS_POINT, (0.0, 1.0, 0.0), 0.0)
    f.launched, f.launch_t_s, f.t_ign, f.k1 = True, 30.0, [31.0, None], 1.02
    f.acs = AcsCommand(ctl.TRIM, (0.0, 0.0, 1.0), 10.0, (1.0, 2.0, 3.0))
    state = f.checkpoint_state()
    g = make_mav()[0].flight
    g.restore_state(state)
    assert g.checkpoint_state() == state
    assert g.degraded.causes == ("imu",) and g.insertion.trim2_t == 812.0 and g.acs == f.acs


def test_no_mav_component_holds_another():
    """MAV-BUS-001: constructors take devices, never components, and no attribute of a
    component is another component (they talk only through topics)."""
    mav, _ = make_mav()
    comps = list(mav.topology.components.values())
    for c in comps:
        for name, param in inspect.signature(type(c).__init__).parameters.items():
            ann = str(param.annotation)
            assert not any(k in ann for k in ("Navigator", "Control", "Thermal", "FlightManager")), (c.name, name)
        for k, v in vars(c).items():
            assert not isinstance(v, Component) or v is c, f"{c.name}.{k} holds {v.name}"


def test_every_topic_is_wired_from_one_publisher():
    """MAV-BUS-001: build_mav wires every MAV topic: one publisher, at least one reader."""
    mav, _ = make_mav()
    conns = {c.topic.name: c for c in wire(list(mav.topology.components.values()), MAV_TOPICS, Bus())}
    assert set(conns) == {t.name for t in MAV_TOPICS}
    for c in conns.values():
        assert len(c.publishers) == 1 and c.subscribers, c
    assert conns[NAV_STATE.name].publishers == ("nav",)
    assert set(conns[NAV_STATE.name].subscribers) == {"flight", "acs"}
    assert conns[ACS_COMMAND.name].publishers == ("flight",)


def test_a_control_command_does_what_the_old_calls_did():
    """MAV-BUS-002: ACS_COMMAND with stop nulls both actuators now; the law and set points
    follow; the flight manager's copy is what control holds."""
    mav, plant = make_mav()
    acs, f = mav.control, mav.flight
    f.set_law(ctl.RCS_POINT, target=(0.0, 1.0, 0.0))
    mav.topology.bus.deliver()
    assert (acs.law, acs.target) == (ctl.RCS_POINT, (0.0, 1.0, 0.0))
    f.set_trim_force((1.0, 0.0, 0.0))
    f.stop_control()
    mav.topology.bus.deliver()
    assert acs.law == ctl.OFF and acs.target == (0.0, 1.0, 0.0) and acs.trim_force_inertial == (1.0, 0.0, 0.0)
    assert acs._sent_rcs == ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)) and acs._sent_gimbal == (0.0, 0.0)
    assert (f.acs.law, f.acs.target, f.acs.trim_force) == (acs.law, acs.target, acs.trim_force_inertial)


def test_the_thrust_model_reaches_the_navigator_and_goes_away():
    """MAV-BUS-002: the navigator bridges with the stage's model at the estimated scale."""
    mav, _ = make_mav()
    f, nav = mav.flight, mav.nav
    f.t_ign[0], f.k1 = 31.0, 1.1
    f.publish_thrust(1)
    mav.topology.bus.deliver()
    s1 = f.stage(1)
    assert nav.thrust_model(40.0) == s1.accel(9.0, 1.1)
    f.publish_thrust(None)
    mav.topology.bus.deliver()
    assert nav.thrust_model is None
    assert ThrustModel().accel(5.0) == 0.0


def test_a_port_not_declared_is_refused():
    f = make_mav()[0].flight
    with pytest.raises(PortError):
        f.publish(NAV_STATE, None)


def test_the_site_model_is_the_navigators():
    """MAV-BUS-003: NAV_MODEL follows the navigator's parameters (the ERO-plane interlock)."""
    mav, _ = make_mav()
    nav, f = mav.nav, mav.flight
    assert nav.set_param("site_lat_deg", 10.0)
    mav.topology.bus.deliver()
    m = f.nav_model
    assert isinstance(m, NavModel) and m.site_lat_deg == 10.0
    r, v = m.site_state(12_000_000_000)
    assert (r, v) == nav.site_state(12_000_000_000)
    assert math.isclose(math.sqrt(sum(x * x for x in r)), nav.params["site_radius_m"])


def test_the_throw_starts_navigation_and_sets_the_orbit_channels_at_once():
    """MAV-BUS-002: FLIGHT_PHASE with the throw starts the navigator (after the manager's step)
    and turns the enclosure off; the first navigated state sets the manager's orbit channels
    in the same delivery, as the step that saw the throw used to."""
    mav, plant = make_mav()
    f, nav, thermal = mav.flight, mav.nav, mav.thermal
    plant.set("star_tracker0", q_body_to_inertial=(1.0, 0.0, 0.0, 0.0), valid=1)
    f.launched_at(30.0)
    assert not nav.active and not thermal.in_flight and f.tlm["periapsis_km"] == 0.0
    mav.topology.bus.deliver()
    assert nav.active and nav.last_ns == 30_000_000_000 and thermal.in_flight
    ap = apsides(nav.r, nav.v, nav.params["gm"])
    assert f.tlm["periapsis_km"] == (ap.periapsis_m - nav.params["radius_eq_m"]) / 1e3
    assert f.tlm["inclination_deg"] == math.degrees(ap.inclination_rad)
