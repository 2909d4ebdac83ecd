"""SurfaceOpsPlant: the tube hand-over physics between the rover and the lander's arm, the OS,
the lander's cameras, the truth hazard monitor, and catalog-shaped device readings."""
from __future__ import annotations

import math

import numpy as np
import pytest

from hal.catalog import KINDS
from sim.plants.base import PlantDeviceError
from sim.plants.surface_ops import LANDER_CAMERAS, STA_DEVICES, SurfaceOpsPlant
from sim.rover import RoverParams
from sim.terrain import Tube

from tests.sim.conftest import plane_terrain

S = 1_000_000_000


def plant_with_tube_aboard(**kw):
    """Rover parked 3.2 m east of the lander, facing it, tube 5 in slot 0."""
    terrain = plane_terrain(tubes=(Tube(5, 30.0, 30.0),))
    p = SurfaceOpsPlant(terrain, (0.0, 0.0), RoverParams(start_pose=(3.2, 0.0, math.pi), yaw_drift_sigma_rad_per_m=0.0),
                        **kw)
    rv = p.rover
    rv.slots[0] = 5
    rv.tubes[5].where = "slot0"
    return p


def settle(p, seconds):
    p.advance_to(p.now_ns() + int(seconds * S))


def test_every_device_reads_exactly_its_catalog_fields():
    p = plant_with_tube_aboard()
    for name, kind in p.devices.items():
        if KINDS[kind].is_sensor:
            assert set(p.sense(name)) == set(KINDS[kind].readings.names), name
    assert set(STA_DEVICES) | set(LANDER_CAMERAS) <= set(p.devices)
    with pytest.raises(PlantDeviceError):
        p.actuate("sta_arm", {"target_m": (0.0, float("nan"), 0.0)})


def test_a_tube_goes_from_the_rover_to_the_arm_to_the_os_and_the_os_is_sealed():
    p = plant_with_tube_aboard()
    rv, sta = p.rover, p.sta
    # Rover: stow point, grip (takes the tube out of its slot), present it.
    p.actuate("arm", {"target_m": rv.params.stow_point_m})
    settle(p, 30)
    p.actuate("gripper", {"close": 1})
    assert p.sense("gripper") == {"closed": 1, "holding": 1, "tube_id": 5} and rv.slots[0] == 0
    p.actuate("arm", {"target_m": (0.9, 0.0, 0.3)})
    settle(p, 30)
    # The STA reaches to the held tube and grips it; the rover lets go.
    held = rv.ee_world()
    p.actuate("sta_arm", {"target_m": tuple(held[k] - sta.base[k] for k in range(3))})
    settle(p, 60)
    p.actuate("sta_gripper", {"close": 1})
    assert p.sense("sta_gripper")["tube_id"] == 5
    p.actuate("gripper", {"close": 0})
    assert rv.held == 0 and rv.tubes[5].where == "sta"
    # Into the OS port, release: the OS tube sensor reads it; seal.
    p.actuate("sta_arm", {"target_m": sta.params.os_port_m})
    settle(p, 60)
    p.actuate("sta_gripper", {"close": 0})
    assert p.sense("os_tube_sensor") == {"present": 1, "tube_id": 5}
    p.actuate("os_seal", {"fire": 1})
    t = p.truth()
    assert t["os_tubes"] == [5] and t["os_sealed"] and p.sense("os_seal") == {"fired": 1}


def test_the_arm_opening_away_from_the_port_drops_the_tube():
    p = plant_with_tube_aboard()
    rv, sta = p.rover, p.sta
    p.actuate("arm", {"target_m": rv.params.stow_point_m})
    settle(p, 30)
    p.actuate("gripper", {"close": 1})
    held = rv.ee_world()
    p.actuate("sta_arm", {"target_m": tuple(held[k] - sta.base[k] for k in range(3))})
    settle(p, 60)
    p.actuate("sta_gripper", {"close": 1})
    p.actuate("gripper", {"close": 0})
    p.actuate("sta_gripper", {"close": 0})             # still at the hand-off point
    assert p.truth()["dropped_at_lander"] == [5] and p.sense("os_tube_sensor")["present"] == 0


def test_the_lander_cameras_see_the_rover_mast_within_range():
    p = plant_with_tube_aboard()
    for name in LANDER_CAMERAS:
        r = p.sense(name)
        cam = p.camera_xyz[name]
        target = (3.2, 0.0, p.rover.ground_z() + p.cameras.target_height_m)
        d = [target[k] - cam[k] for k in range(3)]
        n = math.sqrt(sum(c * c for c in d))
        assert r["detected"] == 1 and r["los_unit"] == pytest.approx(tuple(c / n for c in d))
    p.rover.x = 100.0
    assert p.sense("lander_cam_l")["detected"] == 0


def test_the_truth_monitor_counts_each_entry_into_a_hazard():
    terrain = plane_terrain()
    hz = np.zeros((terrain.n, terrain.n), bool)
    hz[:, 140:142] = True                               # a strip at x = 6..7 m
    p = SurfaceOpsPlant(terrain, (-20.0, 0.0), RoverParams(start_pose=(0.0, 0.0, 0.0), yaw_drift_sigma_rad_per_m=0.0),
                        hazard_px=hz, hazard_corner_m=(-64.0, -64.0), hazard_pixel_m=0.5)
    p.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.0})
    settle(p, 150)                                      # drives across the strip: one entry
    assert p.hazards_entered == 1 and 6.0 <= p.hazard_entries[0][1] <= 7.0
    assert p.track[100 * S][0] == pytest.approx(p.rover.x - 0.07 * 50, abs=1e-6)
