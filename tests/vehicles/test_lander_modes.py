"""Lander and Sample Transfer Arm mode tables: property tests against oracles written from the
requirements (issue 6, MSR_FACTS.md), exhaustive structure checks and the interlocks."""
from fsw.core.modes import every_path_passes
from fsw.testing.modes import assert_sound, mode_machine_test
from fsw.vehicles.lander import MODE_COMPONENTS, Lander, RoverTracker, SampleTransferArm
from fsw.vehicles.lander.topics import DESCENT_NAV, DescentNav

ALWAYS_FAULTABLE = ("CRUISE", "TOUCHDOWN", "SURFACE_IDLE", "SAMPLE_TRANSFER", "MAV_PREP", "LAUNCH_SUPPORT")


def lander_oracle(mode, trigger, g):
    """Written from the lander's requirements, not from its table."""
    if mode == "MISSION_COMPLETE":
        return None
    if trigger == "fault":
        # EDL rides through faults; everything else can be made safe.
        return "SAFE" if mode in ALWAYS_FAULTABLE else None
    on_ground = g["altimeter_contact"] and g["descent_arrested"]
    rules = {
        # entry needs the cruise stage gone and entry navigation running
        ("CRUISE", "entry_interface"):
            "ENTRY" if g["cruise_stage_separated"] and g["entry_navigation_ready"] else None,
        # the parachute mode only on a confirmed deploy (pyro read-back)
        ("ENTRY", "deploy_chute"): "PARACHUTE" if g["chute_deployed"] else None,
        # map-relative navigation needs the camera uncovered and the radar on the ground
        ("PARACHUTE", "start_trn"): "TERRAIN_NAV" if g["heatshield_separated"] and g["radar_locked"] else None,
        # powered descent from the parachute, with or without TRN, only off the backshell
        ("PARACHUTE", "start_powered_descent"):
            "POWERED_DESCENT" if g["backshell_separated"] and g["altimeter_valid"] else None,
        ("TERRAIN_NAV", "start_powered_descent"):
            "POWERED_DESCENT" if g["backshell_separated"] and g["altimeter_valid"] else None,
        ("POWERED_DESCENT", "divert"): "HAZARD_DIVERT" if g["safe_site_chosen"] else None,
        ("POWERED_DESCENT", "touchdown"): "TOUCHDOWN" if on_ground else None,
        ("HAZARD_DIVERT", "touchdown"): "TOUCHDOWN" if on_ground else None,
        ("TOUCHDOWN", "secure"): "SURFACE_IDLE" if g["engines_off"] else None,
        ("SURFACE_IDLE", "begin_transfer"): "SAMPLE_TRANSFER" if g["sta_ready"] else None,
        ("SAMPLE_TRANSFER", "pause_transfer"): "SURFACE_IDLE" if not g["sta_busy"] else None,
        ("SURFACE_IDLE", "prepare_mav"): "MAV_PREP" if g["os_sealed"] else None,
        ("SAMPLE_TRANSFER", "prepare_mav"): "MAV_PREP" if g["os_sealed"] else None,
        ("MAV_PREP", "support_launch"): "LAUNCH_SUPPORT" if g["mav_go"] else None,
        ("LAUNCH_SUPPORT", "scrub"): "MAV_PREP",
        ("LAUNCH_SUPPORT", "launched"): "MISSION_COMPLETE" if g["mav_departed"] else None,
        ("SAFE", "recover"): "CRUISE" if not g["cruise_stage_separated"] else None,
        ("SAFE", "recover_surface"): "TOUCHDOWN" if on_ground else None,
    }
    return rules.get((mode, trigger))


