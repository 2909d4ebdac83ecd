"""Property tests for any component's mode table.

`mode_machine_test` builds a hypothesis `RuleBasedStateMachine` that fires random triggers
(declared ones and an undeclared one) with random guard values at a component and compares
every outcome with an independent oracle written by the test author. `assert_sound` runs the
exhaustive structural checks and compares the live `transitions` machine with the table.

Oracle signature: oracle(mode, trigger, guards) -> next mode, or None if the trigger must be
rejected (mode unchanged, a TRIGGER_REJECTED event emitted).
"""
from __future__ import annotations

from typing import Callable, Mapping

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fsw.core.component import Component
from fsw.core.modes import ModeTable, check_structure

Oracle = Callable[[str, str, Mapping[str, bool]], "str | None"]
UNDECLARED_TRIGGER = "__not_a_trigger__"


def mode_machine_test(build: Callable[[], Component], oracle: Oracle,
                      *, extra_triggers: tuple[str, ...] = (UNDECLARED_TRIGGER,)
                      ) -> type[RuleBasedStateMachine]:
    """Return a RuleBasedStateMachine class; expose it with `.TestCase` in a test module."""
    probe = build()
    table: ModeTable = probe.MODES
    if table is None:
        raise TypeError(f"{type(probe).__name__} has no mode table")
    guards = table.guard_names
    triggers = table.triggers + tuple(extra_triggers)

    class ModeMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.comp = build()
            self.guard_values = {g: False for g in guards}
            self.comp.guard_override = self.guard_values
            self.expected = table.initial

        if guards:
            @rule(name=st.sampled_from(guards), value=st.booleans())
            def set_guard(self, name: str, value: bool) -> None:
                self.guard_values[name] = value

        @rule(trigger=st.sampled_from(triggers))
        def fire(self, trigger: str) -> None:
            before = self.comp.mode
            want = oracle(before, trigger, dict(self.guard_values))
            rejected_before = self.comp.counters["trigger_rejected"]
            moved = self.comp.trigger(trigger)
            if want is None:
                assert not moved, f"{trigger} from {before} should be rejected, went to {self.comp.mode}"
                assert self.comp.mode == before
                assert self.comp.counters["trigger_rejected"] == rejected_before + 1, \
                    "a rejected trigger must be counted"
            else:
                assert moved, f"{trigger} from {before} with {self.guard_values} should go to {want}"
                assert self.comp.mode == want, f"{trigger} from {before}: got {self.comp.mode}, oracle says {want}"
            self.expected = self.comp.mode

        @invariant()
        def mode_is_declared(self) -> None:
            assert self.comp.mode in table.modes

        @precondition(lambda self: self.comp.mode in table.terminal)
        @invariant()
        def terminal_is_final(self) -> None:
            for trig in table.triggers:
                assert oracle(self.comp.mode, trig, {g: True for g in guards}) is None, \
                    f"oracle lets {trig} leave terminal mode {self.comp.mode}"

    ModeMachine.__name__ = f"{type(probe).__name__}ModeMachine"
    return ModeMachine


def assert_sound(component: Component) -> None:
    """Exhaustive checks: reachability, safe mode from everywhere, and that the built machine
    has exactly the transitions the table declares (nothing auto-added)."""
    table = component.MODES
    problems = check_structure(table)
    assert not problems, "\n".join(problems)
    machine = component._machine
    built = set()
    for trig, event in machine.events.items():
        for source, trans in event.transitions.items():
            for t in trans:
                built.add((trig, source, t.dest))
    declared = {(e.trigger, e.source, e.dest) for e in table.edges()}
    assert built == declared, f"undeclared: {sorted(built - declared)}, missing: {sorted(declared - built)}"


def table_oracle_from_rules(rules: Mapping[tuple[str, str], list[tuple[Callable[[Mapping[str, bool]], bool], str]]]
                            ) -> Oracle:
    """Build an oracle from hand-written rules {(mode, trigger): [(condition(guards), dest), ...]}.

    The first rule whose condition holds wins; no rule means the trigger is rejected.
    """
    def oracle(mode: str, trigger: str, guards: Mapping[str, bool]) -> str | None:
        for cond, dest in rules.get((mode, trigger), ()):
            if cond(guards):
                return dest
        return None
    return oracle
