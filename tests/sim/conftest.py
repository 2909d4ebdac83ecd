"""Shared fixtures: small terrains (a generated one and a tilted plane) for the plant tests."""
from __future__ import annotations

import numpy as np
import pytest

from sim.terrain import DepotParams, Terrain, TerrainParams, Tube, generate


@pytest.fixture(scope="session")
def terrain():
    return generate(TerrainParams(n_cells=512), seed=11)


def plane_terrain(n: int = 256, res: float = 0.5, slope_x: float = 0.0, tubes=()) -> Terrain:
    """A perfect plane z = slope_x * x without rocks or dunes: physics with a known answer."""
    p = TerrainParams(n_cells=n, resolution_m=res, depots=())
    c = (np.arange(n) + 0.5) * res - 0.5 * n * res
    h = np.tile((slope_x * c).astype(np.float32), (n, 1))
    return Terrain(p, h, np.zeros((n, n), bool), np.zeros((0, 2), np.float32), np.zeros(0, np.float32),
                   np.zeros((0, 3)), tuple(tubes))


@pytest.fixture
def flat():
    return plane_terrain()
