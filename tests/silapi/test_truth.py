"""Truth series: flattening and sampling on the simulated-time grid; declared fields (a row
of numbers a sample) say exactly what the flattened truth() says."""
import numpy as np

from sim.plants import CompositePlant, RendezvousPlant
from sim.plants.ccrs import CcrsParams, CcrsPlant
from sim.rendezvous import RendezvousParams
from sim.truth import TruthRecorder, declared_mismatches, flatten, write_npz


def test_flatten_nested_numbers_only():
    got = flatten({"r": (1.0, 2.0, 3.0), "ok": True, "name": "x", "el": {"a": 1, "b": None}})
    assert got == {"r.0": 1.0, "r.1": 2.0, "r.2": 3.0, "ok": 1.0, "el.a": 1.0}


def test_recorder_samples_once_per_period_and_aligns_keys():
    state = {"k": 0}
    rec = TruthRecorder(lambda: {"x": state["k"], **({"late": 1.0} if state["k"] > 2 else {})}, 100)
    for t in range(0, 500, 20):
        state["k"] = t // 100
        rec.advance_to(t)
    s = rec.series()
    assert list(s["t_s"] * 1e9) == [0, 100, 200, 300, 400]
    assert list(s["x"]) == [0, 1, 2, 3, 4]
    assert np.isnan(s["late"][:3]).all() and list(s["late"][3:]) == [1.0, 1.0]


# ---------------------------------------------------------------- declared fields (issue 23)


def capture_world():
    rdv = RendezvousPlant(RendezvousParams(), physics_rate_hz=10, seed=3)
    ccrs = CcrsPlant(CcrsParams(), physics_rate_hz=10, seed=4, captured=lambda: rdv.pair.capture.captured)
    return CompositePlant(rdv, ccrs), rdv, ccrs


def test_declared_rows_say_what_truth_says_in_every_state():
    plant, rdv, ccrs = capture_world()
    c = rdv.pair.capture
    states = [
        lambda: None,
        lambda: rdv.pair.command_force((1.0, -2.0, 0.5)),
        lambda: plant.advance_to(plant.now_ns() + 2_000_000_000),
        lambda: setattr(c, "impacts", [(1.0, 0.2), (2.5, 0.1)]),
        lambda: setattr(c, "held_rel_m", (0.1, 0.9, -0.05)),
        lambda: (setattr(c, "triggered", True), setattr(c, "lid_closing_since_s", 3.0),
                 setattr(c, "trigger_closing_mps", 0.07), setattr(c, "trigger_lateral_m", 0.02)),
        lambda: setattr(c, "impacts", [(float(k), 0.1) for k in range(17)]),     # > 16: flatten skips all
        lambda: (ccrs.fired.update(seal_primary=5.0), ccrs.sealed.update(primary=True),
                 setattr(ccrs, "temp_C", 80.0), ccrs.gimbal.__setitem__(0, 0.3)),
        lambda: setattr(rdv, "first_detection_range_m", 2.5e6),
    ]
    for change in states:
        change()
        assert declared_mismatches(plant) == {}
        assert declared_mismatches(rdv) == {} and declared_mismatches(ccrs) == {}


def assert_same_series(fast: TruthRecorder, slow: TruthRecorder) -> dict:
    """The declared and the flattened recorder's series agree name for name, bit for bit."""
    a, b = fast.series(), slow.series()
    assert list(a) == list(b)
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=True), k
    return a


def test_declared_and_flattened_recorders_give_the_same_series(tmp_path):
    plant, rdv, _ = capture_world()
    fast, slow = TruthRecorder(plant, 1_000_000_000), TruthRecorder(plant.truth, 1_000_000_000)
    assert fast.names is not None and slow.names is None
    for k in range(1, 40):
        if k == 10:
            rdv.pair.command_force((3.0, 0.0, -1.0))
        if k == 20:
            rdv.pair.command_force((0.0, 0.0, 0.0))
        t = k * 500_000_000
        plant.advance_to(t)
        fast.advance_to(t)
        slow.advance_to(t)
    a = assert_same_series(fast, slow)
    write_npz(tmp_path / "t.npz", a)
    loaded = np.load(tmp_path / "t.npz")
    assert sorted(loaded.files) == sorted(a) and all(np.array_equal(loaded[k], a[k], equal_nan=True) for k in a)


def test_a_composite_with_an_undeclared_part_falls_back_to_truth():
    class Plain:
        devices: dict = {}

        def truth(self):
            return {"x": 1.0}
    plant = CompositePlant(Plain())
    assert plant.truth_fields() is None
    rec = TruthRecorder(plant, 10)
    rec.advance_to(0)
    assert rec.names is None and list(rec.series()) == ["t_s", "Plain.x"]


