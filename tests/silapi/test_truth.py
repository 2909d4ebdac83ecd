"""Truth series: flattening and sampling on the simulated-time grid."""
import numpy as np

from sim.truth import TruthRecorder, flatten


def test_flatten_nested_numbers_only():
    got = flatten({"r": (1.0, 2.0, 3.0), "ok": True, "name": "x", "el": {"a": 1, "b": None}})
    assert got == {"r.0": 1.0, "r.1": 2.0, "r.2": 3.0, "ok": 1.0, "el.a": 1.0}


def test_recorder_samples_once_per_period_and_aligns_keys():
    state = {"k": 0}
    rec = TruthRecorder(lambda: {"x": state["k"], **({"late": 1.0} if state["k"] > 2 else {})}, 100)
    for t in range(0, 500, 20):
        state["k"] = t // 100
        rec.advance_to(t)
    s = rec.series()
    assert list(s["t_s"] * 1e9) == [0, 100, 200, 300, 400]
    assert list(s["x"]) == [0, 1, 2, 3, 4]
    assert np.isnan(s["late"][:3]).all() and list(s["late"][3:]) == [1.0, 1.0]
