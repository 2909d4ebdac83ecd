"""End-to-end SIL ascent (slow): the nominal scenario meets the issue's accuracy, and the
same seed gives the same summary."""
import pytest

from sim.scenarios import ascent


@pytest.mark.slow
def test_nominal_ascent_reaches_the_target_orbit_and_is_deterministic(tmp_path):
    a = ascent.run(seed=3, out_dir=tmp_path / "a", overrides={})
    assert a["success"], ascent.summary_lines(a)
    assert abs(a["periapsis_error_km"]) <= 5.0 and abs(a["apoapsis_error_km"]) <= 5.0
    assert abs(a["inclination_error_deg"]) <= 0.1 and a["os_released"]
    assert a["holds"] == [] and a["commands_rejected"] == []
    b = ascent.run(seed=3, out_dir=tmp_path / "b", overrides={})
    for k in ascent.WALL_FIELDS:
        a.pop(k), b.pop(k)
    assert a == b


@pytest.mark.slow
def test_cold_grain_holds_the_count_and_nothing_ignites(tmp_path):
    s = ascent.run(seed=1, out_dir=tmp_path, overrides={"grain_initial_C": -45.0, "max_time_s": 120.0})
    assert not s["success"] and s["final_mode"] in ("HOLD", "THERMAL_CONDITIONING")
    assert s["launch_time_s"] is None
