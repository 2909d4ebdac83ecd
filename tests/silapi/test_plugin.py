"""The `sil` fixture on the demo deployment: waits, telemetry assertions and their messages."""
import pytest


def test_sil_fixture_drives_a_deployment(sil):
    run = sil("zone", seed=3, setpoint_C=-25.0)
    run.command("zone.NOOP")
    took = run.wait_mode("zone", "READY", timeout_s=120)
    assert 0 < took < 120 and run.mode("zone") == "READY"
    t, temp = run.series("zone.temp_C")
    assert temp[-1] == pytest.approx(-25.0, abs=3.0) and temp[0] < temp[-1]
    with pytest.raises(AssertionError, match="zone to reach mode FAULT"):
        run.wait_mode("zone", "FAULT", timeout_s=1)


def test_expect_helpers_explain_failures(sil):
    run = sil("zone", seed=3)
    run.run_for(20)
    key = next(k for k in run.recorder.channels() if k.endswith("temp_C"))
    t_hot = run.expect_eventually(key, lambda c: c > -1000)
    assert t_hot >= 0
    with pytest.raises(AssertionError, match=r"broke below -1000 C at t="):
        run.expect_always(key, lambda c: c < -1000, what="below -1000 C")
    with pytest.raises(AssertionError, match="never met"):
        run.expect_eventually(key, lambda c: c > 1e9, what="a billion degrees")
