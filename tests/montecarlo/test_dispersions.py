"""Dispersion files: clear errors naming the entry, sampling inside bounds and reproducible."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sim.montecarlo import dispersions
from sim.montecarlo.dispersions import DispersionError, parse


def one(spec):
    return parse({"dispersions": {"p.x": spec}}, "f.toml")


@pytest.mark.parametrize("spec, words", [
    ({"dist": "gamma", "mean": 1}, ["'p.x'", "unknown dist", "gamma"]),
    ({"dist": "normal", "mean": 1.0}, ["'p.x'", "missing field 'sigma'"]),
    ({"dist": "truncnorm", "mean": 1.0, "sigma": 0.1, "lo": 0.9}, ["'p.x'", "missing field 'hi'"]),
    ({"dist": "uniform", "lo": 2.0, "hi": 1.0}, ["'p.x'", "lo <= hi"]),
    ({"dist": "normal", "mean": 0.0, "sigma": 1.0, "lo": 1.0, "hi": -1.0}, ["'p.x'", "lo (1.0) > hi (-1.0)"]),
    ({"dist": "normal", "mean": 0.0, "sigma": -1.0}, ["'p.x'", "sigma"]),
    ({"dist": "normal", "mean": math.inf, "sigma": 1.0}, ["'p.x'", "mean must be finite"]),
    ({"dist": "normal", "mean": "one", "sigma": 1.0}, ["'p.x'", "'mean' must be a number"]),
    ({"dist": "choice", "values": []}, ["'p.x'", "non-empty list"]),
    ({"dist": "uniform", "lo": 0.0, "hi": 1.0, "sigma": 3.0}, ["'p.x'", "unexpected field", "sigma"]),
    ({"dist": "truncnorm", "mean": 0.0, "sigma": 1.0, "lo": 40.0, "hi": 41.0}, ["'p.x'", "too far in the tail"]),
    (3.0, ["'p.x'", "expected a table"]),
    ({"dist": []}, ["'p.x'", "unknown dist []", "choose from"]),          # TypeError before (issue 15)
    ({"dist": {}}, ["'p.x'", "unknown dist {}", "choose from"]),
    ({"dist": {"normal": 1}, "mean": 1.0}, ["'p.x'", "unknown dist"]),
])
def test_bad_entries_name_the_entry(spec, words):
    with pytest.raises(DispersionError) as info:
        one(spec)
    for word in words:
        assert word in str(info.value)
    assert "f.toml" in str(info.value)


def test_unknown_parameter_is_rejected_when_the_scenario_declares_its_parameters():
    d = parse({"dispersions": {"thrust_scale": {"dist": "uniform", "lo": 0.9, "hi": 1.1},
                               "thrust_scael": {"dist": "uniform", "lo": 0.9, "hi": 1.1}}}, "f.toml")
    d.check_parameters(None)                                    # undeclared: anything goes
    with pytest.raises(DispersionError, match="'thrust_scael'") as info:
        d.check_parameters(["thrust_scale", "mass_kg"])
    assert "'thrust_scale'" not in str(info.value).split("accepts")[0]


def test_file_errors(tmp_path):
    with pytest.raises(DispersionError, match="cannot read"):
        dispersions.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[dispersions\n")
    with pytest.raises(DispersionError, match="not valid TOML"):
        dispersions.load(bad)
    bad.write_text('scenario = "hop"\n[dispersion]\n')
    with pytest.raises(DispersionError, match="unknown top-level key.*dispersion"):
        dispersions.load(bad)
    bad.write_text('[dispersions]\nx = { dist = "uniform", lo = 1, hi = 2 }\n[fixed]\nx = 3\n')
    with pytest.raises(DispersionError, match="both fixed and dispersed"):
        dispersions.load(bad)


def test_example_files_parse():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "examples" / "dispersions"
    files = sorted(root.glob("*.toml"))
    assert files
    for path in files:
        d = dispersions.load(path)
        assert d.scenario == path.stem and d.dists


bounds = st.tuples(st.floats(-1e3, 1e3), st.floats(1e-3, 1e2), st.floats(-12.0, 12.0), st.floats(1e-3, 6.0))


@settings(max_examples=60)
@given(bounds, st.integers(0, 2**63 - 1))
def test_truncated_normal_stays_inside_and_is_reproducible(b, seed):
    mean, sigma, z_lo, width = b
    lo = mean + z_lo * sigma
    hi = lo + width * sigma
    d = one({"dist": "truncnorm", "mean": mean, "sigma": sigma, "lo": lo, "hi": hi}).dists["p.x"]
    xs = [d.sample(np.random.default_rng(seed + i)) for i in range(20)]
    assert all(lo <= x <= hi for x in xs)
    assert xs == [d.sample(np.random.default_rng(seed + i)) for i in range(20)]


@settings(max_examples=40)
@given(st.dictionaries(st.text("abcxyz._", min_size=1, max_size=6),
                       st.floats(-10, 10), min_size=1, max_size=6), st.integers(0, 2**32))
def test_sampling_does_not_depend_on_file_order(centres, seed):
    specs = {k: {"dist": "uniform", "lo": c, "hi": c + 1.0} for k, c in centres.items()}
    forward = parse({"dispersions": specs})
    backward = parse({"dispersions": dict(reversed(list(specs.items())))})
    a = forward.sample(np.random.default_rng(seed))
    assert a == backward.sample(np.random.default_rng(seed))
    assert all(centres[k] <= v <= centres[k] + 1.0 for k, v in a.items())


def test_normal_without_bounds_and_choice_values():
    d = parse({"dispersions": {"n": {"dist": "normal", "mean": 5.0, "sigma": 2.0},
                               "c": {"dist": "choice", "values": [1, "two", 3.0]}}})
    rng = np.random.default_rng(3)
    draws = [d.sample(rng) for _ in range(2000)]
    ns = np.array([x["n"] for x in draws])
    assert abs(ns.mean() - 5.0) < 0.2 and abs(ns.std() - 2.0) < 0.2
    assert {x["c"] for x in draws} == {1, "two", 3.0}
    assert math.isinf(d.dists["n"].lo)


def test_truncated_normal_has_the_truncated_moments():
    # Half-normal: N(0, 1) truncated to [0, inf) has mean sqrt(2/pi); and a tail window.
    rng = np.random.default_rng(5)
    half = one({"dist": "normal", "mean": 0.0, "sigma": 1.0, "lo": 0.0}).dists["p.x"]
    xs = np.array([half.sample(rng) for _ in range(20000)])
    assert abs(xs.mean() - math.sqrt(2 / math.pi)) < 0.02 and xs.min() >= 0.0
    tail = one({"dist": "truncnorm", "mean": 0.0, "sigma": 1.0, "lo": 5.0, "hi": 9.0}).dists["p.x"]
    ys = np.array([tail.sample(rng) for _ in range(5000)])
    # Mills ratio: E[X | X > 5] = phi(5) / Q(5) ~ 5.1865.
    assert abs(ys.mean() - 5.1865) < 0.01 and ys.min() >= 5.0


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                    st.text(max_size=5))
fields = st.dictionaries(st.sampled_from(["dist", "mean", "sigma", "lo", "hi", "values", "x"]),
                         st.one_of(scalars, st.sampled_from(["normal", "truncnorm", "uniform", "choice"]),
                                   st.lists(scalars, max_size=3),
                                   st.dictionaries(st.text(max_size=3), scalars, max_size=2)), max_size=6)
documents = st.dictionaries(
    st.sampled_from(["scenario", "dispersions", "fixed", "outputs", "retention", "other"]),
    st.one_of(scalars, st.dictionaries(st.text(max_size=4), st.one_of(fields, scalars), max_size=3),
              st.fixed_dictionaries({"key_figures": st.one_of(scalars, st.lists(scalars, max_size=2))}),
              st.fixed_dictionaries({"outliers": scalars})), max_size=5)


@settings(max_examples=300)
@given(documents, st.integers(0, 2**32))
def test_any_document_parses_or_gives_a_dispersion_error(doc, seed):
    try:
        d = parse(doc, "fuzz.toml")
    except DispersionError as exc:
        assert "fuzz.toml" in str(exc)
        return
    inputs = d.sample(np.random.default_rng(seed))       # a parsed file can always be sampled
    assert sorted(inputs) == sorted({*d.dists, *d.fixed})


@pytest.mark.parametrize("doc, words", [
    ({"fixed": {"max_time_s": "x"}}, ["fixed 'max_time_s'", "'x'", "finite number"]),
    ({"dispersions": {"slope_limit_deg": {"dist": "uniform", "lo": 0.0, "hi": 90.0}}},
     ["dispersion 'slope_limit_deg'", "0.0", "[1, 45]"]),
    ({"dispersions": {"terrain_seed": {"dist": "choice", "values": [1, -2]}}}, ["'terrain_seed'", "-2"]),
    ({"dispersions": {"descent.divert_budget_m": {"dist": "truncnorm", "mean": 1e3, "sigma": 1e3, "lo": 0.0,
                                                 "hi": 5e3}}}, ["refused by the flight software", "maximum 2000"]),
])
def test_values_a_file_can_give_are_checked_against_the_scenario_before_any_run(doc, words):
    from sim.montecarlo.campaign import check_scenario
    with pytest.raises(DispersionError) as info:
        check_scenario("landing", parse({"scenario": "landing", **doc}, "f.toml"))
    for word in words:
        assert word in str(info.value)
    check_scenario("landing", parse({"scenario": "landing", "dispersions": {
        "slope_limit_deg": {"dist": "uniform", "lo": 8.0, "hi": 16.0},
        "nav_pos_sigma_m": {"dist": "normal", "mean": 1.0, "sigma": 0.3}}}, "f.toml"))   # fine
