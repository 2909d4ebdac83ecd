"""Mode tables: the property-test helper on the example component, and the static checks."""
import pytest

from fsw.core import ModeTable, T, check_structure, every_path_passes
from fsw.core.modes import ModeTableError
from fsw.testing.modes import assert_sound, mode_machine_test

from .thermal_example import HeaterZone


def heater_oracle(mode, trigger, g):
    """Written from the heater's requirements, not from its table."""
    if mode == "FAILED":
        return None
    if trigger == "safe":
        return "SAFE" if mode != "SAFE" else None
    if mode == "OFF" and trigger == "enable":
        return "WARMUP" if g["power_ok"] else None
    if mode == "WARMUP" and trigger == "at_setpoint":
        return "REGULATE" if g["temp_in_band"] else None
    if mode == "REGULATE" and trigger == "cool":
        return "WARMUP" if not g["temp_in_band"] else None
    if mode in ("WARMUP", "REGULATE") and trigger == "disable":
        return "OFF"
    if mode == "SAFE" and trigger == "recover":
        return "OFF" if g["power_ok"] else None
    if mode == "SAFE" and trigger == "fail":
        return "FAILED"
    return None


TestHeaterModes = mode_machine_test(lambda: HeaterZone("z0"), heater_oracle).TestCase


def test_helper_catches_a_table_that_disagrees_with_the_oracle():
    def wrong_oracle(mode, trigger, g):  # believes recover ignores power
        if mode == "SAFE" and trigger == "recover":
            return "OFF"
        return heater_oracle(mode, trigger, g)
    machine = mode_machine_test(lambda: HeaterZone("z0"), wrong_oracle)
    with pytest.raises(AssertionError):
        machine.TestCase("runTest").runTest()


def test_example_table_is_sound():
    assert_sound(HeaterZone("z0"))


def test_structure_checks_find_problems():
    table = ModeTable(modes=("A", "B", "C", "SAFE", "ORPHAN"), initial="A", safe="SAFE",
                      transitions=(T("go", "A", "B"), T("safe", "A", "SAFE"), T("back", "SAFE", "A"),
                                   T("on", "B", "C")))
    problems = "\n".join(check_structure(table))
    assert "ORPHAN is unreachable" in problems
    assert "safe mode SAFE is unreachable from B" in problems
    assert "non-terminal mode C has no way out" in problems


def test_every_path_passes():
    table = ModeTable(modes=("STOWED", "CHECKOUT", "ARMED", "FIRE", "SAFE"), initial="STOWED", safe="SAFE",
                      transitions=(T("check", "STOWED", "CHECKOUT"), T("arm", "CHECKOUT", "ARMED"),
                                   T("fire", "ARMED", "FIRE"), T("safe", "*", "SAFE")))
    assert every_path_passes(table, "FIRE", via="CHECKOUT")
    sneaky = ModeTable(table.modes, table.initial, table.transitions + (T("arm", "STOWED", "ARMED"),), safe="SAFE")
    assert not every_path_passes(sneaky, "FIRE", via="CHECKOUT")


@pytest.mark.parametrize("kwargs, msg", [
    (dict(modes=("A",), initial="B", transitions=()), "unknown mode"),
    (dict(modes=("A", "B"), initial="A", transitions=(T("x", "A", "C"),)), "unknown mode"),
    (dict(modes=("A", "B"), initial="A", transitions=(T("x", "A", "B"), T("x", "A", "A", "g"))), "shadows"),
    (dict(modes=("A", "B"), initial="A", terminal=("B",), transitions=(T("x", "B", "A"),)), "terminal"),
])
def test_inconsistent_tables_refused(kwargs, msg):
    with pytest.raises(ModeTableError, match=msg):
        ModeTable(**kwargs)


def test_wildcard_expands_to_non_terminal_modes():
    t = HeaterZone.MODES
    sources = {e.source for e in t.edges() if e.trigger == "safe"}
    assert sources == {"OFF", "WARMUP", "REGULATE"}
