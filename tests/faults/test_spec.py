"""Fault specs: plain data in, a checked FaultSpec or a FaultSpecError out, nothing else."""
import pytest
from hypothesis import given, settings, strategies as st

from sim.faults.spec import KINDS, FaultSpec, FaultSpecError, parse_spec

values = st.one_of(st.none(), st.booleans(), st.integers(-5, 100), st.floats(allow_nan=True),
                   st.text(max_size=12), st.sampled_from(list(KINDS) + ["zone:SWEEP", "imu0"]))
keys = st.sampled_from(["kind", "target", "at_s", "when", "delay_s", "duration_s", "magnitude", "field", "bogus"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_any_table_is_a_spec_or_a_spec_error(entry):
    try:
        spec = parse_spec(entry)
    except FaultSpecError:
        return
    assert spec.kind in KINDS
    assert (spec.at_s is None) != (spec.when is None)
    assert parse_spec(spec.as_dict()) == spec


@pytest.mark.parametrize("entry, message", [
    ({"kind": "meteor", "at_s": 1}, "unknown fault kind"),
    ({"kind": "dropout", "at_s": 1}, "needs a target"),
    ({"kind": "overrun"}, "exactly one of at_s or when"),
    ({"kind": "overrun", "at_s": 1, "when": "a:B"}, "exactly one"),
    ({"kind": "overrun", "when": "SWEEP"}, "component:MODE"),
    ({"kind": "noise", "target": "imu0", "at_s": 1, "magnitude": -1}, ">= 0"),
    ({"kind": "reset", "at_s": 1, "colour": "red"}, "unknown fault spec key"),
    ({"kind": "link_loss", "at_s": 1, "duration_s": 0}, "duration_s must be > 0"),
])
def test_bad_specs_name_the_problem(entry, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_spec(entry)


def test_a_bias_step_may_be_negative():
    assert FaultSpec("bias", "t_rcs", at_s=0, magnitude=-40.0).level == -40.0
