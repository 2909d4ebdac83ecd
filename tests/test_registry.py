"""The scenario registry: built-ins registered like plugins, plugins found through their entry
points, and every way it can go wrong said in one line (unknown name, a plugin that does not
import, two plugins claiming one name, an APID clash naming both vehicles)."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from fsw.link.apids import VEHICLE_APID_BASES
from fsw.vehicle import Vehicle
from sim import registry

BUILTIN_SCENARIOS = {"landing", "fetch", "ascent", "capture", "zone", "carousel", "hop"}


def test_every_builtin_scenario_and_vehicle_is_registered_through_entry_points():
    assert BUILTIN_SCENARIOS <= set(registry.scenario_names())
    for name in BUILTIN_SCENARIOS:
        s = registry.scenario(name)
        assert isinstance(s, registry.Scenario) and s.name == name
    for name in ("lander", "rover", "mav", "ero", "zone", "carousel", "testbed"):
        v = registry.vehicle(name)
        assert registry.apid_base(v) == VEHICLE_APID_BASES[name] == v.apid_base
    assert registry.scenario("landing").vehicle is registry.vehicle("lander")
    # a dotted path finds the same declaration
    assert registry.scenario("sim.scenarios.zone") is registry.scenario("zone")


def test_registered_vehicles_do_not_overlap():
    ranges = sorted((registry.apid_range(v) for v in registry.vehicles().values()), key=lambda r: r.start)
    for a, b in zip(ranges, ranges[1:]):
        assert a.stop <= b.start


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=20))
def test_an_assigned_slot_depends_on_the_name_alone_and_stays_clear_of_the_builtins(name):
    base = registry.assigned_slot(name)
    assert base == registry.assigned_slot(name) and base in registry.FREE_SLOTS
    mine = range(base, base + registry.APID_SLOT)
    assert 0x7FF not in mine
    for builtin in ("lander", "rover", "mav", "ero", "zone", "carousel", "testbed"):
        other = registry.apid_range(registry.vehicle(builtin))
        assert mine.stop <= other.start or other.stop <= mine.start


def test_a_declared_base_that_overlaps_a_registered_vehicle_names_both():
    with pytest.raises(registry.RegistryError, match=r"APID clash: vehicle 'intruder' \(0x200-0x2ff, declared\) "
                                                     r"overlaps vehicle 'rover' \(0x200-0x2ff\)"):
        registry.apid_base(Vehicle("intruder", apid_base=0x200))
    with pytest.raises(registry.RegistryError, match="'zone'"):
        registry.apid_base(Vehicle("squatter", apid_base=0x640, apids=0x20))


def test_unknown_names_and_wrong_objects_are_one_line():
    with pytest.raises(registry.RegistryError, match=r"unknown scenario 'nope'; registered: ascent, "):
        registry.scenario("nope")
    with pytest.raises(registry.RegistryError, match="no module no_such_pkg"):
        registry.scenario("no_such_pkg.mod")
    with pytest.raises(registry.RegistryError, match="declares no SCENARIO"):
        registry.scenario("sim.deployment")
    with pytest.raises(registry.RegistryError, match="is a Vehicle, not a Scenario"):
        registry.scenario("sim.scenarios.zone:VEHICLE")
    with pytest.raises(registry.RegistryError, match="unknown vehicle 'nope'"):
        registry.vehicle("nope")


def plugin_site(tmp_path: Path, dist: str, entry_points: str, modules: dict[str, str]) -> Path:
    """A directory holding an installed distribution (its dist-info) and its modules."""
    site = tmp_path / "site"
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for name, text in modules.items():
        (site / name).write_text(textwrap.dedent(text))
    return site


def msr(site: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from msr.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})


def one_line_error(res: subprocess.CompletedProcess, *fragments: str) -> None:
    text = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in text, text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and all(f in lines[0] for f in fragments), text


def test_a_plugin_that_fails_to_import_is_one_line_naming_it(tmp_path):
    site = plugin_site(tmp_path, "broken_plugin", """
        [msr.scenarios]
        broken = broken_mod:SCENARIO
        """, {"broken_mod.py": "import no_such_dependency_anywhere\n"})
    one_line_error(msr(site, "sil", "broken", "--out", str(tmp_path / "o")),
                   "scenario 'broken'", "broken_mod:SCENARIO", "broken_plugin", "fails to import",
                   "no_such_dependency_anywhere")


def test_a_plugin_vehicle_clashing_with_another_names_both(tmp_path):
    site = plugin_site(tmp_path, "clashing_plugin", """
        [msr.vehicles]
        alpha = clash_mod:ALPHA
        beta = clash_mod:BETA
        """, {"clash_mod.py": """
        from fsw.link.testbed import TESTBED_COMPONENTS
        from fsw.vehicle import Vehicle
        ALPHA = Vehicle("alpha", TESTBED_COMPONENTS, apid_base=0x700, apids=0x20)
        BETA = Vehicle("beta", TESTBED_COMPONENTS, apid_base=0x710, apids=0x20)
        """})
    one_line_error(msr(site, "dict", "export", "--vehicle", "alpha", "--out", str(tmp_path / "d.json")),
                   "APID clash", "'alpha'", "'beta'")
    ok = msr(site, "dict", "export", "--vehicle", "testbed", "--out", str(tmp_path / "d.json"))
    assert ok.returncode == 0, ok.stderr


def test_two_distributions_claiming_one_name_are_refused_naming_both(tmp_path):
    site = plugin_site(tmp_path, "first_plugin", """
        [msr.scenarios]
        twin = first_mod:SCENARIO
        """, {})
    second = plugin_site(tmp_path / "b", "second_plugin", """
        [msr.scenarios]
        twin = second_mod:SCENARIO
        """, {})
    res = subprocess.run([sys.executable, "-c", "from msr.cli import main; main()", "sil", "twin"],
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": f"{site}:{second}", "PATH": "/usr/bin:/bin"})
    one_line_error(res, "'twin' is registered twice", "first_plugin", "second_plugin")


def test_checking_a_flights_apids_against_every_vehicle_imports_no_plant():
    """Every flight (a board's too) checks its APIDs against all registered vehicles: their
    declarations must stay light, importing neither plants nor numpy."""
    code = ("import sys; from sim import registry; "
            "[registry.apid_base(registry.vehicle(n)) for n in registry.vehicle_names()]; "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'numpy' or m.startswith('sim.plants')); "
            "print(heavy)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "[]", res.stdout + res.stderr


def test_gds_serve_of_a_vehicle_that_needs_its_devices_names_the_scenario_to_fly(tmp_path):
    from click.testing import CliRunner
    from msr.cli import cli
    keys = tmp_path / "keys.json"
    assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(keys)]).exit_code == 0
    res = CliRunner().invoke(cli, ["gds", "serve", "--vehicle", "zone", "--keys", str(keys), "--duration", "0"])
    assert res.exit_code == 1 and "serve it while it flies: msr sil zone --live" in res.output
    assert "Traceback" not in res.output
