"""Shared dispersions for the Monte Carlo tests: the demo scenario, some runs made to crash."""
import pytest

from sim.montecarlo.dispersions import parse

HOP = {
    "scenario": "hop",
    "dispersions": {
        "thrust_scale": {"dist": "normal", "mean": 1.0, "sigma": 0.03, "lo": 0.9, "hi": 1.1},
        "mass_kg": {"dist": "uniform", "lo": 95.0, "hi": 105.0},
        "density_scale": {"dist": "truncnorm", "mean": 1.0, "sigma": 0.3, "lo": 0.6, "hi": 1.4},
        "fail_with": {"dist": "choice", "values": ["", "", "", "", "raise"]},
    },
    "fixed": {"dt_s": 0.1},
    "outputs": {"key_figures": ["apex_error_m"]},
    "retention": {"outliers": 2},
}


@pytest.fixture
def hop_dispersions():
    return parse(HOP, "hop-test")
