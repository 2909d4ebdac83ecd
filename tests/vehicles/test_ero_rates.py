"""The ERO's rate-set choice (fsw/vehicles/ero/rates.py): quiet only when nothing is due within
the margin, never through a burn, a larger margin never quieter; it follows the manager over
the bus, also right after a warm restart."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.vehicles.ero import ERO_MODES
from fsw.vehicles.ero.rates import COASTS, QUIET_MODES, EroRateChoice
from fsw.vehicles.ero.topics import (APPROACH_OUTLOOK, CONTAINMENT_STATUS, ERO_MODE, RELNAV_ESTIMATE,
                                     ApproachOutlook, ContainmentStatus, RelNavEstimate)

from .test_ero_components import make_ero

S = 1_000_000_000


def chooser(mode, out, est, until, margin):
    rates = EroRateChoice("rates")
    rates.set_param("quiet_margin_s", margin)
    if mode is not None:
        rates.ports.inject(ERO_MODE, mode)
    if out is not None:
        rates.ports.inject(APPROACH_OUTLOOK, out)
    if est is not None:
        rates.ports.inject(RELNAV_ESTIMATE, est)
    if until is not None:
        rates.ports.inject(CONTAINMENT_STATUS, ContainmentStatus(("contain",), until))
    return rates


floats = st.floats(-5e4, 5e4, allow_nan=False)
outlooks = st.builds(ApproachOutlook, st.floats(0.0, 1e5), st.booleans(),
                     st.one_of(st.floats(0.0, 1e4), st.just(math.inf)), st.booleans(),
                     st.floats(1e3, 1e5), st.floats(100.0, 2e4))
estimates = st.builds(lambda r: RelNavEstimate(tuple(r), tuple(r), 1.0, 3), st.lists(floats, min_size=6, max_size=6))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(st.none(), st.sampled_from(ERO_MODES.modes)), st.one_of(st.none(), outlooks),
       st.one_of(st.none(), estimates), st.one_of(st.none(), st.floats(0.0, 2e5)),
       st.floats(10.0, 3600.0), st.floats(10.0, 3600.0))
def test_quiet_only_when_nothing_is_due_within_the_margin(mode, out, est, until, m1, m2):
    """ERO-RAT-001, ERO-RAT-002: never quiet through a burn or with a guidance event due within
    the margin in a coast, or within the margin of the cruise end; nothing known is quiet only
    in the modes quiet whatever the approach does; a larger margin is never quieter."""
    small, large = sorted((m1, m2))
    q_small = chooser(mode, out, est, until, small).quiet()
    q_large = chooser(mode, out, est, until, large).quiet()
    assert q_small or not q_large                       # quiet at a larger margin => at a smaller one
    m = mode or ERO_MODES.initial
    if m == "SEARCH" and out is not None and out.burning:
        assert not q_small
    if m in ("CLOSE_RANGE", "BACK_OFF") or (m == "FAR_RANGE" and out is not None and out.far_planned):
        assert q_large == (est is not None and out is not None and out.event_in_s > large)
    if m == "EARTH_CRUISE":
        t = 0.0 if out is None else out.t
        assert q_large == (until is None or until - t > large)
    if m in COASTS and (out is None or est is None):
        assert not q_small
    if m not in QUIET_MODES + COASTS + ("BREAK_THE_CHAIN",):
        assert not q_small                              # final approach, capture, containment steps...


def test_the_far_range_drift_is_quiet_until_the_transfer_start_is_near():
    """ERO-RAT-002: drifting towards the OS before the far-range plan: quiet while the start
    range is more than the margin away at the closing speed, not after."""
    out = ApproachOutlook(0.0, False, math.inf, False, 65e3, 3100.0)
    closing = 10.0
    far = RelNavEstimate((0.0,) * 6, (0.0, 70e3, 0.0, 0.0, -closing, 0.0), 100.0, 3)     # 500 s out
    near = RelNavEstimate((0.0,) * 6, (0.0, 65.5e3, 0.0, 0.0, -closing, 0.0), 100.0, 3)  # 50 s out
    assert chooser("FAR_RANGE", out, far, None, 90.0).quiet()
    assert not chooser("FAR_RANGE", out, near, None, 90.0).quiet()
    opening = RelNavEstimate((0.0,) * 6, (0.0, 65.5e3, 0.0, 0.0, closing, 0.0), 100.0, 3)
    assert chooser("FAR_RANGE", out, opening, None, 90.0).quiet()


def test_the_choice_follows_the_manager_and_its_restore_over_the_bus():
    """ERO-RAT-003: wired, the choice reads what the manager publishes (its mode, its outlook on
    every change), and after a warm restart the restored manager's outlook before its first
    cycle: an Earth cruise restored near its end is not quiet."""
    ero = make_ero()
    chosen = []
    ero.rates.select = chosen.append
    ero.step(S)
    ero.rates.step(S)
    assert chosen == [True]                               # PHASING: a drift
    ero.capture.force_mode("CLOSE_RANGE")                 # a glideslope due at once
    ero.topology.bus.deliver()
    ero.capture.g.burn_dv = (0.5, 0.0, 0.0)
    ero.step(2 * S)
    ero.rates.step(2 * S)
    assert chosen[-1] is False
    state = ero.capture.checkpoint_state() | {"mode": "EARTH_CRUISE", "t": 1000.0}
    fresh = make_ero()
    fresh.containment.ports.inject(ERO_MODE, "EARTH_CRUISE")
    fresh.capture.restore_state(state)
    fresh.topology.bus.deliver()
    assert fresh.rates.quiet()                            # cruise end not known yet: quiet
    fresh.rates.ports.inject(CONTAINMENT_STATUS, ContainmentStatus(("eev_transfer",), 1050.0))
    assert not fresh.rates.quiet()                        # restored clock 1000 s, end 1050 s: 50 s < 90 s
