"""The SIL landing scenario end to end: touchdown requirements, the same seed twice, the
deployment split (sequence inside the executive) and what it hands to the fetch phase."""
import json
import math

import pytest

from sim.deployment import ScenarioError
from sim.scenarios import fetch, landing
from sim.terrain import SITE_TERRAIN


def test_landing_flies_edl_from_the_entry_interface_and_is_deterministic(tmp_path):
    """The must-show run: entry, parachute, TRN, powered descent, touchdown on the chosen site,
    against the public Mars 2020 / MSL figures (MSR_FACTS.md; tolerances: the published
    ranges: entry to touchdown ~7 min, 360-480 s; peak deceleration ~10-12 g; parachute at
    Mach 1.6-2.2, 9-13 km; backshell separation ~2 km at 75-90 m/s; TRN < 40 m, LVS's)."""
    a = landing.run(seed=3, out_dir=tmp_path, overrides={})
    assert a["success"], landing.summary_lines(a)
    t = a["touchdown"]
    assert t["error_from_site_m"] <= 10.0
    assert t["vertical_speed_mps"] <= 2.5 and t["horizontal_speed_mps"] <= 1.0
    assert a["site_safe_on_map"] and a["site_safety"]["max_rock_m"] <= 0.19
    assert a["site_safety"]["hazard_clearance_m"] >= 60.0
    assert a["modes"] == ["CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV", "POWERED_DESCENT"] + a["modes"][5:]
    assert a["modes"][-1] == "SURFACE_IDLE" and "TOUCHDOWN" in a["modes"]
    assert a["edl_sequence_ok"] and a["stopped_by"] == "done"
    e = a["edl"]
    # the true entry state is the nominal one moved by what orbit determination missed (1 km, 0.5 m/s, 1 sigma)
    assert e["entry_alt_km"] == pytest.approx(125.0, abs=4.0) and e["entry_speed_mps"] == pytest.approx(5900.0, abs=3.0)
    assert 360.0 <= e["entry_to_touchdown_s"] <= 480.0
    assert 9.5 <= e["peak_decel_g"] <= 12.5          # "~10-12 g" (an estimate for a lifting entry): the ~ is 0.5 g
    assert 1.6 <= e["parachute_deploy_mach"] <= 2.2 and 9.0 <= e["parachute_deploy_alt_km"] <= 13.0
    assert 1.9 <= e["backshell_sep_alt_km"] <= 2.3 and 70.0 <= e["backshell_sep_speed_mps"] <= 95.0
    assert e["nav_error_before_trn_m"] > 200.0 and e["trn_error_m"] < 10.0 and e["trn_fixes"] >= 10
    assert (tmp_path / "telemetry.bin").stat().st_size > 1000
    from sim.report import plots            # the landing phase's plots from the run directory
    made = [plots.edl_profile(tmp_path, tmp_path / "p.png"), plots.edl_ground_track(tmp_path, tmp_path / "g.png"),
            plots.trn_fixes(tmp_path, tmp_path / "t.png"), plots.landing_map(tmp_path, tmp_path / "m.png")]
    assert all(p.stat().st_size > 10_000 for p in made)
    b = landing.run(seed=3, out_dir=None, overrides={})
    drop = ("wall_time_s",)
    assert json.dumps({k: v for k, v in a.items() if k not in drop}, sort_keys=True) == \
        json.dumps({k: v for k, v in b.items() if k not in drop}, sort_keys=True)
    assert landing.summary_lines(a)[0].startswith("landing seed 3: SUCCESS")
    # What the campaign passes on to fetch: the map re-centred on the touchdown point, and the
    # lander on it: the same ground under its feet as the landing plain's.
    assert set(a["terrain"]) == {"terrain_seed", *SITE_TERRAIN} and a["terrain"]["terrain_seed"] == 3
    assert max(abs(c) for c in a["lander_xy_m"]) <= 0.5
    cfg, _ = fetch.settings({"terrain": a["terrain"], "lander_xy_m": a["lander_xy_m"]})
    there = fetch.surface_site(cfg).terrain
    cfg_l, _ = landing.settings({"terrain_seed": 3})
    plain = landing.landing_world(cfg_l)[0].terrain
    x, y = a["touchdown_xy_m"]
    assert there.height_at(*a["lander_xy_m"]) == pytest.approx(plain.height_at(x, y), abs=1e-4)


def test_landing_and_fetch_fly_the_same_map_by_default():
    assert {k: landing.DEFAULTS[k] for k in SITE_TERRAIN} == {k: fetch.DEFAULTS[k] for k in SITE_TERRAIN}
    cfg_l, _ = landing.settings({"terrain_seed": 5})
    cfg_f, _ = fetch.settings({"terrain_seed": 5, "lander_xy_m": [1.0, 2.0]})
    a, b = landing.site_terrain(cfg_l), fetch.surface_site(cfg_f).terrain
    assert a.height_m.tobytes() == b.height_m.tobytes() and a.rocks_d_m.tobytes() == b.rocks_d_m.tobytes()


def test_the_ground_sequence_gives_the_entry_state():
    from fsw.core.sequencer import parse_sequence
    cfg, _ = landing.settings({"entry_alt_km": 126.0})
    entries = parse_sequence(landing.edl_sequence(cfg))
    assert [e.target for e in entries] == ["lander.SEPARATE_CRUISE_STAGE", "edlnav.ENTRY_STATE", "lander.MODE"]
    r, v = landing.entry_state(cfg)
    assert float(dict(entries[1].args)["x_m"]) == r[0]
    assert math.sqrt(sum(c * c for c in r)) == pytest.approx(landing.MARS.radius_eq_m + 126e3, abs=1.0)


@pytest.mark.parametrize("bad", [{"warp": 9}, {"lander.no_such_param": 1.0}, {"trn.no_such_param": 1.0},
                                 {"entry_mass_kg": 90.0}, {"density_scale": -1.0}])
def test_bad_overrides_are_clean_errors(tmp_path, bad):
    with pytest.raises(ScenarioError):
        landing.run(seed=1, out_dir=tmp_path, overrides=bad)