def surface_world():
    """The delivery's plant on a small rough map: a rover among tubes beside the lander."""
    from sim.plants.surface_ops import SurfaceOpsPlant
    from sim.rover import RoverParams, TubeState
    from sim.terrain import Terrain, TerrainParams, Tube
    rng = np.random.default_rng(2)
    grid = (rng.standard_normal((64, 64)) * 0.3).astype(np.float32)
    t = Terrain(TerrainParams(n_cells=64, resolution_m=0.5), grid, rng.random((64, 64)) > 0.5, np.zeros((0, 2)),
                np.zeros(0), np.zeros((0, 3)), (Tube(3, 2.0, 1.0), Tube(7, -3.5, 4.0)))
    plant = SurfaceOpsPlant(t, (-5.0, -5.0), RoverParams(start_pose=(1.0, -1.0, 0.4)), seed=9,
                            hazard_px=rng.random((40, 40)) > 0.8, hazard_corner_m=(-10.0, -10.0))
    plant.rover.tubes[101] = TubeState(Tube(101, 1.0, -1.0), "slot0", (1.0, -1.0))   # Perseverance's way
    plant.rover.slots[0] = 101
    return plant


def test_surface_plant_declared_rows_say_what_truth_says_in_every_state():
    plant = surface_world()
    rv, sta = plant.rover, plant.sta
    states = [
        lambda: None,
        lambda: (plant.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.3}),
                 plant.advance_to(plant.now_ns() + 3_000_000_000)),
        lambda: rv.events.append((rv.t, "picked tube 3")),
        lambda: (setattr(rv, "held", 3), setattr(rv.tubes[3], "where", "gripper"), rv.slots.__setitem__(4, 7)),
        lambda: (sta.os.extend([3, 7]), sta.dropped.append(101), setattr(sta, "held", 7), setattr(sta, "sealed", True)),
        lambda: rv.events.extend((float(k), "x") for k in range(15)),            # 16 events: still listed
        lambda: rv.events.append((99.0, "one more")),                            # 17: flatten skips them all
        lambda: sta.os.extend(range(20, 40)),                                    # > 16 OS tubes: skipped too
        lambda: setattr(rv, "x", 1e4),                                           # off the map
    ]
    for change in states:
        change()
        assert declared_mismatches(plant) == {}


def test_surface_plant_declared_and_flattened_recorders_give_the_same_series():
    plant = surface_world()
    fast, slow = TruthRecorder(plant, 1_000_000_000), TruthRecorder(plant.truth, 1_000_000_000)
    assert fast.names is not None and slow.names is None
    for k in range(1, 60):
        if k % 10 == 1:
            plant.actuate("wheels", {"speed_mps": 0.07 * (-1) ** (k // 10), "curvature_1pm": 0.5 - k / 60})
        if k == 30:
            plant.rover.events.append((plant.rover.t, "event"))
        for rec in (plant, fast, slow):
            rec.advance_to(k * 500_000_000)
    assert "tubes.101.xy_m.0" in assert_same_series(fast, slow)


def test_write_npz_deflates_what_compresses_and_stores_the_rest(tmp_path):
    import zipfile
    rng = np.random.default_rng(7)
    arrays = {"t_s": np.arange(20_000) / 1.0, "noise": rng.standard_normal(20_000),
              "flag": np.zeros(20_000), "absent": np.full(20_000, np.nan), "count": np.arange(5, dtype=np.int64)}
    write_npz(tmp_path / "t.npz", arrays)
    with zipfile.ZipFile(tmp_path / "t.npz") as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
    assert kinds["noise.npy"] == zipfile.ZIP_STORED
    assert kinds["flag.npy"] == kinds["absent.npy"] == zipfile.ZIP_DEFLATED
    loaded = np.load(tmp_path / "t.npz")
    assert sorted(loaded.files) == sorted(arrays)
    assert all(loaded[k].dtype == v.dtype and np.array_equal(loaded[k], v, equal_nan=True) for k, v in arrays.items())


def test_declared_rows_of_any_numbers_come_back_and_sampling_goes_on_after_series():
    class Plant:
        row: list = [1.0, 2, True]

        def truth(self):
            return {}

        def truth_fields(self):
            return ("a", "b", "c")

        def truth_values(self):
            return self.row
    plant = Plant()
    rec = TruthRecorder(plant, 1)
    rec.advance_to(0)
    plant.row = [np.float64(0.5), None, np.int64(3)]      # not plain numbers: numpy converts (None: NaN)
    rec.advance_to(1)
    first = rec.series()
    plant.row = [4.0, 5.0, 6.0]
    rec.advance_to(2)                                    # the buffer still grows after a series was taken
    second = rec.series()
    assert first["a"].tolist() == [1.0, 0.5] and np.isnan(first["b"][1]) and first["c"].tolist() == [1.0, 3.0]
    assert second["c"].tolist() == [1.0, 3.0, 6.0]
    plant.row = [1.0, 2.0]
    try:
        rec.advance_to(3)
    except ValueError:
        pass
    else:
        raise AssertionError("a row of the wrong length must be refused")
