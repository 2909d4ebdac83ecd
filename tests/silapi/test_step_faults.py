"""Issue 18, as a new user met it: a small vehicle whose step raises KeyError every tick.

The `sil` fixture fails the test at once, naming the component, the exception and the raising
line; a test that expects step faults says so; the STEP_FAULT event, the telemetry count and
the timeout message all name the line; the build's OFF -> WARMUP reaches the log.
"""
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.harness import SilStepFault

from . import heater_scenario

SCENARIO = "tests.silapi.heater_scenario"
LINE = next(i for i, text in enumerate(inspect.getsourcelines(heater_scenario.HeaterZone.step)[0])
            if "the bug" in text) + inspect.getsourcelines(heater_scenario.HeaterZone.step)[1]
WHERE = f"tests/silapi/heater_scenario.py:{LINE}"
ROOT = Path(__file__).resolve().parents[2]


def test_an_unexpected_step_fault_fails_at_once_and_names_the_line(sil):
    run = sil(SCENARIO, bug=True)
    with pytest.raises(SilStepFault) as err:
        run.wait_mode("heater", "SAFE", timeout_s=5)
    text = str(err.value)
    assert "heater: " in text and "KeyError: 'ki'" in text and WHERE in text
    assert "STEP_FAULT" in text                       # among the last events
    assert run.t == 0.0                               # stopped on the tick that raised, not 5 s later


def test_a_test_that_allows_step_faults_sees_them_as_events_and_telemetry(sil):
    run = sil(SCENARIO, bug=True, allow_step_faults=True)
    run.run_for(3)
    faults = [dict(e.args) for e in run.events("STEP_FAULT")]
    assert faults[0] == {"component": "heater", "error": "KeyError", "message": "'ki'", "where": WHERE,
                         "count": 1}
    assert run.topology["health"].tlm["step_faults"] == run.executive.step_faults["heater"] >= 30
    assert run.executive.stats()["_total"]["step_faults"] == run.executive.step_faults["heater"]
    monitors = [dict(e.args)["monitor"] for e in run.events("FAULT_DETECTED")]
    assert "step_fault" in monitors and "component_dead" in monitors    # the generic monitors saw it
    with pytest.raises(AssertionError) as err:
        run.wait_mode("heater", "OFF", timeout_s=1)
    assert "step faults:" in str(err.value) and WHERE in str(err.value)
    assert "last events:" in str(err.value)


@pytest.mark.allow_step_faults
def test_the_marker_allows_step_faults(sil):
    run = sil(SCENARIO, bug=True)
    run.run_for(1)
    assert run.executive.step_faults["heater"] >= 10


def test_a_clean_vehicle_is_protected_and_its_build_time_mode_change_is_logged(sil):
    run = sil(SCENARIO)
    run.run_for(3)
    assert run.topology.protection is not None and not run.events("STEP_FAULT")
    first = run.events("MODE_CHANGED", component="heater")[0]
    assert dict(first.args) == {"source": "OFF", "dest": "WARMUP", "trigger": "enable"}


def test_a_fault_in_the_last_ticks_fails_the_test_at_teardown(tmp_path):
    """A test that never waits after the fault is still failed, by the fixture."""
    test = tmp_path / "test_user.py"
    test.write_text(textwrap.dedent(f"""
        def test_drives_the_executive_directly(sil):
            run = sil("{SCENARIO}", bug=True)
            run.executive.run(ticks=3)
    """))
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stdout[-2000:]
    assert "unexpected step fault" in res.stdout and WHERE in res.stdout
