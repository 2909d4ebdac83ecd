"""Rover mode table: property test against an oracle from the requirements, structure checks."""
from fsw.core.modes import every_path_passes
from fsw.testing.modes import assert_sound, mode_machine_test
from fsw.vehicles.rover import MODE_COMPONENTS, Rover

DRIVING = ("EGRESS", "TRAVERSE", "APPROACH_TUBE", "RETURN")


def rover_oracle(mode, trigger, g):
    """Written from the rover's requirements, not from its table."""
    if trigger == "fault":
        return "SAFE" if mode != "SAFE" else None
    if trigger == "hazard":
        return "HAZARD_STOP" if mode in DRIVING else None
    rules = {
        ("STOWED", "egress"): "EGRESS" if g["lander_landed"] else None,
        ("EGRESS", "egress_done"): "IDLE" if g["off_deck"] else None,
        ("IDLE", "drive"): "TRAVERSE" if g["path_ok"] and g["slot_free"] else None,
        ("TRAVERSE", "arrive_tube"): "APPROACH_TUBE" if g["at_goal"] else None,
        ("APPROACH_TUBE", "in_reach"): "ACQUIRE" if g["tube_localised"] else None,
        ("ACQUIRE", "grasped"): "STOW_TUBE" if g["grasp_confirmed"] else None,
        ("ACQUIRE", "retry"): "APPROACH_TUBE" if g["retries_left"] else None,
        ("ACQUIRE", "give_up"): "IDLE" if not g["retries_left"] else None,
        ("APPROACH_TUBE", "give_up"): "IDLE" if not g["retries_left"] else None,
        ("STOW_TUBE", "stowed"): "IDLE" if g["stow_confirmed"] else None,
        ("IDLE", "go_home"): "RETURN" if g["path_ok"] and g["carrying_tubes"] else None,
        # too unsure of its position: back to the lander for a fix, with nothing to hand over
        ("IDLE", "relocalise"): "RETURN" if g["path_ok"] and not g["carrying_tubes"] else None,
        ("RETURN", "arrived"): "HANDOFF" if g["at_goal"] else None,
        ("HANDOFF", "handoff_done"): "IDLE" if not g["carrying_tubes"] else None,
        ("HAZARD_STOP", "clear"): "IDLE" if g["off_deck"] else None,
        ("HAZARD_STOP", "clear_egress"): "EGRESS" if not g["off_deck"] else None,
        ("SAFE", "recover"): "IDLE" if g["off_deck"] else None,
        ("SAFE", "recover_stowed"): "STOWED" if not g["off_deck"] else None,
    }
    return rules.get((mode, trigger))


TestRoverModes = mode_machine_test(lambda: Rover("rover"), rover_oracle).TestCase


def test_table_is_sound_and_exported():
    assert MODE_COMPONENTS == {"rover": Rover}
    assert_sound(Rover("rover"))


def test_required_modes_and_pickup_sequence():
    t = Rover.MODES
    for m in ("STOWED", "EGRESS", "IDLE", "TRAVERSE", "APPROACH_TUBE", "ACQUIRE", "STOW_TUBE",
              "RETURN", "HANDOFF", "HAZARD_STOP", "SAFE"):
        assert m in t.modes
    assert every_path_passes(t, "STOW_TUBE", "ACQUIRE")   # nothing is stowed without a grasp
    assert every_path_passes(t, "HANDOFF", "RETURN")



def test_a_stowed_rover_that_faults_cannot_recover_into_driving():
    # Structurally SAFE -> IDLE exists (a rover that faulted after egress); its guard keeps a
    # rover still on the deck out of it, so driving always follows an egress.
    r = Rover("rover")
    assert r.trigger("fault") and r.mode == "SAFE"
    assert not r.trigger("recover") and r.mode == "SAFE"
    assert r.trigger("recover_stowed") and r.mode == "STOWED"


def test_perseverance_configuration_starts_off_deck_with_its_tubes():
    from fsw.vehicles.rover import build_rover
    fsw = build_rover(delivery="perseverance", carried=[11, 12, 12])
    r = fsw.rover
    assert r.mode == "IDLE" and r.aboard == [11, 12]       # the duplicate is refused
    assert r.ledger.refusals == 1
    assert any(e.name == "CUSTODY_REFUSED" for e in r.event_log)
