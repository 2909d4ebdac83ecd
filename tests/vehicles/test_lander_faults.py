"""Lander fault protection from entry to the surface: faults are detected and ridden through
(navigation on the aero model or inertial, gated altimeter, propagated gaps, the parachute's
backup timer), the lander lands within its limits; the landing matrix cases and the `lost`
rule read plant truth. Each run flies the whole EDL (~3 s); the rest of the matrix is the
slow `msr faults` test."""
import functools
import math

import pytest

from sim.deployment import Deployment
from sim import registry

CASES = {name: registry.scenario(name).fault_cases for name in ("capture", "landing")}
from sim.faults.run import fly_with_faults
from sim.faults.spec import FaultSpec
from sim.scenarios.landing import LIMITS


@functools.lru_cache(maxsize=None)
def descent(kind, target="", delay_s=0.2, phase="lander:POWERED_DESCENT", duration_s=5.0, **kw):
    spec = FaultSpec(kind, target, when=phase, delay_s=delay_s,
                     **({} if kind == "reset" else {"duration_s": duration_s}), **kw)
    return fly_with_faults(Deployment("landing", 1), [spec], duration_s=600.0)


def touchdown(run):
    td = run.plant.truth()["touchdown"]
    assert td is not None
    return td


@pytest.mark.parametrize("kind,target,kw,monitor", [
    pytest.param("dropout", "altimeter0", {}, "descent_device_fault", marks=pytest.mark.slow),
    ("bias", "altimeter0", {"magnitude": 40.0}, "altimeter_rejected"),
    ("dropout", "imu0", {}, "descent_device_fault"),
    pytest.param("actuator_stuck", "engine", {}, "descent_device_fault", marks=pytest.mark.slow),
])
def test_a_descent_fault_is_detected_and_ridden_through(kind, target, kw, monitor):
    run = descent(kind, target, **kw)
    det = [r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"]
    assert det and det[0] == monitor
    td = touchdown(run)
    assert td["vertical_speed_mps"] <= LIMITS["vertical_speed_mps"]
    assert td["horizontal_speed_mps"] <= LIMITS["horizontal_speed_mps"]
    assert run.topology["lander"].mode == "SURFACE_IDLE"
    assert CASES["landing"].lost(run) is None


def test_a_biased_altimeter_is_not_blended_into_navigation():
    run = descent("bias", "altimeter0", magnitude=40.0)
    assert run.topology["descent_nav"].tlm["alt_rejects"] > 200   # the whole 5 s at 50 Hz, give or take the gate
    td = touchdown(run)
    site = run.topology["descent"].site
    assert math.dist(td["position_m"][:2], (site.x_m, site.y_m)) < LIMITS["touchdown_error_m"]


@pytest.mark.slow
def test_a_reset_late_in_the_descent_resumes_guidance_and_lands_on_the_site():
    run = descent("reset", delay_s=50.0)
    assert run.restarts == 1 and run.restore_notes[0]["not_restored"] == {}
    gaps = [r for r in run.records if r.name == "NAV_GAP"]
    assert len(gaps) == 1 and 0.2 <= gaps[0].args["gap_s"] <= 1.5
    td = touchdown(run)
    site = run.topology["descent"].site
    assert math.dist(td["position_m"][:2], (site.x_m, site.y_m)) < LIMITS["touchdown_error_m"]
    assert td["vertical_speed_mps"] <= LIMITS["vertical_speed_mps"]


def test_surface_faults_are_counted_apart_from_descent_faults():
    """A descent fault must not safe the lander once it has landed (a latched counter would)."""
    run = descent("dropout", "imu0")
    nav = run.topology["descent_nav"]
    assert nav.tlm["device_faults"] > 0 and nav.tlm["surface_device_faults"] == 0
    assert run.topology["lander"].mode == "SURFACE_IDLE"


class _Plant:
    def __init__(self, truth):
        self._truth = truth

    def truth(self):
        return self._truth


@pytest.mark.parametrize("td,why", [
    (None, "no touchdown"),
    ({"vertical_speed_mps": 4.0, "horizontal_speed_mps": 0.1, "slope_deg": 2.0, "max_rock_m": 0.0,
      "position_m": (0.0, 0.0, 0.0)}, "impact"),
    ({"vertical_speed_mps": 1.0, "horizontal_speed_mps": 2.0, "slope_deg": 2.0, "max_rock_m": 0.0,
      "position_m": (0.0, 0.0, 0.0)}, "tipped"),
    ({"vertical_speed_mps": 1.0, "horizontal_speed_mps": 0.1, "slope_deg": 20.0, "max_rock_m": 0.0,
      "position_m": (0.0, 0.0, 0.0)}, "tipped"),
])
def test_lost_reads_plant_truth(monkeypatch, td, why):
    import sim.plants.descent as descent_plants
    monkeypatch.setattr(descent_plants, "DescentPlant", _Plant)
    run = type("Run", (), {"plant": _Plant({"touchdown": td, "height_above_ground_m": 30.0, "propellant_kg": 10.0}),
                           "topology": None})()
    assert why in CASES["landing"].lost(run)


@pytest.mark.slow
def test_a_reset_in_the_drag_pulse_restores_entry_and_lands_on_the_site():
    run = descent("reset", delay_s=70.0, phase="lander:ENTRY")
    assert run.restarts == 1 and run.restore_notes[0]["not_restored"] == {}
    assert [r.args["gap_s"] for r in run.records if r.name == "NAV_GAP" and r.component == "edlnav"]
    td = touchdown(run)
    site = run.topology["descent"].site
    assert math.dist(td["position_m"][:2], (site.x_m, site.y_m)) < LIMITS["touchdown_error_m"]
    assert CASES["landing"].lost(run) is None


def test_without_an_imu_in_the_deploy_window_the_parachute_goes_by_the_backup_timer():
    run = descent("dropout", "imu0", delay_s=180.0, phase="lander:ENTRY", duration_s=60.0)
    det = [r.args["monitor"] for r in run.records if r.name == "FAULT_DETECTED"]
    assert det[:2] == ["edl_imu_fault", "parachute_backup_deploy"]
    assert [r.args["since"] for r in run.records if r.name == "BACKUP_DEPLOY"] == ["peak deceleration"]
    assert run.topology["lander"].mode == "SURFACE_IDLE" and CASES["landing"].lost(run) is None


def test_landing_cases_are_in_the_matrix():
    cases = CASES["landing"]
    assert "lander:POWERED_DESCENT" in cases.quick
    assert {"lander:ENTRY", "lander:PARACHUTE", "lander:TERRAIN_NAV"} <= set(cases.phases)
    edl = {(d["kind"], d["target"]) for p in ("lander:ENTRY", "lander:PARACHUTE", "lander:TERRAIN_NAV")
           for d in cases.device_faults[p]}
    assert {("dropout", "imu0"), ("dropout", "altimeter0"), ("dropout", "camera0"), ("noise", "camera0")} <= edl
    kinds = {(d["kind"], d["target"]) for d in cases.device_faults["lander:POWERED_DESCENT"]}
    assert {("dropout", "altimeter0"), ("dropout", "imu0"), ("actuator_failed", "engine"),
            ("actuator_stuck", "engine")} <= kinds
