"""Issue 18: what is tested is what flies. Every scenario's flight build carries its fault
protection (Health, its table plus the generic monitors, the link watch, warm restart, an
fdir group in every rate set); a flight without it is refused unless asked for, and every
summary says which; a nominal ascent is clean."""
import dataclasses
import importlib
import json
import types

import pytest
from click.testing import CliRunner

from fsw.core import SimClock
from fsw.core.checkpoint import MemoryCheckpointStore
from fsw.core.protection import FDIR_GROUP, protection_lines
from msr.cli import cli
from sim.deployment import Deployment, ScenarioError, run_scenario
from sim.faults.install import Installed, generic_monitors, table_module
from sim.montecarlo.statistics import protection as mc_protection

from tests.silapi import heater_scenario

SCENARIOS = {"ascent": "mav", "capture": "ero", "landing": "lander", "fetch": "rover", "zone": "zone",
             "sim.faults.carousel": "carousel"}


def flight_side(dep):
    plant = dep.plant()
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    devices = dep.sim_devices(plant)
    topo, ex = dep.flight(devices, clock)
    return topo, ex, devices


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_flight_build_carries_its_protection(scenario):
    topo, ex, devices = flight_side(Deployment(scenario, 1))
    try:
        p = topo.protection
        assert isinstance(p, Installed) and p.ground is not None      # flight half + ground's heartbeat
        for name in ("health", "linkwatch", "fdir", "restart"):
            assert topo.components[name] is getattr(p, {"linkwatch": "link"}.get(name, name))
        names = {m.name for m in p.table}
        assert {m.name for m in generic_monitors(table_module(SCENARIOS[scenario]))} <= names
        assert len(names) > len(generic_monitors(table_module(SCENARIOS[scenario])))   # and its own table
        for rs in ex.rate_sets.values():                               # monitors run in every rate set
            fdir = [g for g in rs.groups if g.name == FDIR_GROUP]
            assert len(fdir) == 1 and fdir[0].steps[0] is p.ground
        assert isinstance(p.restart.store, MemoryCheckpointStore)     # SIL: checkpoints in memory
        assert p.watchdog is not None
    finally:
        devices.close()


def unprotected_module():
    """A third-party scenario whose flight() forgets its protection."""
    def flight(devices, clock, overrides=None):
        return heater_scenario.flight(devices, clock, overrides, protection=types.SimpleNamespace(enabled=False))
    return dataclasses.replace(heater_scenario.SCENARIO, name="forgetful", flight=flight)


def test_a_flight_side_built_without_protection_is_refused_unless_asked_for():
    with pytest.raises(ScenarioError, match="without fault protection.*--no-protection"):
        flight_side(Deployment("forgetful", 1, {}, unprotected_module()))
    topo, _, devices = flight_side(Deployment("forgetful", 1, {}, unprotected_module(), protection=False))
    devices.close()
    assert topo.protection is None


def test_msr_sil_reports_protection_and_a_nominal_ascent_is_clean(tmp_path):
    res = CliRunner().invoke(cli, ["sil", "ascent", "--seed", "2", "--out", str(tmp_path / "on")])
    assert res.exit_code == 0, res.output
    p = json.loads((tmp_path / "on" / "summary.json").read_text())["protection"]
    assert {k: p[k] for k in ("installed", "trips", "step_faults", "restarts")} == \
        {"installed": True, "trips": 0, "step_faults": 0, "restarts": 0}
    assert p["checkpoints"] > 100 and p["checkpoint_store"] == "memory"
    assert "protection: installed; 0 monitor trip(s), 0 step fault(s), 0 warm restart(s)" in res.output
    res = CliRunner().invoke(cli, ["sil", "ascent", "--seed", "2", "--no-protection", "--out", str(tmp_path / "off")])
    assert res.exit_code == 0, res.output
    p = json.loads((tmp_path / "off" / "summary.json").read_text())["protection"]
    assert p["installed"] is False and p["trips"] is None and "NOT INSTALLED" in res.output


@pytest.mark.parametrize("scenario", ["landing", "fetch"])
def test_msr_sil_flies_the_scenarios_own_run_with_the_protection_asked_for(tmp_path, monkeypatch, scenario):
    """landing and fetch give the map of the run's seed in their run() (a direct run_scenario
    would fly terrain_seed 1 for every seed): msr sil goes through it, protection passed on."""
    module = importlib.import_module(f"sim.scenarios.{scenario}")
    flown = []

    def run(*, seed, out_dir, overrides, protection=True):
        flown.append((seed, protection))
        return {"success": True}
    assert module.SCENARIO.run is module.run
    monkeypatch.setattr(module, "SCENARIO", dataclasses.replace(module.SCENARIO, run=run,
                                                                 summary_lines=lambda s: ["flown"]))
    for extra in ((), ("--no-protection",)):
        res = CliRunner().invoke(cli, ["sil", scenario, "--seed", "3", "--out", str(tmp_path / "o"), *extra])
        assert res.exit_code == 0, res.output
    assert flown == [(3, True), (3, False)]


def test_step_faults_are_listed_in_the_summary_with_their_line():
    s = run_scenario(heater_scenario.SCENARIO, seed=1, out_dir=None, overrides={"bug": True, "duration_s": 1.0})
    p = s["protection"]
    assert p["step_faults"] == 11 and p["trips"] >= 2 and p["monitors_tripped"]["step_fault"] == 1
    lines = protection_lines(p)
    assert "11 step fault(s)" in lines[0]
    assert lines[1].startswith("  step fault: heater: 11 step fault(s), first at t=0.000 s: KeyError: 'ki' at "
                               "tests/silapi/heater_scenario.py:")


def test_the_monte_carlo_report_adds_up_protection_over_the_runs():
    def rec(k, trips, faults, installed=True):
        return {"run": k, "status": "ok", "outputs": {"protection.installed": installed, "protection.trips": trips,
                                                      "protection.step_faults": faults, "protection.restarts": 0}}
    records = [rec(0, 0, 0), rec(1, 2, 0), rec(2, 0, 5), {"run": 3, "status": "crashed", "outputs": {}}]
    assert mc_protection(records) == {"runs": 3, "installed": 3, "trips": 2, "runs_with_trips": [1],
                                      "step_faults": 5, "runs_with_step_faults": [2], "restarts": 0,
                                      "runs_with_restarts": []}
    assert mc_protection([{"run": 0, "status": "ok", "outputs": {"apex_m": 1.0}}]) is None
