"""SubSteps follows its declared table and nothing else (property tests against a model)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from fsw.core.modes import ANY, ModeTable, ModeTableError, T, check_structure
from fsw.core.substeps import SubSteps
from fsw.vehicles.lander.modes import STA_STEPS

TABLES = [STA_STEPS, ModeTable(
    modes=("idle", "approach", "lower", "grip", "lift"), initial="idle",
    transitions=(T("approach", "idle", "approach"), T("lower", "approach", "lower"),
                 T("grip", "lower", "grip", "closed"), T("lift", "grip", "lift", unless=("slipped",)),
                 T("abort", ANY, "idle")))]


class Owner:
    def __init__(self, closed: bool, slipped: bool) -> None:
        self._closed, self._slipped = closed, slipped

    def closed(self) -> bool:
        return self._closed

    def slipped(self) -> bool:
        return self._slipped


def model_next(table: ModeTable, state: str, trigger: str, owner: Owner) -> str | None:
    """The reference: the first edge of the table that matches and whose guards hold."""
    for e in table.edges():
        if e.trigger == trigger and e.source == state \
                and all(getattr(owner, g)() for g in e.guards) and not any(getattr(owner, g)() for g in e.unless):
            return e.dest
    return None


@given(st.sampled_from(range(len(TABLES))), st.booleans(), st.booleans(),
       st.lists(st.tuples(st.sampled_from(["approach", "lower", "grip", "lift", "abort", "reach", "grasp",
                                           "carry", "release", "idle", "bogus"]), st.integers(0, 3)),
                max_size=40))
def test_substeps_move_exactly_as_the_table_says(which, closed, slipped, moves):
    table = TABLES[which]
    owner = Owner(closed, slipped)
    steps = SubSteps(table, owner)
    state, rejected, cycles = table.initial, 0, 0
    for trigger, ticks in moves:
        for _ in range(ticks):
            steps.tick()
            cycles += 1
        expected = model_next(table, state, trigger, owner)
        assert steps.can(trigger) == (expected is not None)
        moved = steps.go(trigger)
        if expected is None:
            rejected += 1
        else:
            state, cycles = expected, 0
        assert moved == (expected is not None)
        assert (steps.state, steps.rejected, steps.cycles) == (state, rejected, cycles)
        assert steps.state in table.modes and steps.idle == (state == table.initial)


def test_the_tables_are_sound():
    """Every sub-step reachable, every one can get back to the start."""
    for table in TABLES:
        assert check_structure(table) == []
        assert all(table.initial in table.reachable_from(m) for m in table.modes)


def test_force_is_for_known_substeps_only_and_guards_must_exist():
    steps = SubSteps(STA_STEPS)
    steps.tick()
    steps.force("release")
    assert (steps.state, steps.cycles) == ("release", 0)
    with pytest.raises(ModeTableError):
        steps.force("dance")
    with pytest.raises(ModeTableError, match="closed"):
        SubSteps(TABLES[1], object())
    steps.reset()
    assert steps.idle
