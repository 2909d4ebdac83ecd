"""Commands, parameters, events and triggers: bad input is rejected with an event, never raised."""
from hypothesis import given
from hypothesis import strategies as st

from fsw.core import CommandStatus, Severity

from .thermal_example import HeaterZone


def names(comp):
    return [e.name for e in comp.event_log]


def test_command_runs_in_allowed_mode_and_is_counted():
    z = HeaterZone("z0")
    r = z.dispatch("SET_SETPOINT", {"temp_C": "12.5"})
    assert r.ok and z.params["setpoint_C"] == 12.5
    assert z.counters["cmd_accepted"] == 1
    assert names(z)[-1] == "CMD_ACCEPTED"


def test_command_out_of_mode_is_rejected_with_event_and_counter():
    z = HeaterZone("z0")
    z.trigger("safe")
    r = z.dispatch("SET_SETPOINT", {"temp_C": 0})
    assert r.status is CommandStatus.REJECTED and "SAFE" in r.reason
    assert z.params["setpoint_C"] == 5.0
    assert z.counters["cmd_rejected"] == 1
    ev = z.event_log[-1]
    assert ev.name == "CMD_REJECTED" and ev.severity is Severity.WARNING_LO


def test_bad_arguments_rejected_naming_the_argument():
    z = HeaterZone("z0")
    for args, needle in [({"temp_C": 99}, "above maximum"), ({"temp_C": "warm"}, "expected a number"),
                         ({}, "missing argument temp_C"), ({"temp_C": 1, "x": 2}, "unexpected"),
                         ({"temp_C": float("nan")}, "not finite"), ({"temp_C": True}, "expected a number")]:
        r = z.dispatch("SET_SETPOINT", args)
        assert r.status is CommandStatus.REJECTED and needle in r.reason, (args, r)
    assert z.counters["cmd_rejected"] == 6 and z.params["setpoint_C"] == 5.0


def test_unknown_command_rejected():
    z = HeaterZone("z0")
    assert z.dispatch("SELF_DESTRUCT").status is CommandStatus.REJECTED
    assert z.counters["cmd_rejected"] == 1


def test_parameters_within_limits_only():
    z = HeaterZone("z0")
    assert z.set_param("band_C", 3)
    assert z.params["band_C"] == 3.0
    assert not z.set_param("band_C", 11)
    assert not z.set_param("nope", 1)
    assert z.params["band_C"] == 3.0
    assert names(z)[-2:] == ["PARAM_REJECTED", "PARAM_REJECTED"]
    r = z.dispatch("SET_PARAM", {"param": "heater_W", "value": "60"})
    assert r.status is CommandStatus.FAILED and z.params["heater_W"] == 20.0


def test_trigger_rejections_are_events_and_name_the_guard():
    z = HeaterZone("z0")
    z.bus_V = 20.0
    assert not z.trigger("enable")
    assert z.event_log[-1].name == "TRIGGER_REJECTED"
    assert dict(z.event_log[-1].args)["reason"] == "guard power_ok is false"
    assert not z.trigger("at_setpoint")  # no such edge from OFF
    assert not z.trigger("warp")          # not a trigger at all
    assert z.counters["trigger_rejected"] == 3 and z.mode == "OFF"


def test_guard_exception_does_not_escape():
    z = HeaterZone("z0")

    def boom():
        raise RuntimeError("sensor read failed")
    z.power_ok = boom  # the machine's guard looks the method up at build time
    z._build_machine(z.MODES)
    assert not z.trigger("enable")
    assert "guard error" in dict(z.event_log[-1].args)["reason"]


def test_mode_change_emits_event_and_runs_entry_hook():
    seen = []

    class Hooked(HeaterZone):
        def on_enter_WARMUP(self):
            seen.append(self.mode)
    z = Hooked("z1")
    assert z.trigger("enable")
    assert seen == ["WARMUP"]
    ev = z.event_log[-1]
    assert ev.name == "MODE_CHANGED" and dict(ev.args) == {"source": "OFF", "dest": "WARMUP", "trigger": "enable"}


@given(st.text(max_size=20), st.dictionaries(st.text(max_size=8),
                                             st.one_of(st.none(), st.integers(), st.floats(), st.text(), st.booleans(),
                                                       st.lists(st.integers(), max_size=3)), max_size=4))
def test_any_command_input_never_raises(name, args):
    z = HeaterZone("z0")
    r = z.dispatch(name, args)
    assert r.status in (CommandStatus.OK, CommandStatus.REJECTED, CommandStatus.FAILED)
    assert z.counters["cmd_accepted"] + z.counters["cmd_rejected"] + z.counters["cmd_failed"] == 1


@given(st.text(max_size=30))
def test_any_trigger_name_never_raises(trigger):
    z = HeaterZone("z0")
    z.trigger(trigger)
    assert z.mode in z.MODES.modes


def test_checkpoint_and_restore_round_trip():
    z = HeaterZone("z0")
    z.trigger("enable")
    z.set_param("band_C", 4.0)
    z.dispatch("NOPE")
    saved = z.checkpoint_state()
    fresh = HeaterZone("z0")
    fresh.restore_state(saved)
    assert fresh.mode == "WARMUP" and fresh.params["band_C"] == 4.0
    assert fresh.counters["cmd_rejected"] == 1
    bad = dict(saved, params={"band_C": 1e9})
    other = HeaterZone("z1")
    other.restore_state(bad)
    assert other.params["band_C"] == 2.0 and other.event_log[-1].name == "PARAM_REJECTED"
