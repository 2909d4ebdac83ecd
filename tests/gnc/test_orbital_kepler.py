"""Onboard two-body tools against the MSR_FACTS.md validation cases and invariants."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc.kepler import apsides, cross, dot, norm, plane_normal, propagate, time_to_apoapsis

EARTH_GM = 398600.4418e9
MARS_GM = 4.282837e13
RE = 3396.2e3


def test_kepler_problem_case_from_the_facts_sheet():
    r0 = (1131.340e3, -2282.343e3, 6672.423e3)
    v0 = (-5.64305e3, 4.30333e3, 2.42879e3)
    r, v = propagate(r0, v0, 40 * 60.0, EARTH_GM)
    want_r = (-4219.7527e3, 4363.0292e3, -3958.7666e3)
    want_v = (3.689866e3, -1.916735e3, -6.112511e3)
    assert max(abs(a - b) for a, b in zip(r, want_r)) < 1.0        # metres
    assert max(abs(a - b) for a, b in zip(v, want_v)) < 1e-3       # m/s


def test_circular_orbit_at_343_km_matches_the_facts_sheet():
    rad = RE + 343e3
    vc = math.sqrt(MARS_GM / rad)
    assert abs(vc - 3384.0) < 2.0
    ap = apsides((rad, 0.0, 0.0), (0.0, vc * math.cos(0.4363), vc * math.sin(0.4363)), MARS_GM)
    assert abs(ap.periapsis_m - rad) < 0.5 and abs(ap.apoapsis_m - rad) < 0.5  # sqrt(1 - e^2) cancellation
    assert abs(math.degrees(ap.inclination_rad) - 25.0) < 0.01
    period = 2 * math.pi * math.sqrt(rad ** 3 / MARS_GM)
    assert abs(period / 60.0 - 115.7) < 0.2


@settings(max_examples=50)
@given(st.floats(0.0, 0.3), st.floats(0.0, 6.0), st.floats(10.0, 20000.0))
def test_propagation_keeps_energy_and_momentum(ecc, nu, dt):
    p = (RE + 400e3) * (1 - ecc * ecc)
    rad = p / (1 + ecc * math.cos(nu))
    r = (rad * math.cos(nu), rad * math.sin(nu), 0.0)
    k = math.sqrt(MARS_GM / p)
    v = (-k * math.sin(nu), k * (ecc + math.cos(nu)), 0.0)
    r2, v2 = propagate(r, v, dt, MARS_GM)
    e1 = 0.5 * dot(v, v) - MARS_GM / norm(r)
    e2 = 0.5 * dot(v2, v2) - MARS_GM / norm(r2)
    assert abs(e1 - e2) < 1e-6 * abs(e1)
    assert abs(norm(cross(r, v)) - norm(cross(r2, v2))) < 1e-6 * norm(cross(r, v))


def test_time_to_apoapsis_lands_on_the_apoapsis():
    r, v = (RE + 50e3, 0.0, 0.0), (300.0, 3400.0, 0.0)
    ap = apsides(r, v, MARS_GM)
    t = time_to_apoapsis(r, v, MARS_GM)
    ra, va = propagate(r, v, t, MARS_GM)
    assert abs(norm(ra) - ap.apoapsis_m) < 1.0 and abs(dot(ra, va)) / norm(ra) < 1e-3


@settings(max_examples=50)
@given(st.floats(-0.3, 0.3), st.floats(0.0, 6.28), st.floats(0.35, 2.8))
def test_plane_normal_contains_the_position_at_the_asked_inclination(lat, lon, inc):
    r = (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))
    n = plane_normal(r, inc, (0.0, 0.0, 1.0))
    assert abs(dot(n, r)) < 1e-9 and abs(norm(n) - 1.0) < 1e-12
    assert abs(math.acos(n[2]) - inc) < 1e-9
