"""The SIL fetch scenario: Perseverance delivery (fast) and the full fetch campaign (slow)."""
import json

import pytest

from sim.scenarios import fetch


def check(s, expected):
    assert s["success"], fetch.summary_lines(s)
    assert s["hazards_entered"] == 0
    assert s["custody_consistent"] and s["os_sealed"]
    assert s["tubes_delivered"] == expected and len(set(s["tubes_in_os"])) == expected


def test_perseverance_delivers_its_tubes_through_the_same_handoff(tmp_path):
    s = fetch.run(seed=1, out_dir=tmp_path, overrides={"delivery": "perseverance", "carried_tubes": 3})
    check(s, 3)
    assert s["tubes_in_os"] == [101, 102, 103]
    json.dumps(s)                                          # plain JSON


@pytest.mark.slow
def test_fetch_rover_collects_the_depot_and_is_deterministic(tmp_path):
    a = fetch.run(seed=1, out_dir=tmp_path, overrides={})
    check(a, 10)
    assert a["distance_driven_m"] > 100.0
    b = fetch.run(seed=1, out_dir=tmp_path, overrides={})
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
