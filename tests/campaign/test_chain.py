"""Campaign chaining: results become next-phase overrides; custody read from each phase."""

import numpy as np

from sim import registry
from sim.campaign import chain
from sim.campaign.phases import phase_seeds
from sim.campaign.results import figures


def test_first_finds_the_first_present_path():
    s = {"touchdown": {"xy_m": [1.0, 2.0]}, "other": 3}
    assert chain.first(s, "touchdown_xy_m", "touchdown.xy_m") == [1.0, 2.0]
    assert chain.first(s, "nope", "touchdown.nope") is None


def test_only_declared_overrides_are_passed():
    module = registry.scenario("capture")
    assert {"tube_ids", "os_state"} <= set(module.defaults) and "lander_xy_m" not in module.defaults
    assert chain.accepted(module, {"tube_ids": [3, 1], "lander_xy_m": [0, 0], "os_state": None}) == {"tube_ids": [3, 1]}


def test_custody_stages_from_phase_summaries():
    summaries = {
        "delivery": {"custody": {"delivered": [3, 1, 2], "sealed": [1, 2, 3]}},
        "ascent": {"os_released": True, "tube_ids": [1, 2, 3]},
        "capture": {"custody": {"captured": [1, 2, 3], "contained": [1, 2, 3], "in_eev": [1, 2]}},
    }
    c = chain.custody(summaries)
    assert c["delivered"] == [1, 2, 3] and c["loaded"] == [1, 2, 3] and c["in_orbit"] == [1, 2, 3]
    assert c["in_eev"] == [1, 2]  # a lost tube is visible, not hidden
    assert chain.custody({"ascent": {"os_released": False, "tube_ids": [1]}})["in_orbit"] == []


def test_phase_seeds_are_reproducible_and_distinct():
    a, b = phase_seeds(7, 4), phase_seeds(7, 4)
    assert a == b and len(set(a)) == 4 and phase_seeds(8, 4) != a


def test_figures_pick_nested_values():
    f = figures({"landing": {"touchdown": {"error_from_site_m": 2.4, "vertical_speed_mps": 1.0}},
                 "capture": {"detection_range_m": 2_830_171.0}})
    assert f["landing"] == {"touchdown_error_m": 2.4, "touchdown_vertical_mps": 1.0}
    assert f["capture"]["detection_range_km"] == 2830.2
    assert np.isfinite(f["capture"]["detection_range_km"])


def test_fetch_gets_the_lander_on_the_map_landing_describes():
    """After an EDL the touchdown point is on the plain (kilometres out); fetch's map is the site
    map re-centred on it, and `lander_xy_m` is the lander on that map."""
    landing = {"touchdown_xy_m": [1031.3, -1032.9], "lander_xy_m": [0.05, -0.15],
               "terrain": {"terrain_seed": 4, "shift_x_m": 7.5, "shift_y_m": -8.5}, "terrain_seed": 4}
    got = chain.after_landing(landing)
    assert got["lander_xy_m"] == [0.05, -0.15] and got["terrain"]["shift_x_m"] == 7.5


def test_the_delivery_is_predicted_from_its_own_settings_as_its_site_lays_the_tubes():
    """The ascent and capture fly ahead from the campaign's start on `predict_delivery` of the
    delivery's own overrides: it must name the tubes `fetch.surface_site` lays out (or those
    Perseverance carries) wherever the landing puts the lander, without making the site."""
    from sim.scenarios import fetch
    landing = {"lander_xy_m": [3.0, -4.0], "terrain": {"terrain_seed": 4, "shift_x_m": 7.5, "shift_y_m": -8.5}}
    for own in ({}, {"n_tubes": 4}, {"delivery": "perseverance", "carried_tubes": 3}):
        predicted = chain.predict_delivery(own)["sealed_tube_ids"]
        for given in ({}, landing):
            cfg, _ = fetch.settings({**given, **own})
            laid = fetch.carried_ids(cfg) if cfg["delivery"] == "perseverance" else \
                [t.tube_id for t in fetch.surface_site(cfg).tubes]
            assert predicted == sorted(laid)
        assert predicted == chain.predict_delivery({**landing, **own})["sealed_tube_ids"]
    assert chain.predict_delivery({"n_tubes": 4})["sealed_tube_ids"] == [1, 2, 3, 4]
