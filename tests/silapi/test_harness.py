"""The SIL harness: waits in simulated time, telemetry series, helpful timeout messages."""
import pytest

from fsw.core import Topology
from sim.harness import SilTimeout, build_run

from tests.core.thermal_example import HeaterZone


def heater_run():
    topo = Topology("zone", [HeaterZone("z0", temp_C=-20.0)])
    return build_run(topo, 10, [("control", 1, [topo["z0"]])], telemetry_divisor=5)


def test_wait_mode_event_and_telemetry():
    run = heater_run()
    assert run.command("z0.SET_SETPOINT", temp_C=0.0).ok
    run.topology["z0"].trigger("enable")
    took = run.wait_mode("z0", "REGULATE", timeout_s=600)
    assert took > 0 and run.mode("z0") == "REGULATE"
    ev = run.events("MODE_CHANGED")[-1]
    assert dict(ev.args)["dest"] == "REGULATE"
    t, temp = run.series("z0.temp_C")
    assert t[1] - t[0] == pytest.approx(0.5) and temp[-1] > temp[0]
    assert run.wait_tlm("z0.temp_C", lambda v: v > -2.5, timeout_s=1) > -2.5


def test_timeout_message_explains_state():
    run = heater_run()
    with pytest.raises(SilTimeout) as err:
        run.wait_mode("z0", "REGULATE", timeout_s=2)
    msg = str(err.value)
    assert "z0 to reach mode REGULATE" in msg and "z0=OFF" in msg and run.t == pytest.approx(2.0)


def test_unknown_channel_lists_known_ones():
    run = heater_run()
    run.run_for(1)
    with pytest.raises(KeyError, match="z0.temp_C"):
        run.series("z0.nope")


def test_wait_event_returns_the_event_after_the_call():
    run = heater_run()
    run.topology["z0"].trigger("enable")
    ev = run.wait_event("MODE_CHANGED", timeout_s=600, component="z0")
    assert dict(ev.args) == {"source": "WARMUP", "dest": "REGULATE", "trigger": "at_setpoint"}
    assert ev.t_ns == run.t_ns
