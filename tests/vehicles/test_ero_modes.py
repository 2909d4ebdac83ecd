"""ERO capture mode table: stateful test against an independent oracle, structure, the
containment-before-EEV property (the containment steps against the CCRS plant are in
test_ero_ccrs.py)."""
from fsw.core.modes import every_path_passes
from fsw.testing.modes import assert_sound, mode_machine_test
from fsw.vehicles.ero import DEVICE_KINDS, ERO_MODES, EroDevices, build_ero
from hal.config import build_devices
from hal.table_plant import TablePlant


def make_ero(plant=None):
    plant = plant or TablePlant(DEVICE_KINDS)
    devices = build_devices({n: {"kind": k} for n, k in DEVICE_KINDS.items()}, plant=plant)
    return build_ero(EroDevices.from_set(devices)), plant


def ero_oracle(mode, trig, g):
    """From the issue: approach, capture, verified containment steps, hold on failure."""
    if mode == "COMPLETE":
        return None
    if trig == "safe":
        return None if mode == "SAFE" else "SAFE"
    if mode == "PHASING" and trig == "begin_search":
        return "SEARCH"
    if mode == "SEARCH" and trig == "acquire":
        return "FAR_RANGE" if g["target_detected"] else None
    if trig == "lost_target" and mode in ("FAR_RANGE", "CLOSE_RANGE", "HOLD_POINT"):
        return "SEARCH"
    if mode == "FAR_RANGE" and trig == "lidar_acquired":
        return "CLOSE_RANGE" if g["lidar_valid"] else None
    if trig == "reach_hold" and mode in ("CLOSE_RANGE", "BACK_OFF"):
        return "HOLD_POINT"
    if mode == "HOLD_POINT" and trig == "start_final":
        return "FINAL_APPROACH" if g["approach_go"] else None
    if trig == "back_off" and mode in ("FINAL_APPROACH", "CAPTURE"):
        return "BACK_OFF"
    if mode == "FINAL_APPROACH" and trig == "triggered":
        return "CAPTURE" if g["capture_triggered"] else None
    if mode == "CAPTURE" and trig == "lid_closed":
        return "ORIENT" if g["os_captured"] else None
    if mode == "ORIENT" and trig == "oriented":
        return "CONTAIN" if g["orientation_verified"] else None
    if mode == "CONTAIN" and trig == "contained":
        return "BREAK_THE_CHAIN" if g["containment_verified"] else None
    if trig == "containment_failed" and mode in ("ORIENT", "CONTAIN", "BREAK_THE_CHAIN"):
        return "CONTAINMENT_HOLD"
    if mode == "CONTAINMENT_HOLD" and trig == "retry_containment":
        return "ORIENT"
    if mode == "BREAK_THE_CHAIN" and trig == "sterilised":
        return "EEV_TRANSFER" if g["containment_verified"] and g["sterilisation_verified"] else None
    if mode == "EEV_TRANSFER":
        if trig == "transferred":
            return "EARTH_CRUISE" if g["eev_loaded"] else None
        if trig == "transfer_failed":
            return "CONTAINMENT_HOLD"
    if mode == "EARTH_CRUISE" and trig == "approach_earth":
        return "EEV_RELEASE"
    if mode == "EEV_RELEASE" and trig == "eev_released":
        return "COMPLETE" if g["eev_separated"] else None
    if mode == "SAFE" and trig == "recover":
        return "CONTAINMENT_HOLD" if g["os_captured"] else "HOLD_POINT"
    return None


TestEroModes = mode_machine_test(lambda: make_ero()[0].capture, ero_oracle).TestCase


def test_ero_table_is_sound():
    assert_sound(make_ero()[0].capture)


def test_no_eev_transfer_without_verified_containment():
    for via in ("CONTAIN", "BREAK_THE_CHAIN"):
        assert every_path_passes(ERO_MODES, "EEV_TRANSFER", via)
    for e in ERO_MODES.edges_into("EEV_TRANSFER"):
        assert "containment_verified" in e.guards and "sterilisation_verified" in e.guards
    for e in ERO_MODES.edges_into("BREAK_THE_CHAIN"):
        assert e.source == "CONTAIN" and "containment_verified" in e.guards
