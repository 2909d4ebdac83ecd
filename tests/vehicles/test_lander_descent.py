"""The split lander (issue 20): the mode manager, descent navigation and powered-descent
guidance, each alone on its topics, wired together, and each back from its own checkpoint.
Requirement ids: fsw/vehicles/lander/DESIGN.md. The whole landing with them is
tests/vehicles/test_lander_sil.py and test_lander_faults.py (faults, warm restarts)."""
from dataclasses import dataclass

from hypothesis import given, strategies as st

from fsw.gnc.descent_guidance import G_MARS
from fsw.vehicles.lander import DescentGuidance, DescentNavigator, Lander, build_lander
from fsw.vehicles.lander.edl_common import EdlLinks
from fsw.vehicles.lander.modes import LANDER_MODES
from fsw.vehicles.lander.topics import (DESCENT_NAV, DESCENT_PLAN, DESCENT_THRUST, LANDER_MODE, STA_STATUS,
                                        DescentNav, DescentPlan, StaStatus, Thrust)
from hal.errors import DeviceFault

EDL_PHASES = (None, "IDLE", "ARMED", "ON_CHUTE", "HEATSHIELD_OFF", "BACKSHELL_OFF")


# ------------------------------------------------------------------ fakes
@dataclass
class Sample:
    t_ns: int
    accel_mps2: tuple = (0.0, 0.0, G_MARS)
    range_m: float = 100.0
    valid: bool = True
    thrust_N: float = 0.0


class Device:
    """A device whose next sample the test sets; `fail` makes it raise DeviceFault."""

    def __init__(self, name):
        self.name, self.sample, self.fail, self.commands = name, None, False, []

    def read(self):
        if self.fail:
            raise DeviceFault(f"{self.name}: no answer")
        return self.sample

    def command(self, throttle, direction):
        self.commands.append((throttle, direction))


@dataclass
class EntryNav:
    radar_locked: bool


def nav_msg(contact=False, arrested=False, valid=True, range_m=50.0):
    return DescentNav((0.0, 0.0, range_m), (0.0, 0.0, -1.0), 2000.0, range_m, valid, contact, arrested)


def navigator(mode="POWERED_DESCENT", **kw):
    imu, alt, eng = Device("imu0"), Device("altimeter0"), Device("engine")
    nav = DescentNavigator(imu=imu, altimeter=alt, engine=eng, **kw)
    nav.ports.inject(LANDER_MODE, mode)
    return nav, imu, alt, eng


def fly(nav, devices, t0_ns, n, z0=100.0, dt_ns=20_000_000):
    """n control cycles hovering: the IMU feels gravity's opposite, the altimeter the height."""
    imu, alt, eng = devices
    for k in range(n):
        t = t0_ns + k * dt_ns
        imu.sample = Sample(t)
        alt.sample = Sample(t, range_m=z0)
        eng.sample = Sample(t, thrust_N=2000.0 * G_MARS)
        nav.step(t)
    return t0_ns + n * dt_ns


# ------------------------------------------------------------------ wiring
def test_the_descent_components_are_wired_on_the_descent_topics():
    """LDR-WIRE-001: navigation -> manager and guidance, guidance -> navigation and manager,
    the manager's mode -> the arm, navigation and guidance; without them the manager is the
    surface one (the fetch flight wires it with the arm alone)."""
    fsw = build_lander(descent=True)
    links = {c.topic.name: (c.publishers, c.subscribers) for c in fsw.topology.connections}
    assert links[DESCENT_NAV.name] == (("descent_nav",), ("lander", "descent"))
    assert links[DESCENT_THRUST.name] == (("descent",), ("descent_nav",))
    assert links[DESCENT_PLAN.name] == (("descent",), ("lander",))
    assert links[LANDER_MODE.name] == (("lander",), ("sta", "descent_nav", "descent"))
    surface = build_lander()
    assert surface.descent_nav is None and surface.descent is None
    assert type(surface.lander).SUBSCRIBES == (STA_STATUS,) and isinstance(surface.lander, Lander)
    assert surface.lander.engines_off() and not surface.lander.altimeter_contact()


# ------------------------------------------------------------------ the manager: property test
def expected_refusals(mode, s):
    """The triggers a guidance cycle may fire and see refused: powered descent before the
    altimeter is valid (navigation has spoken), a divert asked for without a safe site."""
    if mode in ("PARACHUTE", "TERRAIN_NAV") and s["phase"] == "BACKSHELL_OFF" and s["nav"] is not None:
        return int(not s["nav"].range_valid)
    if mode == "POWERED_DESCENT" and s["plan"] is not None and s["plan"].divert:
        return int(not s["plan"].site_chosen)
    return 0


