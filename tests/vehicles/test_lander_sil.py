"""The SIL landing scenario end to end: touchdown requirements, and the same seed twice."""
import json

from sim.scenarios import landing


def test_landing_meets_the_touchdown_requirements_and_is_deterministic(tmp_path):
    a = landing.run(seed=3, out_dir=tmp_path, overrides={})
    assert a["success"], landing.summary_lines(a)
    t = a["touchdown"]
    assert t["error_from_site_m"] <= 10.0
    assert t["vertical_speed_mps"] <= 2.5 and t["horizontal_speed_mps"] <= 1.0
    assert a["site_safe_on_map"] and a["site_safety"]["max_rock_m"] <= 0.19
    assert a["site_safety"]["hazard_clearance_m"] >= 60.0
    assert a["modes"][-1] == "SURFACE_IDLE" and "TOUCHDOWN" in a["modes"]
    b = landing.run(seed=3, out_dir=tmp_path, overrides={})
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert landing.summary_lines(a)[0].startswith("landing seed 3: SUCCESS")


def test_unknown_override_is_a_clean_error(tmp_path):
    import pytest
    with pytest.raises(ValueError, match="unknown landing parameters"):
        landing.run(seed=1, out_dir=tmp_path, overrides={"warp": 9})
