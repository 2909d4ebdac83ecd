"""The EDL plant (sim.plants.edl) as a plant: catalog fields, the grid (any sequence of
advances lands where one does), the pyro order, what the sensors see before and after the
heatshield, and the hand-over to powered descent."""
import math
import pickle

import pytest

from fsw.gnc.site_frame import SiteFrame, state_from_entry
from hal.catalog import KINDS, zero_values
from hal.values import check_values
from sim.landing_world import LandingWorld, RegionParams
from sim.mars import MARS
from sim.plants.base import PlantTimeError
from sim.plants.edl import EdlPlant

SITE = SiteFrame.from_deg()


@pytest.fixture(scope="module")
def world(terrain):
    return LandingWorld(terrain, seed=2, params=RegionParams(albedo_cells=256))


def plant(world, height_m=12_000.0, speed=420.0, seed=3):
    """On a parachute-deploy-like state above the site."""
    r = SITE.to_mcmf((-5000.0, 0.0, height_m))
    v = SITE.vec_to_mcmf((speed * 0.94, 0.0, -speed * 0.34))
    return EdlPlant(world, SITE, r, v, seed=seed)


def test_the_plant_returns_exactly_the_catalog_fields(world):
    p = plant(world)
    p.check_base_rate(50)
    for device, kind_name in p.devices.items():
        kind = KINDS[kind_name]
        if kind.is_sensor:
            reading = p.sense(device)
            assert tuple(reading) == kind.readings.names, device
            check_values(kind.readings, reading, device)
        if kind.is_actuator and kind_name != "pyro":
            p.actuate(device, zero_values(kind.commands))


def test_any_sequence_of_advances_gives_the_floats_of_one(world):
    a, b = plant(world), plant(world)
    for t in (20_000_000, 60_000_000, 180_000_000, 1_000_000_000):
        a.advance_to(t)
    b.advance_to(1_000_000_000)
    assert pickle.dumps(a.truth()) == pickle.dumps(b.truth())
    with pytest.raises(PlantTimeError):
        a.advance_to(1_005_000_000)                    # off the 20 ms grid


def test_pyros_go_in_order_and_the_ground_is_seen_only_without_the_heatshield(world):
    p = plant(world)
    assert p.sense("altimeter0")["valid"] == 0 and p.sense("camera0")["valid"] == 0
    p.actuate("backshell_pyro", {"fire": 1})           # refused: no parachute, heatshield on
    assert p.sense("backshell_pyro")["fired"] == 0 and p.phase == "entry"
    p.actuate("chute_pyro", {"fire": 1})
    assert p.phase == "parachute" and p.record["chute_deploy"]["mach"] > 1.0
    t = 0
    while t < 25_000_000_000:
        t += 20_000_000
        p.advance_to(t)
    p.actuate("heatshield_pyro", {"fire": 1})
    alt = p.sense("altimeter0")
    assert alt["valid"] == 1 and alt["range_m"] == pytest.approx(p.height_agl(), abs=1e-9)
    img = p.sense("camera0")
    assert img["valid"] == 1 and len(img["image"]) == img["width"] * img["height"] <= 4096 - 64
    beam = p.sense("tds1")
    (x, y, z), v = p.local_state()
    b = p.beams[0]
    assert beam["range_rate_mps"] == pytest.approx(-(v[0] * b[0] + v[1] * b[1] + v[2] * b[2]))
    p.actuate("backshell_pyro", {"fire": 1})
    assert p.phase == "descent" and p.descent is not None
    assert p.descent.pos == pytest.approx((x, y, z)) and p.truth()["mass_kg"] == pytest.approx(2275.0)
    p.advance_to(t + 1_000_000_000)                    # engines off: it falls
    assert p.truth()["velocity_mps"][2] < v[2]


def test_the_entry_record_starts_at_the_entry_interface(world):
    r, v = state_from_entry(SITE, 565e3, math.radians(90.0), MARS.radius_eq_m + 125e3, 5672.0, math.radians(-16.5))
    p = EdlPlant(world, SITE, r, v)
    assert p.record["entry"]["altitude_km"] == pytest.approx(125.0)
    assert p.record["entry"]["inertial_speed_mps"] > p.record["entry"]["speed_mps"]    # eastward: Mars helps