def expected_after_step(mode, s):
    """LDR-MGR-001/002, written from the requirements: what one guidance cycle of the manager
    does with these inputs (the EDL phases may follow each other within the cycle)."""
    phase, nav, plan, sta = s["phase"], s["nav"], s["plan"], s["sta"]
    if mode == "ENTRY" and phase in ("ON_CHUTE", "HEATSHIELD_OFF", "BACKSHELL_OFF"):
        mode = "PARACHUTE"
        if phase in ("HEATSHIELD_OFF", "BACKSHELL_OFF") and s["radar"]:
            mode = "TERRAIN_NAV"
    elif mode == "PARACHUTE" and phase in ("HEATSHIELD_OFF", "BACKSHELL_OFF") and s["radar"]:
        mode = "TERRAIN_NAV"
    if mode in ("PARACHUTE", "TERRAIN_NAV") and phase == "BACKSHELL_OFF" and nav is not None and nav.range_valid:
        return "POWERED_DESCENT"
    if mode == "POWERED_DESCENT" and plan is not None and plan.divert and plan.site_chosen:
        return "HAZARD_DIVERT"
    if mode == "TOUCHDOWN" and (plan is None or plan.engines_off):
        return "SURFACE_IDLE"
    sealed = sta is not None and sta.sealed
    busy = sta is not None and sta.busy
    if mode in ("SURFACE_IDLE", "SAMPLE_TRANSFER") and sealed:
        return "MAV_PREP"
    if mode == "SURFACE_IDLE" and sta is not None and sta.mode == "READY" and busy:
        return "SAMPLE_TRANSFER"
    if mode == "SAMPLE_TRANSFER" and not busy:
        return "SURFACE_IDLE"
    if mode == "MAV_PREP" and s["mav_go"]:
        return "LAUNCH_SUPPORT"
    if mode == "LAUNCH_SUPPORT" and s["departed"]:
        return "MISSION_COMPLETE"
    return mode


navs = st.none() | st.builds(nav_msg, contact=st.booleans(), arrested=st.booleans(), valid=st.booleans())
plans = st.none() | st.builds(DescentPlan, site_chosen=st.booleans(), divert=st.booleans(), engines_off=st.booleans())
stas = st.none() | st.builds(StaStatus, mode=st.sampled_from(("STOWED", "READY", "HOLDING", "SAFE")),
                             busy=st.booleans(), sealed=st.booleans())
inputs = st.fixed_dictionaries({"phase": st.sampled_from(EDL_PHASES), "radar": st.booleans(), "nav": navs,
                                "plan": plans, "sta": stas, "mav_go": st.booleans(), "departed": st.booleans()})


@given(script=st.lists(inputs, min_size=1, max_size=4))
def test_the_manager_moves_only_along_its_table_and_as_its_requirements_say(script):
    """LDR-MGR-001..003: from every mode, every change the manager makes on a guidance cycle
    or on a navigation message is an edge of LANDER_MODES whose guards hold (the table is the
    oracle), and the mode it reaches is the one the requirements give for those inputs."""
    for start in LANDER_MODES.modes:
        for kind in ("step", "nav"):
            s = {}
            lander = Lander(links=EdlLinks(nav=lambda: EntryNav(s["radar"]), edl_phase=lambda: s["phase"]))
            lander.force_mode(start)
            lander.flags["cruise_stage_separated"] = True
            for new in script:
                s.update(new)
                _manager_cycle(lander, s, kind)


def _manager_cycle(lander, s, kind):
    lander.plan, lander.nav = s["plan"], s["nav"]             # None: nothing published yet
    lander.ports.latest.pop(STA_STATUS.name, None)
    if s["sta"] is not None:
        lander.ports.inject(STA_STATUS, s["sta"])
    lander.flags["mav_go"], lander.flags["mav_departed"] = s["mav_go"], s["departed"]
    before = lander.mode
    lander.event_log.clear()
    if kind == "nav" and s["nav"] is not None:
        nav = s["nav"]
        touchdown = before in ("POWERED_DESCENT", "HAZARD_DIVERT") and nav.contact and nav.arrested
        want, refusals = "TOUCHDOWN" if touchdown else before, 0
        lander.ports.inject(DESCENT_NAV, nav)
    elif kind == "nav":
        return
    else:
        want = expected_after_step(before, s)
        refusals = expected_refusals(want, s) if want != "POWERED_DESCENT" or before == want else 0
        lander.guidance_step(0)
    assert lander.mode == want, f"{kind} from {before} with {s}: {lander.mode}, not {want}"
    refused = [dict(e.args)["trigger"] for e in lander.event_log if e.name == "TRIGGER_REJECTED"]
    assert len(refused) == refusals, f"{kind} from {before} with {s}: refused {refused}"
    for m in (dict(e.args) for e in lander.event_log if e.name == "MODE_CHANGED"):
        edges = [e for e in LANDER_MODES.edges() if e.source == m["source"] and e.trigger == m["trigger"]]
        assert len(edges) == 1 and edges[0].dest == m["dest"], m
        assert all(getattr(lander, g)() for g in edges[0].guards), m
        assert not any(getattr(lander, g)() for g in edges[0].unless), m


