"""Wall-clock fields never enter a Monte Carlo record, whoever adds them."""
import types

from sim.montecarlo.scenarios import declared_wall_fields


def test_run_scenario_wall_time_is_excluded_with_the_scenarios_own():
    module = types.SimpleNamespace(WALL_FIELDS=("realtime_factor",))
    assert set(declared_wall_fields(module)) == {"wall_time_s", "realtime_factor"}
    assert declared_wall_fields(types.SimpleNamespace()) == ("wall_time_s",)
