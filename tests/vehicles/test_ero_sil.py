"""End-to-end SIL capture (slow): nominal capture and return, a forced back-off and retry,
and a containment fault that must hold the OS out of the EEV."""
import pytest

from sim.scenarios import capture


@pytest.mark.slow
def test_nominal_capture_contains_and_releases_the_eev(tmp_path):
    s = capture.run(seed=2, out_dir=tmp_path, overrides={})
    assert s["success"], capture.summary_lines(s)
    assert s["closing_speed_at_capture_mps"] <= 0.15 and s["offset_at_capture_m"] < 0.3
    assert s["tubes_in_eev"] == 10 and s["retries"] == 0


@pytest.mark.slow
def test_cone_violation_backs_off_and_retries(tmp_path):
    s = capture.run(seed=1, out_dir=tmp_path, overrides={"lateral_kick_mps": 0.05})
    assert s["success"] and s["retries"] >= 1
    assert any("CONE_VIOLATION" in e for e in s["events"])


@pytest.mark.slow
def test_unverified_containment_never_reaches_the_eev(tmp_path):
    s = capture.run(seed=1, out_dir=tmp_path, overrides={"containment_fault": True})
    assert s["final_mode"] == "CONTAINMENT_HOLD" and not s["containment_verified"]
    assert s["tubes_in_eev"] == 0 and not s["eev_released"]