def test_powered_descent_waits_for_the_hand_over():
    """LDR-MGR-002: off the backshell, powered descent starts only once navigation has spoken
    (it takes the hand-over after the manager in the same cycle), never with a refused trigger."""
    s = {"phase": "BACKSHELL_OFF"}
    lander = Lander(links=EdlLinks(nav=lambda: EntryNav(True), edl_phase=lambda: s["phase"]))
    lander.force_mode("TERRAIN_NAV")
    lander.guidance_step(0)
    assert lander.mode == "TERRAIN_NAV" and lander.counters["trigger_rejected"] == 0
    lander.ports.inject(DESCENT_NAV, nav_msg(valid=True))
    lander.guidance_step(0)
    assert lander.mode == "POWERED_DESCENT"


# ------------------------------------------------------------------ descent navigation
def test_navigation_takes_the_hand_over_on_the_parachute_once_the_backshell_is_gone():
    """LDR-NAV-001."""
    s = {"phase": "HEATSHIELD_OFF"}
    links = EdlLinks(edl_phase=lambda: s["phase"], handover=lambda: ((1.0, 2.0, 2000.0), (0.0, 0.0, -75.0)))
    nav = DescentNavigator(links=links)
    nav.ports.inject(LANDER_MODE, "TERRAIN_NAV")
    nav.handover_step(0)
    assert not nav.nav_ok
    s["phase"] = "BACKSHELL_OFF"
    nav.ports.inject(LANDER_MODE, "ENTRY")
    nav.handover_step(0)
    assert not nav.nav_ok
    nav.ports.inject(LANDER_MODE, "PARACHUTE")
    nav.handover_step(0)
    assert nav.nav_ok and list(nav.r) == [1.0, 2.0, 2000.0] and nav.mass == nav.params["mass_kg"]
    assert [e.name for e in nav.event_log] == ["NAV_INITIALISED"]


