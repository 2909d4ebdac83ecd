"""The lander's EDL components' mode tables (entry guidance, the EDL sequence, TRN): property
tests against oracles written from the EDL requirements (issue 22, MSR_FACTS.md), structure,
and the interlocks: no parachute mode without a confirmed deploy, no backshell release before
the heatshield, TRN only with the camera uncovered."""
from fsw.core.modes import every_path_passes
from fsw.testing.modes import assert_sound, mode_machine_test
from fsw.vehicles.lander import EdlSequencer, EntryGuidance, TerrainRelativeNav


def entry_oracle(mode, trigger, g):
    """Bank control starts at the entry interface, range control once the drag is felt,
    heading alignment below the alignment speed, and everything ends with the parachute."""
    if mode == "DONE":
        return None
    if trigger == "finish":
        return "DONE" if g["parachute_out"] else None
    rules = {
        ("IDLE", "start"): "PREBANK" if g["entry_interface_passed"] else None,
        ("PREBANK", "sense_atmosphere"): "RANGE_CONTROL" if g["drag_sensed"] else None,
        ("PREBANK", "align"): "HEADING_ALIGNMENT" if g["below_alignment_speed"] else None,
        ("RANGE_CONTROL", "align"): "HEADING_ALIGNMENT" if g["below_alignment_speed"] else None,
    }
    return rules.get((mode, trigger))


def edl_oracle(mode, trigger, g):
    """Each step follows its pyro's read-back, in order: chute, heatshield, backshell."""
    rules = {
        ("IDLE", "arm"): "ARMED" if g["entry_started"] else None,
        ("ARMED", "chute_confirmed"): "ON_CHUTE" if g["chute_fired"] else None,
        ("ON_CHUTE", "heatshield_confirmed"): "HEATSHIELD_OFF" if g["heatshield_fired"] else None,
        ("HEATSHIELD_OFF", "backshell_confirmed"): "BACKSHELL_OFF" if g["backshell_fired"] else None,
    }
    return rules.get((mode, trigger))


def trn_oracle(mode, trigger, g):
    """Images only once uncovered and low enough; tracking after an accepted fix, back to
    acquisition when it is lost; done when the backshell goes."""
    if mode == "DONE":
        return None
    if trigger == "stop":
        return "DONE" if g["backshell_gone"] else None
    rules = {
        ("IDLE", "start"): "ACQUIRE" if g["camera_uncovered"] and g["below_start_height"] else None,
        ("ACQUIRE", "fixed"): "TRACK" if g["fix_accepted"] else None,
        ("TRACK", "lost"): "ACQUIRE" if g["track_lost"] else None,
    }
    return rules.get((mode, trigger))


TestEntryModes = mode_machine_test(lambda: EntryGuidance("entry"), entry_oracle).TestCase
TestEdlSequenceModes = mode_machine_test(lambda: EdlSequencer("edl"), edl_oracle).TestCase
TestTrnModes = mode_machine_test(lambda: TerrainRelativeNav("trn"), trn_oracle).TestCase


def test_tables_are_sound():
    for comp in (EntryGuidance("entry"), EdlSequencer("edl"), TerrainRelativeNav("trn")):
        assert_sound(comp)


def test_the_backshell_never_goes_before_the_heatshield_nor_the_heatshield_before_the_chute():
    t = EdlSequencer.MODES
    assert every_path_passes(t, "BACKSHELL_OFF", "HEATSHIELD_OFF")
    assert every_path_passes(t, "HEATSHIELD_OFF", "ON_CHUTE")


def test_live_guards_read_the_pyros_and_the_lander():
    class Pyro:
        name = "chute_pyro"

        def __init__(self):
            self.fired = 0
            self.t = 0

        def read(self):
            self.t += 1
            return type("R", (), {"t_ns": self.t, "fired": self.fired})()

        def fire(self):
            self.fired = 1
    from fsw.vehicles.lander.edl_common import EdlLinks
    chute = Pyro()
    seq = EdlSequencer("edl", pyros={"chute": chute}, links=EdlLinks(lander_mode=lambda: "ENTRY"))
    seq.step(0)
    assert seq.mode == "ARMED"
    assert not seq.trigger("chute_confirmed")                  # not fired: refused
    seq._fire("chute", "test", 1)
    seq._advance()
    assert seq.mode == "ON_CHUTE" and seq.fired["chute"]
