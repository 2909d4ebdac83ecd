"""The fault x phase matrix: every injected fault detected, no tube lost or duplicated, no
exception, no false alarm in the nominal runs; and `msr faults` writes its files."""
import json

import pytest
from click.testing import CliRunner

from msr.cli import cli
from sim.faults.matrix import run_matrix


def check(result):
    f = result["figures"]
    assert f["injected"] == f["runs"] and not f["not_injected"]
    assert f["undetected"] == []
    assert f["tubes_lost"] == 0 and f["tubes_duplicated"] == 0
    assert f["exceptions"] == 0
    assert f["false_alarms"] == {}
    assert f["unexplained_losses"] == []
    kinds = {r["fault"] for r in result["rows"]}
    return kinds


def test_quick_matrix_on_the_bench_vehicles():
    result = run_matrix(["zone", "carousel"], quick=True)
    kinds = check(result)
    assert kinds >= {"dropout", "stuck", "bias", "noise", "actuator_stuck", "actuator_failed", "overrun",
                     "crash", "link_loss", "reset"}
    resets = [r for r in result["rows"] if r["fault"] == "reset"]
    assert all(r["restarts"] == 1 and r["outcome"] == "continued" for r in resets)
    by = {(r["scenario"], r["fault"], r["target"]): r for r in result["rows"]}
    assert by[("zone", "actuator_stuck", "gimbal0")]["monitor"] == "gimbal_tracking"
    assert by[("zone", "stuck", "temp0")]["monitor"] == "zone_temp_frozen"
    assert all(r["outcome"] == "safe" for r in result["rows"] if r["fault"] == "crash")


def test_cli_writes_json_and_table(tmp_path):
    res = CliRunner().invoke(cli, ["faults", "zone", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "faults.json").read_text())
    assert data["figures"]["detected"] == data["figures"]["injected"] > 0
    table = (tmp_path / "faults.md").read_text()
    assert "| zone | zone:SWEEP | actuator_stuck | gimbal0 | yes |" in table


def test_cli_refuses_an_unknown_scenario(tmp_path):
    res = CliRunner().invoke(cli, ["faults", "nowhere", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "unknown scenario 'nowhere'" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["faults", "hop", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "declares no fault cases" in res.output


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_full_matrix_over_every_vehicle():
    """The issue's bar: every vehicle's phases, every fault detected, no tube lost or
    duplicated, no exception, no false alarm, every lost vehicle explained by its fault."""
    from sim import registry
    CASES = sorted(n for n, s in registry.scenarios().items() if s.fault_cases is not None)
    assert {"zone", "carousel", "ascent", "fetch", "landing", "capture"} <= set(CASES)
    result = run_matrix(CASES, jobs=2)
    kinds = check(result)
    assert {r["scenario"] for r in result["rows"]} == set(CASES)
    assert kinds >= {"dropout", "stuck", "bias", "noise", "actuator_stuck", "actuator_failed", "overrun",
                     "crash", "link_loss", "reset"}
    resets = [r for r in result["rows"] if r["fault"] == "reset"]
    assert all(r["restarts"] >= 1 for r in resets)
    not_restored = [(r["scenario"], r["phase"], n["not_restored"]) for r in resets for n in r["restore"]
                    if any(n["not_restored"].values())]
    assert not_restored == []                     # every saved key is put back by its component


def test_a_handed_over_tube_is_not_a_duplicate_but_two_holders_are():
    from sim.faults.matrix import _duplicated
    holds = {"rover.ledger": ("rover",), "sta.ledger": ("sta", "os")}
    handed = {1: [("rover.ledger", "sta"), ("sta.ledger", "os")]}
    assert _duplicated(handed, holds) == []
    both = {2: [("rover.ledger", "rover"), ("sta.ledger", "os")]}
    assert _duplicated(both, holds) == [2]
    # ledgers nobody declared: agreeing is fine, disagreeing is a duplicate
    assert _duplicated({3: [("a.l", "os"), ("b.l", "os")]}, {}) == []
    assert _duplicated({4: [("a.l", "os"), ("b.l", "sta")]}, {}) == [4]
