"""Rendezvous plant at phasing range: the phasing orbit, quiet coasts in large steps that
agree with the physics step, the Mars limb hiding the OS, and the CCRS plant's mechanisms."""
import math

import pytest

from sim.mars import MARS
from sim.orbit import state_to_elements
from sim.plants import RendezvousPlant
from sim.plants.ccrs import CcrsParams, CcrsPlant
from sim.relative import inertial_to_lvlh
from sim.rendezvous import RendezvousParams, phasing_state
from sim.scenarios.capture import nominal_os_state

S = 1_000_000_000
OS = tuple(nominal_os_state()["r_m"] + nominal_os_state()["v_mps"])


def test_phasing_state_is_behind_below_and_circular_in_the_os_plane():
    ero = phasing_state(OS, 1000e3, 20e3, MARS.gm_m3ps2)
    el_os, el_e = state_to_elements(OS), state_to_elements(ero)
    assert el_e.ecc < 1e-9 and el_e.sma_m == pytest.approx(el_os.sma_m - 20e3, abs=1e-3)
    assert el_e.inc_rad == pytest.approx(el_os.inc_rad, abs=1e-12)
    rel = inertial_to_lvlh(ero, OS)                          # OS seen from the ERO: ahead
    assert rel[1] > 900e3 and abs(rel[2]) < 1e-3


def test_quiet_coast_in_large_steps_matches_the_physics_step():
    params = RendezvousParams(os_state=OS, ero_state=phasing_state(OS, 300e3, 10e3, MARS.gm_m3ps2))
    fine, coarse = RendezvousPlant(params, physics_rate_hz=10), RendezvousPlant(params, physics_rate_hz=10)
    for k in range(1, 3001):                                 # 10 Hz advance: one step at a time
        fine.advance_to(k * S // 10)
    coarse.advance_to(300 * S)                               # one call: 30 RK4 steps of 10 s
    assert coarse.pair.quiet_steps == 30 and fine.pair.quiet_steps == 0
    a, b = fine.truth()["relative_lvlh"], coarse.truth()["relative_lvlh"]
    assert max(abs(a[i] - b[i]) for i in range(3)) < 1e-3


def test_thrust_or_a_near_os_is_never_stepped_coarsely():
    plant = RendezvousPlant(RendezvousParams(os_state=OS, ero_rel_to_os_lvlh=(0.0, -20.0, 0.0, 0.0, 0.0, 0.0)),
                            physics_rate_hz=10)
    plant.advance_to(10 * S)
    assert plant.pair.quiet_steps == 0
    far = RendezvousPlant(RendezvousParams(os_state=OS), physics_rate_hz=10)
    far.actuate("rcs", {"force_N": (0.0, 1.0, 0.0)})
    far.advance_to(10 * S)
    assert far.pair.quiet_steps == 0 and far.truth()["delta_v_used_mps"] > 0.0


def test_mars_hides_the_os_from_phasing_range():
    near = RendezvousPlant(RendezvousParams(os_state=OS, ero_state=phasing_state(OS, 2000e3, 25e3, MARS.gm_m3ps2)))
    far = RendezvousPlant(RendezvousParams(os_state=OS, ero_state=phasing_state(OS, 3600e3, 25e3, MARS.gm_m3ps2)))
    assert not near.occulted() and far.occulted()
    assert all(far.sense("nac")["detected"] == 0 for _ in range(200))


def test_ccrs_primary_seal_jams_on_a_badly_oriented_os():
    plant = CcrsPlant(CcrsParams(), seed=1)
    assert plant.truth()["os_axis_error_deg"] > 5.0
    plant.actuate("seal_primary", {"fire": 1})
    plant.advance_to(20 * S)
    assert plant.truth()["sealed"]["primary"] and plant.sense("primary_check")["present"] == 0


def test_ccrs_sterilisation_heats_with_the_exact_step():
    a, b = CcrsPlant(seed=0), CcrsPlant(seed=0)
    for p in (a, b):
        p.actuate("btc_heater", {"power_W": 400.0})
    for k in range(1, 6001):
        a.advance_to(k * S // 10)
    b.advance_to(600 * S)
    assert a.temp_C == pytest.approx(b.temp_C, rel=1e-9) and a.temp_C > 200.0
    assert math.isclose(b.sense("btc_temp")["temp_C"], b.temp_C)
