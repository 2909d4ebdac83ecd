"""The SIL fetch scenario: Perseverance delivery (fast), the deployment split's pieces, and
the full fetch campaign (slow): every tube sealed, the rover's true path never in a hazard."""
import json
import math

import pytest

from sim.deployment import ScenarioError
from sim.scenarios import fetch


def check(s, expected):
    assert s["success"], fetch.summary_lines(s)
    assert s["hazards_entered"] == 0
    assert s["custody_consistent"] and s["os_sealed"]
    assert s["tubes_delivered"] == expected and len(set(s["tubes_in_os"])) == expected
    assert s["tube_ids"] == s["tubes_in_os"]          # what ascent loads: the sealed OS's contents
    assert s["worst_error_to_bound"] < 1.0            # the rover's error bound held against truth


def test_perseverance_delivers_its_tubes_through_the_same_handoff(tmp_path):
    s = fetch.run(seed=1, out_dir=tmp_path, overrides={"delivery": "perseverance", "carried_tubes": 3})
    check(s, 3)
    assert s["tubes_in_os"] == [101, 102, 103]
    assert s["custody"]["lander"] == {"101": "os", "102": "os", "103": "os"}
    assert s["lander_fixes"] > 0                      # the lander's cameras fixed it on the way in
    json.dumps(s)                                     # plain JSON


def test_fetch_takes_the_campaign_map_and_lander_position():
    """Chaining: landing's touchdown point and terrain settings select fetch's world."""
    cfg, _ = fetch.settings({"terrain_seed": 3, "lander_xy_m": [3.71, -43.27]})
    site = fetch.surface_site(cfg)
    assert site.lander_xy == (3.71, -43.27)
    assert len(site.tubes) == 10 and site.tubes[-1].witness
    assert all(12.0 <= math.dist((t.x_m, t.y_m), site.lander_xy) <= 200.0 for t in site.tubes)
    plant = fetch.plant(1, {"terrain_seed": 3, "lander_xy_m": [3.71, -43.27]})
    assert plant.lander_xy == (3.71, -43.27)
    assert (plant.rover.x, plant.rover.y) == pytest.approx((3.71 + 2.0, -43.27))   # on the deck ramp


def test_landing_summary_terrain_is_accepted_as_it_is():
    terrain = {"terrain_seed": 7, "n_cells": 1024, "resolution_m": 0.5, "crater_density_per_km2": 25.0,
               "rocky_fraction": 0.2, "dune_fraction": 0.05}
    cfg, _ = fetch.settings({"terrain": terrain, "terrain_seed": 1})
    assert cfg["terrain_seed"] == 7 and cfg["n_cells"] == 1024 and "terrain" not in cfg


@pytest.mark.parametrize("bad", [{"warp": 1}, {"delivery": "mail"}, {"lander_xy_m": "here"},
                                 {"heading_source": "stars"},
                                 {"terrain": {"warp": 1}}, {"terrain": 3}])
def test_bad_overrides_are_scenario_errors(bad):
    with pytest.raises(ScenarioError):
        fetch.device_config(bad)


def test_an_unknown_flight_parameter_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="rover.no_such_param"):
        fetch.run(seed=1, out_dir=None, overrides={"rover.no_such_param": 1, "max_time_s": 1.0})


@pytest.mark.slow
def test_fetch_rover_collects_the_depot_and_is_deterministic(tmp_path):
    a = fetch.run(seed=1, out_dir=tmp_path, overrides={})
    check(a, 10)
    assert a["distance_driven_m"] > 100.0 and a["landmark_fixes"] >= 10
    b = fetch.run(seed=1, out_dir=None, overrides={})
    assert a["telemetry_sha256"] == b["telemetry_sha256"]
    drop = ("wall_time_s",)
    assert json.dumps({k: v for k, v in a.items() if k not in drop}, sort_keys=True) == \
        json.dumps({k: v for k, v in b.items() if k not in drop}, sort_keys=True)


@pytest.mark.slow
def test_rocky_ground_never_enters_a_hazard_and_the_bound_holds():
    """Safety must not depend on luck: rockier ground (narrower corridors, tubes harder to
    reach) may cost tubes, never a hazard entry, and the rover's error bound holds."""
    s = fetch.run(seed=4, out_dir=None, overrides={"rocky_fraction": 0.35, "dune_fraction": 0.1})
    assert s["hazards_entered"] == 0, s["hazard_entries"]
    assert s["worst_error_to_bound"] < 1.0
    assert s["custody_consistent"]