def sta_oracle(mode, trigger, g):
    if mode == "SEALED":
        return None
    if trigger == "fault":
        return "SAFE" if mode != "SAFE" else None
    rules = {
        ("STOWED", "unstow"): "READY" if g["lander_on_surface"] else None,
        ("READY", "take_tube"): "HOLDING" if g["tube_in_gripper"] else None,
        ("HOLDING", "insert"): "INSERTING" if g["os_slot_free"] else None,
        ("INSERTING", "confirm"): "READY" if g["tube_sensor_confirms"] else None,
        ("INSERTING", "retry_insert"): "HOLDING" if not g["tube_sensor_confirms"] else None,
        ("READY", "seal"): "SEALING" if g["os_has_tubes"] and not g["tube_in_gripper"] else None,
        ("SEALING", "sealed"): "SEALED" if g["seal_confirmed"] else None,
        ("SAFE", "recover"): "READY" if g["lander_on_surface"] and not g["tube_in_gripper"] else None,
        ("SAFE", "recover_holding"): "HOLDING" if g["tube_in_gripper"] else None,
    }
    return rules.get((mode, trigger))


TestLanderModes = mode_machine_test(lambda: Lander("lander"), lander_oracle).TestCase
TestStaModes = mode_machine_test(lambda: SampleTransferArm("sta"), sta_oracle).TestCase


def test_tables_are_sound_and_exported_for_the_diagrams():
    assert {"lander": Lander, "sta": SampleTransferArm, "tracker": RoverTracker}.items() <= MODE_COMPONENTS.items()
    assert_sound(Lander("lander"))
    assert_sound(SampleTransferArm("sta"))
    assert_sound(RoverTracker("tracker"))


def test_required_modes_exist():
    modes = set(Lander.MODES.modes)
    for m in ("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV", "POWERED_DESCENT", "HAZARD_DIVERT", "TOUCHDOWN",
              "SURFACE_IDLE", "SAMPLE_TRANSFER", "MAV_PREP", "LAUNCH_SUPPORT", "SAFE"):
        assert m in modes


def test_no_sample_transfer_without_touchdown():
    table = Lander.MODES
    assert every_path_passes(table, "SAMPLE_TRANSFER", "TOUCHDOWN")
    assert every_path_passes(table, "SURFACE_IDLE", "TOUCHDOWN")
    assert every_path_passes(table, "MAV_PREP", "TOUCHDOWN")


def test_every_way_into_touchdown_needs_altimeter_contact():
    for e in Lander.MODES.edges_into("TOUCHDOWN"):
        assert "altimeter_contact" in e.guards and "descent_arrested" in e.guards


def test_live_guards_refuse_touchdown_without_contact():
    """LDR-MGR-003: touchdown only on descent navigation's contact and arrested descent."""
    lander = Lander("lander")
    lander.force_mode("POWERED_DESCENT")
    far = DescentNav((0.0, 0.0, 50.0), (0.0, 0.0, -0.1), 2000.0, 50.0, True, False, False)
    lander.ports.inject(DESCENT_NAV, far)
    assert not lander.trigger("touchdown")
    assert lander.mode == "POWERED_DESCENT"
    assert lander.event_log[-1].name == "TRIGGER_REJECTED"
    lander.ports.inject(DESCENT_NAV, DescentNav((0.0, 0.0, 1.2), (0.0, 0.0, -0.1), 2000.0, 1.2, True, True, True))
    assert lander.mode == "TOUCHDOWN"                  # declared on the message itself
    assert [e.name for e in lander.event_log[-2:]] == ["TOUCHDOWN_DETECTED", "MODE_CHANGED"]


def test_out_of_mode_and_bad_commands_are_rejected_not_raised():
    lander = Lander("lander")
    assert not lander.dispatch("MAV_DEPARTED").ok              # not in CRUISE
    assert not lander.dispatch("MAV_GO", {"go": "maybe"}).ok
    assert not lander.dispatch("MODE", {"trigger": "launched"}).ok
    assert lander.mode == "CRUISE"
    assert lander.counters["cmd_rejected"] == 2 and lander.counters["cmd_failed"] == 1
