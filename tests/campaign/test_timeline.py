"""The campaign timeline (`msr run`): a phase's key events are shown, never cut silently."""
from msr.commands.run import TIMELINE_HEAD, TIMELINE_TAIL, timeline_lines


def summary(n_events):
    events = [{"t_s": float(k), "component": "flight", "text": f"MODE_{k} -> MODE_{k + 1}"} for k in range(n_events)]
    return {"timeline": [{"phase": "ascent", "compressed": False, "success": True, "start_s": 0.0,
                          "end_s": 100.0, "events": events}]}


def test_a_phase_with_many_transitions_shows_its_first_and_last_and_says_how_many_more():
    lines = timeline_lines(summary(20))
    shown = [ln for ln in lines if "MODE_" in ln]
    assert len(shown) == TIMELINE_HEAD + TIMELINE_TAIL
    assert "MODE_0 ->" in shown[0] and "MODE_19 -> MODE_20" in shown[-1]     # the end (OS release) stays
    more = [ln for ln in lines if "more" in ln]
    assert len(more) == 1 and f"... {20 - TIMELINE_HEAD - TIMELINE_TAIL} more" in more[0]
    assert "phases/ascent/events.log" in more[0]


def test_a_short_phase_shows_every_transition():
    n = TIMELINE_HEAD + TIMELINE_TAIL + 1          # hiding a single line would save nothing
    lines = timeline_lines(summary(n))
    assert len([ln for ln in lines if "MODE_" in ln]) == n and not any("more" in ln for ln in lines)