def test_navigation_integrates_burns_mass_on_the_commanded_thrust_and_says_contact():
    """LDR-NAV-002/004: hovering on the IMU the state holds; mass falls by thrust/(Isp g0) per
    second; on the ground, slow, for arrested_cycles cycles: contact and arrested."""
    nav, *devs = navigator()
    nav.init_nav((0.0, 0.0, 100.0), (0.0, 0.0, 0.0), 2000.0)
    nav.ports.inject(DESCENT_THRUST, Thrust(2000.0 * G_MARS, (0.0, 0.0, 1.0)))
    t = fly(nav, devs, 0, 50)
    assert abs(nav.r[2] - 100.0) < 1e-9 and abs(nav.v[2]) < 1e-9
    burnt = 2000.0 * G_MARS / (nav.params["isp_s"] * 9.80665)
    assert abs((2000.0 - nav.mass) - burnt) < 1e-6
    assert nav.range_valid and not nav._contact()
    nav.init_nav((0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 2000.0)
    t = fly(nav, devs, t, 1, z0=1.0)          # the first range after a hand-over resets the altitude
    for _ in range(nav.params["arrested_cycles"]):
        t = fly(nav, devs, t, 1, z0=1.0)
    assert nav._contact() and nav._arrested >= nav.params["arrested_cycles"]


def test_a_biased_altimeter_is_gated_out_and_reported_once():
    """LDR-NAV-003."""
    nav, *devs = navigator()
    nav.init_nav((0.0, 0.0, 100.0), (0.0, 0.0, 0.0), 2000.0)
    t = fly(nav, devs, 0, 5)                  # locked on the true range
    fly(nav, devs, t, 10, z0=140.0)           # 40 m off
    assert nav.tlm["alt_rejects"] == 10 and not nav.range_valid
    assert [e.name for e in nav.event_log].count("ALT_REJECTED") == 1
    assert abs(nav.r[2] - 100.0) < 1e-6


def test_device_faults_are_counted_apart_on_the_surface():
    """LDR-NAV-005: a descent fault is not a surface fault (that one safes the lander)."""
    nav, imu, alt, eng = navigator("POWERED_DESCENT")
    nav.init_nav((0.0, 0.0, 100.0), (0.0, 0.0, 0.0), 2000.0)
    imu.fail = True
    fly(nav, (imu, alt, eng), 0, 3)
    assert nav.tlm["device_faults"] == 3 and nav.tlm["surface_device_faults"] == 0
    nav.ports.inject(LANDER_MODE, "SURFACE_IDLE")
    fly(nav, (imu, alt, eng), 10**9, 2)
    assert nav.tlm["device_faults"] == 5 and nav.tlm["surface_device_faults"] == 2


# ------------------------------------------------------------------ guidance
def test_guidance_flies_from_the_first_powered_descent_cycle_and_cuts_the_engines_on_touchdown():
    """LDR-GDN-001/003: no map: NO_SAFE_SITE, fly to the target; the engines are cut once on
    entering TOUCHDOWN (a restart that puts TOUCHDOWN back does not cut them again)."""
    eng = Device("engine")
    g = DescentGuidance(engine=eng, target_xy=(10.0, 0.0))
    g.ports.inject(DESCENT_NAV, nav_msg(range_m=300.0))
    g.step(0)
    assert eng.commands == [] and g.guidance is None           # not in powered descent yet
    g.ports.inject(LANDER_MODE, "POWERED_DESCENT")
    g.step(0)
    assert [e.name for e in g.event_log] == ["NO_SAFE_SITE"] and g.guidance is not None
    assert len(eng.commands) == 1 and eng.commands[0][0] > 0.0 and g.tlm["site_x_m"] == 10.0
    g.ports.inject(LANDER_MODE, "TOUCHDOWN")
    assert eng.commands[-1][0] == 0.0 and g.event_log[-1].name == "ENGINES_OFF"
    g.ports.inject(LANDER_MODE, "TOUCHDOWN")
    assert len(eng.commands) == 2


# ------------------------------------------------------------------ warm restart, component by component
def test_each_component_resumes_from_its_own_checkpoint_mid_descent():
    """LDR-NAV-006, LDR-GDN-004, LDR-MGR-004: a checkpoint taken mid-descent, restored into
    components built afresh, gives the same state and the same next outputs as the run that
    was never interrupted; navigation bridges a reboot gap on the saved engine command."""
    nav, *devs = navigator()
    nav.init_nav((0.0, 0.0, 400.0), (3.0, 0.0, -20.0), 2100.0)
    g = DescentGuidance(engine=Device("engine"), target_xy=(30.0, 0.0))
    g.ports.inject(LANDER_MODE, "POWERED_DESCENT")
    t = 0
    for _ in range(20):                      # 0.4 s: two guidance cycles
        g.ports.inject(DESCENT_NAV, DescentNav(tuple(nav.r), tuple(nav.v), nav.mass, 0.0, False, False, False))
        g.step(t)
        nav.ports.inject(DESCENT_THRUST, Thrust(g.thrust_cmd[0], g.thrust_cmd[1]))
        t = fly(nav, devs, t, 5, z0=float(nav.r[2]))
    saved_nav, saved_g = nav.checkpoint_state(), g.checkpoint_state()
    nav2, *devs2 = navigator()
    nav2.restore_state(saved_nav)
    g2 = DescentGuidance(engine=Device("engine"), target_xy=(0.0, 0.0))
    g2.restore_state(saved_g)
    assert g2.target_xy == (30.0, 0.0) and g2.guidance.phase == g.guidance.phase and g2.guidance.tgo == g.guidance.tgo
    msg = DescentNav(tuple(nav.r), tuple(nav.v), nav.mass, 0.0, False, False, False)
    for comp in (g, g2):
        comp.ports.inject(DESCENT_NAV, msg)
        comp.step(t)
    assert g.thrust_cmd == g2.thrust_cmd and "NO_SAFE_SITE" not in [e.name for e in g2.event_log]
    fly(nav, devs, t, 5)
    fly(nav2, devs2, t + 500_000_000, 5)     # rebooted: 0.5 s without navigation
    gaps = [dict(e.args)["gap_s"] for e in nav2.event_log if e.name == "NAV_GAP"]
    assert gaps == [0.5] and nav2.tlm["nav_gaps"] == 1 and nav2.mass < saved_nav["nav"]["mass_kg"]
    lander = Lander()
    lander.force_mode("HAZARD_DIVERT")
    lander.flags["cruise_stage_separated"] = True
    fresh = Lander()
    fresh.restore_state(lander.checkpoint_state())
    assert fresh.mode == "HAZARD_DIVERT" and fresh.flags == lander.flags
