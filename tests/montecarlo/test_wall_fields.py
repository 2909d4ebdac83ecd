"""Wall-clock fields never enter a Monte Carlo record, whoever adds them."""
import dataclasses

from sim import registry
from sim.deployment import wall_fields


def test_run_scenario_wall_time_is_excluded_with_the_scenarios_own():
    hop = registry.scenario("hop")
    assert wall_fields(dataclasses.replace(hop, wall_fields=("realtime_factor",))) == ("wall_time_s", "realtime_factor")
    assert wall_fields(hop) == ("wall_time_s",)
    assert set(wall_fields("ascent")) == {"wall_time_s", "realtime_factor"}
