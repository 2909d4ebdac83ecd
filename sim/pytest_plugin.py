"""pytest plugin (`msr_sil`): SIL scenarios as fixtures for users' own tests.

    def test_mav_reaches_coast(sil):
        run = sil("ascent", seed=3, target_alt_km=350)
        run.wait_mode("flight", "COAST", timeout_s=300)
        run.expect_always("flight.grain_min_C", lambda c: c > -40, what="grain above -40 C")

`sil(scenario, seed=..., **overrides)` (any registered scenario, a dotted path or a
`sim.registry.Scenario`) builds the scenario's deployment (plant, simulated
devices, flight software with its fault protection, lockstep clock) and returns a
`sim.harness.SilRun`; waits run in simulated time and fail with the vehicle's modes, step
faults and last events. A component's step that raises fails the test (`SilStepFault`, naming
the component, the exception and its line) unless the test allows it:
`sil(..., allow_step_faults=True)` or `@pytest.mark.allow_step_faults`. Devices are closed
when the test ends. `--sil-seed N` overrides the default seed of every `sil` call in a session.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

MARKER = "allow_step_faults"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sil-seed", type=int, default=None,
                     help="seed for SIL scenarios started with the `sil` fixture")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a `sil` run in this test may have steps that raise")


@pytest.fixture
def sil(request: pytest.FixtureRequest) -> Callable[..., Any]:
    from sim.harness import start_deployment

    opened: list[tuple[Any, Any]] = []
    forced_seed = request.config.getoption("--sil-seed")
    marked = request.node.get_closest_marker(MARKER) is not None

    def start(scenario: str, *, seed: int = 1, allow_step_faults: bool | None = None, **overrides: Any):
        allow = marked if allow_step_faults is None else allow_step_faults
        run, devices = start_deployment(scenario, seed=forced_seed if forced_seed is not None else seed,
                                        overrides=overrides, allow_step_faults=allow)
        opened.append((run, devices))
        return run
    yield start
    for _, devices in opened:
        devices.close()
    for run, _ in opened:   # a fault in ticks run without SilRun's waits (never reported)
        if run.unreported_step_faults():
            pytest.fail(f"unexpected step fault(s) in the `sil` run:\n{run._state()}", pytrace=False)
