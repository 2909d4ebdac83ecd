"""Ground products (the landing's onboard site map and its orbital map): the flight side loads a deployed one, a given
one, or, where none is deployed (SIL, a bench on one machine), one the ground writes just
before; the bench names where they live, the board check and `msr hil products` see to them."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsw.core import SimClock
from hil.bench import BenchConfigError, parse_bench
from hil.board_check import MISSING, OK, check_board
from hil.deploy_templates import TEMPLATES
from sim.deployment import Deployment, ScenarioError
from msr.cli import cli

from .kit import bench_data, write_bench

SMALL = {"n_cells": 1024}         # the smallest site map (512 m): fastest to make
PRODUCTS = {"onboard_map", "orbital_map"}


def build_flight(dep):
    plant = dep.plant()
    clock = SimClock(plant.now_ns())
    topo, _ = dep.flight(dep.sim_devices(plant), clock)
    return topo


def map_loaded(topo):
    return [e for e in topo.events if e.name == "MAP_LOADED"]


def test_without_a_deployed_product_the_ground_makes_one_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("MSR_CACHE_DIR", "off")          # (the cache's own tests: tests/sim/test_product_cache.py)
    dep = Deployment("landing", 1, dict(SMALL))
    topo = build_flight(dep)
    names = dep.products()
    assert set(names) == PRODUCTS
    assert dep.product_sources == {k: f"made here: {n}" for k, n in names.items()}
    assert map_loaded(topo) and topo["descent"].safety.map.n == 1024
    assert topo["trn"].map.n == 2048 and type(topo["trn"].map.image).__name__ == "Layer"   # read from the file
    assert not list(tmp_path.iterdir())             # the file went once the flight side had it


def test_a_deployed_or_given_product_is_loaded_not_made(tmp_path):
    dep = Deployment("landing", 1, dict(SMALL))
    made = dep.make_products(tmp_path / "products")
    deployed = Deployment("landing", 1, dict(SMALL), products_dir=tmp_path / "products")
    build_flight(deployed)
    assert deployed.product_sources == {k: f"deployed: {p}" for k, p in made.items()}
    given = Deployment("landing", 1, {**SMALL, "onboard_map": str(made["onboard_map"])},
                       products_dir=tmp_path / "products")
    build_flight(given)
    assert given.product_sources == {"onboard_map": f"given: {made['onboard_map']}",
                                     "orbital_map": f"deployed: {made['orbital_map']}"}


def test_a_damaged_or_foreign_product_stops_the_flight_side_with_one_line(tmp_path):
    dep = Deployment("landing", 1, dict(SMALL))
    made = dep.make_products(tmp_path)
    for setting in sorted(PRODUCTS):
        path = made[setting]
        data = bytearray(path.read_bytes())
        data[-5000] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(ScenarioError, match=rf"landing map product: .*{path.name}: map layer .* damaged \(CRC\)"):
            build_flight(Deployment("landing", 1, dict(SMALL), products_dir=tmp_path))
        data[-5000] ^= 0xFF
        path.write_bytes(bytes(data))
    other = Deployment("landing", 1, {**SMALL, "terrain_seed": 2}).make_products(tmp_path / "t2")
    for setting in sorted(PRODUCTS):
        with pytest.raises(ScenarioError, match="this flight expects"):
            build_flight(Deployment("landing", 1, {**SMALL, setting: str(other[setting])}, products_dir=tmp_path))
    with pytest.raises(ScenarioError, match="not a trn-orbital-map"):     # the wrong file for the setting
        build_flight(Deployment("landing", 1, {**SMALL, "orbital_map": str(made["onboard_map"])}))


def test_the_product_name_follows_what_makes_it():
    names = Deployment("landing", 1, dict(SMALL)).products()
    assert names == Deployment("landing", 9, dict(SMALL)).products()       # the run seed is not in them
    seed2 = Deployment("landing", 1, {**SMALL, "terrain_seed": 2}).products()
    assert all(names[k] != seed2[k] for k in PRODUCTS)
    slope = Deployment("landing", 1, {**SMALL, "slope_limit_deg": 10.0}).products()
    assert slope["onboard_map"] != names["onboard_map"] and slope["orbital_map"] == names["orbital_map"]
    assert Deployment("ascent", 1).products() == {}


def test_the_bench_names_its_products_directory(tmp_path):
    b = parse_bench(bench_data(tmp_path), str(tmp_path / "bench.toml"))
    assert b.products_dir == tmp_path / "products" and b.deployment.products_dir == tmp_path / "products"
    b = parse_bench(bench_data(tmp_path, products="maps"), str(tmp_path / "b" / "bench.toml"))
    assert b.products_dir == tmp_path / "b" / "maps"
    b = parse_bench(bench_data(tmp_path, products="/opt/msr/maps"), str(tmp_path / "bench.toml"))
    assert b.products_dir == Path("/opt/msr/maps")
    with pytest.raises(BenchConfigError, match="bench.products"):
        parse_bench(bench_data(tmp_path, products=3), str(tmp_path / "bench.toml"))


def test_products_command_and_board_check_see_to_the_landing_map(tmp_path):
    bench_file = write_bench(tmp_path, bench_data(tmp_path, scenario="landing", overrides=dict(SMALL)))
    bench = parse_bench(bench_data(tmp_path, scenario="landing", overrides=dict(SMALL)), str(bench_file))
    item = {i.name: i for i in check_board(bench)}["product onboard_map"]
    assert item.status == MISSING and item.failed and "is not installed" in item.detail
    res = CliRunner().invoke(cli, ["hil", "products", "--bench", str(bench_file)])
    assert res.exit_code == 0, res.output
    paths = {p.name: p for p in (tmp_path / "products").iterdir()}
    names = bench.deployment.products()
    assert set(paths) == set(names.values())
    path = paths[names["onboard_map"]]
    assert f"onboard_map: {path}" in res.output and f"orbital_map: {paths[names['orbital_map']]}" in res.output
    items = {i.name: i for i in check_board(bench)}
    assert all(items[f"product {k}"].status == OK and "CRC ok" in items[f"product {k}"].detail for k in PRODUCTS)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    item = {i.name: i for i in check_board(bench)}["product onboard_map"]
    assert item.failed and "damaged (CRC)" in item.detail


def test_a_scenario_without_products_says_so(tmp_path):
    bench_file = write_bench(tmp_path, bench_data(tmp_path))
    res = CliRunner().invoke(cli, ["hil", "products", "--bench", str(bench_file), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0 and "loads no ground products" in res.output
    assert "product" not in {i.name.split()[0] for i in check_board(parse_bench(bench_data(tmp_path),
                                                                                str(bench_file)))}


def test_install_puts_the_products_beside_the_bench_file():
    install = TEMPLATES["install.sh"]
    assert 'cp "$HERE"/products/* "$PREFIX/products/"' in install
    assert install.index("cp \"$HERE\"/products") > install.index("sha256sum --quiet")   # checked like every file first
