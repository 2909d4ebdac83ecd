"""Monte Carlo reads the scenario's own declaration (`Scenario.prefixes`, `check`): a lander.* or
rover.* dispersion of a flight parameter is accepted as `--set lander.X=...` is, and refused
with the flight software's own limit when it can draw a value the flight would refuse."""
import pytest

from sim.montecarlo.campaign import check_scenario
from sim.montecarlo.dispersions import DispersionError, parse
from sim.montecarlo.seeds import plan_run
from sim.scenario_params import ScenarioError


def dispersion(scenario, key, lo, hi):
    return parse({"scenario": scenario, "dispersions": {key: {"dist": "uniform", "lo": lo, "hi": hi}}}, "test")


@pytest.mark.parametrize("scenario,key,lo,hi", [("landing", "descent.divert_budget_m", 100.0, 300.0),
                                                ("fetch", "rover.drive_speed_mps", 0.05, 0.08)])
def test_flight_parameter_dispersions_are_accepted_and_reach_the_run_inputs(scenario, key, lo, hi):
    d = dispersion(scenario, key, lo, hi)
    declared = check_scenario(scenario, d)
    assert key.split(".")[0] + "." in declared.prefixes
    value = plan_run(d, 5, 0).inputs[key]
    assert lo <= value <= hi
    declared.check_overrides({key: value})          # what the run itself checks before flying


@pytest.mark.parametrize("scenario,key,lo,hi,why", [
    ("fetch", "rover.drive_speed_mps", 0.05, 0.5, "rover.drive_speed_mps"),   # beyond the rover's own 0.1 m/s
    ("fetch", "rover.no_such_param", 0.0, 1.0, "rover.no_such_param"),
    ("fetch", "lander.divert_budget_m", 100.0, 300.0, "lander.divert_budget_m"),   # not a fetch family
    ("landing", "rover.drive_speed_mps", 0.05, 0.08, "rover.drive_speed_mps"),
])
def test_dispersions_the_flight_would_refuse_are_refused_by_name(scenario, key, lo, hi, why):
    with pytest.raises((DispersionError, ScenarioError), match=why):
        check_scenario(scenario, dispersion(scenario, key, lo, hi))
