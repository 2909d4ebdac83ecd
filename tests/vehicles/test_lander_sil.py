"""The SIL landing scenario end to end: touchdown requirements, the same seed twice, the
deployment split (sequence inside the executive) and what it hands to the fetch phase."""
import json

import pytest

from sim.deployment import ScenarioError
from sim.scenarios import fetch, landing
from sim.terrain import SITE_TERRAIN


def test_landing_meets_the_touchdown_requirements_and_is_deterministic(tmp_path):
    a = landing.run(seed=3, out_dir=tmp_path, overrides={})
    assert a["success"], landing.summary_lines(a)
    t = a["touchdown"]
    assert t["error_from_site_m"] <= 10.0
    assert t["vertical_speed_mps"] <= 2.5 and t["horizontal_speed_mps"] <= 1.0
    assert a["site_safe_on_map"] and a["site_safety"]["max_rock_m"] <= 0.19
    assert a["site_safety"]["hazard_clearance_m"] >= 60.0
    assert a["modes"][-1] == "SURFACE_IDLE" and "TOUCHDOWN" in a["modes"]
    assert a["edl_sequence_ok"] and a["stopped_by"] == "done"
    assert (tmp_path / "telemetry.bin").stat().st_size > 1000
    b = landing.run(seed=3, out_dir=None, overrides={})
    drop = ("wall_time_s",)
    assert json.dumps({k: v for k, v in a.items() if k not in drop}, sort_keys=True) == \
        json.dumps({k: v for k, v in b.items() if k not in drop}, sort_keys=True)
    assert landing.summary_lines(a)[0].startswith("landing seed 3: SUCCESS")
    # What the campaign passes on to fetch: the touchdown point and the map it lies on.
    assert a["lander_xy_m"] == t["position_m"][:2]
    assert a["terrain"] == {"terrain_seed": 3, **SITE_TERRAIN}


def test_landing_and_fetch_fly_the_same_map_by_default():
    assert {k: landing.DEFAULTS[k] for k in SITE_TERRAIN} == {k: fetch.DEFAULTS[k] for k in SITE_TERRAIN}
    cfg_l, _ = landing.settings({"terrain_seed": 5})
    cfg_f, _ = fetch.settings({"terrain_seed": 5, "lander_xy_m": [1.0, 2.0]})
    a, b = landing.site_terrain(cfg_l), fetch.surface_site(cfg_f).terrain
    assert a.height_m.tobytes() == b.height_m.tobytes() and a.rocks_d_m.tobytes() == b.rocks_d_m.tobytes()


def test_the_edl_sequence_parses_and_carries_the_nav_hand_over():
    from fsw.core.sequencer import parse_sequence
    cfg, _ = landing.settings({"start_z_m": 1800.0})
    entries = parse_sequence(landing.edl_sequence(cfg))
    targets = [e.target for e in entries]
    assert targets == ["lander.SEPARATE_CRUISE_STAGE", "lander.MODE", "lander.NAV_HANDOVER", "lander.MODE",
                       "lander.SEPARATE_BACKSHELL"]
    assert dict(entries[2].args)["z_m"] == "1800.0"


@pytest.mark.parametrize("bad", [{"warp": 9}, {"lander.no_such_param": 1.0}])
def test_bad_overrides_are_clean_errors(tmp_path, bad):
    with pytest.raises(ScenarioError):
        landing.run(seed=1, out_dir=tmp_path, overrides=bad)
