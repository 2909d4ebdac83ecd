"""The bench's reason to exist: a lockstep HIL run over a pty pair writes the very same
telemetry log, byte for byte, as the SIL run of the same scenario and seed."""
import pytest

from hil.runner import run_flight
from sim.deployment import run_sil

from .kit import EQUIVALENCE_SCENARIOS, deployable, pty_bench, running_emulator


# simulated seconds compared per scenario (None: the scenario's own duration); a prefix of a
# long flight is as good a check of equivalence and keeps the serial round trips affordable
DURATIONS = {"zone": None, "ascent": 720.0, "capture": 16000.0,
             "landing": None,        # the whole descent to touchdown (~64 s simulated, ~10 s wall)
             "fetch": 600.0}         # egress, first traverse and lander fixes (~35 s wall for both runs)
SURFACE_SCENARIOS = ("landing", "fetch")


def scenario_param(name):
    why = deployable(name)
    marks = [pytest.mark.skip(reason=why)] if why else []
    if name != "zone":
        marks.append(pytest.mark.slow)
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("scenario", [scenario_param(n) for n in dict.fromkeys(EQUIVALENCE_SCENARIOS
                                                                            + SURFACE_SCENARIOS)])
def test_lockstep_hil_log_is_byte_identical_to_sil(tmp_path, scenario):
    extra = {"duration_s": DURATIONS[scenario]} if DURATIONS.get(scenario) else {}
    bench = pty_bench(tmp_path, scenario=scenario, seed=7, **extra)
    sil = run_sil(bench.deployment)
    sil_result, sil_log = sil.result, sil.log
    with running_emulator(bench) as em:
        report, hil_log = run_flight(bench, mode="lockstep")
    assert report.ok, report.result.fault
    assert report.result.ticks == sil_result.ticks and report.result.stopped_by == sil_result.stopped_by
    assert report.slips == 0
    assert em.stats.advances > 0
    sil_bytes, hil_bytes = sil_log.getvalue(), hil_log.getvalue()
    assert len(sil_bytes) > 1000
    assert hil_bytes == sil_bytes


def test_a_different_seed_gives_a_different_log(tmp_path):
    """The comparison above can fail: the log carries the seeded sensor noise."""
    a = run_sil(pty_bench(tmp_path, seed=7).deployment).log.getvalue()
    b = run_sil(pty_bench(tmp_path, seed=8).deployment).log.getvalue()
    assert a != b and len(a) > 1000


def test_demo_reaches_its_end_state_in_sil(tmp_path):
    sil = run_sil(pty_bench(tmp_path).deployment)
    topology, result = sil.topology, sil.result
    assert result.stopped_by == "done"
    assert topology["zone"].mode == "DONE"
    names = [e.name for e in topology.events]
    assert "SWEEP_DONE" in names and "DEVICE_FAULT" not in names
