"""pytest plugin (`msr_sil`): SIL scenarios as fixtures for users' own tests.

    def test_mav_reaches_coast(sil):
        run = sil("ascent", seed=3, target_alt_km=350)
        run.wait_mode("flight", "COAST", timeout_s=300)
        run.expect_always("flight.grain_min_C", lambda c: c > -40, what="grain above -40 C")

`sil(scenario, seed=..., **overrides)` builds the scenario's deployment (plant, simulated
devices, flight software, lockstep clock) and returns a `sim.harness.SilRun`; waits run in
simulated time and fail with the vehicle's modes and last events. Devices are closed when
the test ends. `--sil-seed N` overrides the default seed of every `sil` call in a session.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sil-seed", type=int, default=None,
                     help="seed for SIL scenarios started with the `sil` fixture")


@pytest.fixture
def sil(request: pytest.FixtureRequest) -> Callable[..., Any]:
    from sim.harness import start_deployment

    opened: list[Any] = []
    forced_seed = request.config.getoption("--sil-seed")

    def start(scenario: str, *, seed: int = 1, **overrides: Any):
        run, devices = start_deployment(scenario, seed=forced_seed if forced_seed is not None else seed,
                                        overrides=overrides)
        opened.append(devices)
        return run
    yield start
    for devices in opened:
        devices.close()
