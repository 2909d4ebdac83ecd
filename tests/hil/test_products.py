"""Ground products (the landing's onboard map): the flight side loads a deployed one, a given
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
from hil.scenario import Deployment, ScenarioError
from msr.cli import cli

from .kit import bench_data, write_bench

SMALL = {"n_cells": 256}          # a 128 m site: fast to make, enough to load


def build_flight(dep):
    plant = dep.plant()
    clock = SimClock(plant.now_ns())
    topo, _ = dep.flight(dep.sim_devices(plant), clock)
    return topo


def map_loaded(topo):
    return [e for e in topo.events if e.name == "MAP_LOADED"]


def test_without_a_deployed_product_the_ground_makes_one_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dep = Deployment("landing", 1, dict(SMALL))
    topo = build_flight(dep)
    (name,) = dep.products().values()
    assert dep.product_sources == {"onboard_map": f"made here: {name}"}
    assert map_loaded(topo) and topo["lander"].safety.map.n == 256
    assert not list(tmp_path.iterdir())             # the file went once the flight side had it


def test_a_deployed_or_given_product_is_loaded_not_made(tmp_path):
    dep = Deployment("landing", 1, dict(SMALL))
    made = dep.make_products(tmp_path / "products")["onboard_map"]
    deployed = Deployment("landing", 1, dict(SMALL), products_dir=tmp_path / "products")
    build_flight(deployed)
    assert deployed.product_sources == {"onboard_map": f"deployed: {made}"}
    given = Deployment("landing", 1, {**SMALL, "onboard_map": str(made)})
    build_flight(given)
    assert given.product_sources == {"onboard_map": f"given: {made}"}


def test_a_damaged_or_foreign_product_stops_the_flight_side_with_one_line(tmp_path):
    dep = Deployment("landing", 1, dict(SMALL))
    made = dep.make_products(tmp_path)["onboard_map"]
    data = bytearray(made.read_bytes())
    data[-5000] ^= 0xFF
    made.write_bytes(bytes(data))
    with pytest.raises(ScenarioError, match=r"landing onboard map: .*damaged \(CRC\)"):
        build_flight(Deployment("landing", 1, dict(SMALL), products_dir=tmp_path))
    other = Deployment("landing", 1, {**SMALL, "terrain_seed": 2}).make_products(tmp_path / "t2")["onboard_map"]
    with pytest.raises(ScenarioError, match="this flight expects"):
        build_flight(Deployment("landing", 1, {**SMALL, "onboard_map": str(other)}))


def test_the_product_name_follows_what_makes_it():
    name = Deployment("landing", 1, dict(SMALL)).products()["onboard_map"]
    assert name == Deployment("landing", 9, dict(SMALL)).products()["onboard_map"]   # the run seed is not in it
    assert name != Deployment("landing", 1, {**SMALL, "terrain_seed": 2}).products()["onboard_map"]
    assert name != Deployment("landing", 1, {**SMALL, "slope_limit_deg": 10.0}).products()["onboard_map"]
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
    (path,) = (tmp_path / "products").iterdir()
    assert f"onboard_map: {path}" in res.output
    item = {i.name: i for i in check_board(bench)}["product onboard_map"]
    assert item.status == OK and "CRC ok" in item.detail
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
