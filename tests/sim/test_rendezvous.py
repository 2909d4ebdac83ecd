"""Rendezvous plant: relative motion truth, ERO thrust, camera/lidar, capture cone and lid."""
from __future__ import annotations

import math

import pytest

from sim.plants import RendezvousPlant
from sim.rendezvous import RendezvousParams

S = 1_000_000_000


def test_vbar_hold_without_thrust_stays_put_for_an_orbit():
    rel0 = (0.0, -100.0, 0.0, 0.0, 0.0, 0.0)
    plant = RendezvousPlant(RendezvousParams(include_j2=False, ero_rel_to_os_lvlh=rel0), physics_rate_hz=10)
    plant.advance_to(6940 * S)                      # one orbit at 343 km
    rel = plant.truth()["relative_lvlh"]
    # V-bar is an equilibrium of the relative motion, up to the rectilinear offset: the ERO
    # starts y^2/2r = 1.3 mm high with its velocity turned by y/r, so its semi-major axis is
    # 5.2 mm larger and it falls behind by 3 pi * 5.2 mm = 4.9 cm per orbit. Radial and
    # cross-track stay at the millimetre level.
    assert 0.04 < rel[1] - 100.0 < 0.06
    assert abs(rel[0]) < 0.01 and abs(rel[2]) < 1e-6


def test_along_track_thrust_moves_the_ero_as_cw_predicts():
    plant = RendezvousPlant(RendezvousParams(include_j2=False))
    plant.actuate("rcs", {"force_N": (0.0, 10.0, 0.0)})   # 2 mm/s^2 on 5 t, for 5 s
    plant.advance_to(5 * S)
    plant.actuate("rcs", {"force_N": (0.0, 0.0, 0.0)})
    t = plant.truth()
    assert t["delta_v_used_mps"] == pytest.approx(0.01, rel=1e-3)
    assert t["ero_mass_kg"] == pytest.approx(5000.0 - 10.0 * 5 / (230.0 * 9.80665), rel=1e-9)
    plant.advance_to(600 * S)
    rel = plant.truth()["relative_lvlh"]
    # Prograde burn: the ERO rises (OS appears below, x < 0) and, within the first quarter
    # orbit, gains on the OS less than 1 cm/s * 600 s = 6 m.
    assert rel[0] < -0.5 and 3000.0 - rel[1] < 6.0


def test_camera_detects_near_and_rarely_far():
    near = RendezvousPlant(seed=1)
    hits = sum(near.sense("nac")["detected"] for _ in range(50))
    assert hits == 50
    los = near.sense("nac")["los_unit"]
    # Straight ahead on V-bar, up to the curvature of the orbit: the OS sits y^2/r = 2.4 m
    # below the ERO's horizontal at 3 km, 8e-4 rad.
    assert los == pytest.approx((-2.4 / 3000.0, 1.0, 0.0), abs=1e-4)
    far = RendezvousPlant(RendezvousParams(ero_rel_to_os_lvlh=(0.0, -5.0e6, 0.0, 0.0, 0.0, 0.0)), seed=1)
    assert sum(far.sense("nac")["detected"] for _ in range(200)) < 20
    assert near.sense("lidar0")["valid"] == 0                       # 3 km: beyond the lidar
    close = RendezvousPlant(RendezvousParams(ero_rel_to_os_lvlh=(0.0, -300.0, 0.0, 0.0, 0.0, 0.0)))
    assert close.sense("lidar0")["range_m"] == pytest.approx(300.0, abs=1e-6)


def _approach(speed):
    # OS 1 m ahead on the cone axis, closing at `speed`.
    p = RendezvousParams(include_j2=False, ero_rel_to_os_lvlh=(0.0, -1.0, 0.0, 0.0, speed, 0.0))
    return RendezvousPlant(p)


def test_slow_entry_triggers_and_lid_captures():
    plant = _approach(0.05)
    plant.advance_to(20 * S)
    assert plant.sense("capture") == {"triggered": 1, "lid_closed": 0}
    plant.actuate("capture", {"close_lid": 1})
    plant.advance_to(21 * S)
    assert plant.sense("capture")["lid_closed"] == 0                # 1.5 s to close
    plant.advance_to(22 * S)
    assert plant.sense("capture") == {"triggered": 1, "lid_closed": 1}
    assert plant.truth()["capture"]["captured"]
    plant.advance_to(600 * S)
    assert plant.truth()["range_m"] < 0.36                           # the OS rides along


def test_fast_entry_bounces_and_an_empty_lid_captures_nothing():
    plant = _approach(0.4)
    plant.advance_to(10 * S)
    t = plant.truth()
    assert not t["capture"]["triggered"] and len(t["capture"]["impacts"]) == 1
    assert t["closing_speed_mps"] < 0                                # moving out again
    plant.actuate("capture", {"close_lid": 1})
    plant.advance_to(12 * S)
    assert plant.sense("capture") == {"triggered": 0, "lid_closed": 1}
    assert not plant.truth()["capture"]["captured"]
