"""Campaign Monte Carlo: every phase dispersed, chained, the same content on every executor.

The executors are compared on a short campaign (tests/campaign/mini_mc.py: three phases of
the bench's zone vehicle, some runs failing in the second phase, some crashing in the third);
the real campaign's file is checked here and flown in the slow test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from sim.campaign.montecarlo import CampaignMonteCarlo, outcome, split_inputs
from sim.montecarlo.campaign import check_scenario, content, run_campaign
from sim.montecarlo.dispersions import DispersionError, parse
from sim.montecarlo.executors import DaskExecutor, PoolExecutor, SerialExecutor
from sim.montecarlo.reproduce import rerun

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "dispersions"
MINI = "tests.campaign.mini_mc"
RATES = {"base_rate_hz": 20, "physics_rate_hz": 100}
DOC = {
    "scenario": MINI,
    "dispersions": {
        "one": {"setpoint_C": {"dist": "uniform", "lo": -22.0, "hi": -18.0}},
        "two": {"duration_s": {"dist": "choice", "values": [10.0, 10.0, 10.0, 4.0]}},   # 4 s: no DONE
        "three": {"sweep_s": {"dist": "choice", "values": [5.0, 5.0, 5.0, 5.0, 0.5]}},   # 0.5 raises
    },
    "fixed": {"one": {**RATES, "sweep_s": 5.0, "duration_s": 10.0}, "two": {**RATES, "sweep_s": 5.0},
              "three": {**RATES, "duration_s": 10.0}},
    "retention": {"outliers": 1},
}
RUNS = 10


def mini(executor, out_dir, runs=RUNS):
    return run_campaign(MINI, parse(DOC, "mini.toml"), runs=runs, master_seed=3, out_dir=out_dir,
                        executor=executor, plots=False)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return mini(SerialExecutor(), out), out


@pytest.fixture
def importable_tests(monkeypatch):
    """Worker processes (pool, Dask) import the test scenario by name, as a cluster would."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def test_report_has_phase_success_tubes_and_where_runs_failed(serial):
    report, _ = serial
    runs = report["runs"]
    crashed = [r for r in runs if r["status"] == "crashed"]
    short = [r for r in runs if r["inputs"]["two.duration_s"] == 4.0]
    assert crashed and short, "the dispersions should make runs crash and fail"
    failures = {f["run"]: f for f in report["failures"]}
    for r in crashed:
        assert failures[r["run"]]["failed_phase"] == "three" and "boom" in r["error"]
    for r in short:
        assert failures[r["run"]]["failed_phase"] == "two"
        assert "phases.three.success" not in r["outputs"]          # a failed phase ends the campaign
    phases = report["phases"]
    assert phases["one"] == {"flown": RUNS, "succeeded": RUNS, "rate": 1.0, "rate_when_flown": 1.0}
    assert phases["two"]["flown"] == RUNS and phases["two"]["succeeded"] == RUNS - len(short)
    assert phases["three"]["flown"] == RUNS - len(short)
    assert phases["three"]["succeeded"] == RUNS - len(short) - len(crashed)
    # the demo vehicle carries no tubes: every run that flew all phases fails on custody
    assert report["failed_in"] == {"two": len(short), "three": len(crashed),
                                   "custody": RUNS - len(short) - len(crashed)}
    assert report["tubes_in_eev"]["histogram"] == {"0": RUNS} and report["end_to_end"]["succeeded"] == 0
    assert all("sim.montecarlo.reproduce.rerun('mini'" in f["reproduce"] for f in report["failures"])
    # counts are integers (a float count made `msr montecarlo campaign`'s printed report raise
    # after 100 runs), and the report prints
    counts = [ph[k] for ph in phases.values() for k in ("flown", "succeeded")]
    counts += [report["end_to_end"]["succeeded"], report["tubes_in_eev"]["all_loaded_in_eev"]]
    assert all(type(c) is int for c in counts), counts
    from sim import registry
    lines = registry.scenario(report["scenario"]).report_lines(report)
    assert any(line.split()[:3] == ["one", str(RUNS), str(RUNS)] for line in lines), lines


def test_run_k_alone_gives_the_batch_record(serial, tmp_path):
    report, _ = serial
    doc_file = tmp_path / "mini.toml"
    doc_file.write_text(toml(DOC))
    batch = mini(SerialExecutor(), None, runs=4)
    for record in batch["runs"]:
        again = rerun(MINI, doc_file, run=record["run"], run_seed=record["seed"])
        assert again == record | {"run": record["run"]}


def test_pool_local_cluster_and_an_existing_scheduler_give_the_same_content(serial, importable_tests, tmp_path):
    pytest.importorskip("distributed")
    report, _ = serial
    expected = content(json.loads(json.dumps(report)))
    pool = mini(PoolExecutor(2), tmp_path / "pool")
    assert content(pool) == expected
    local = mini(DaskExecutor(2), tmp_path / "local")
    assert local["execution"]["executor"] == "dask" and content(local) == expected
    with scheduler_on_localhost(tmp_path) as address:
        remote = mini(DaskExecutor(address=address), tmp_path / "remote")
    assert address.startswith("tcp://127.0.0.1:")
    assert content(remote) == expected
    on_disk = json.loads((tmp_path / "remote" / "montecarlo.json").read_text())
    assert content(on_disk) == expected
    kept = sorted(p.name for p in (tmp_path / "remote" / "runs").iterdir())
    assert kept == [f"run-{r['run']:05d}" for r in report["retained"]]


class scheduler_on_localhost:
    """A Dask scheduler and one worker started as separate processes on 127.0.0.1 (what
    `--scheduler ADDR` connects to), stopped at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.file = tmp_path / "scheduler.json"
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> str:
        py = sys.executable
        self.procs.append(subprocess.Popen(
            [py, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(self.file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while not self.file.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.__exit__()
                pytest.fail("the Dask scheduler did not start")
            time.sleep(0.2)
        self.procs.append(subprocess.Popen(
            [py, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(self.file), "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client
        address = json.loads(self.file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        return address

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_campaign_plots_show_phases_tubes_and_the_worst_runs(serial, tmp_path):
    pytest.importorskip("matplotlib")
    report, _ = serial
    from tests.campaign import mini_mc
    written = mini_mc.MC.write_plots(report, tmp_path)
    names = {p.name for p in written}
    assert {"phase_success.png", "tubes_in_eev.png", "worst_runs.png"} <= names
    assert all(p.stat().st_size > 1000 for p in written)


# ---------------------------------------------------------------- dispersion files
def test_grouped_tables_are_keys_of_their_phase():
    d = parse({"dispersions": {"landing": {"x": {"dist": "uniform", "lo": 0.0, "hi": 1.0}},
                               "ascent": {"mav.k": {"dist": "choice", "values": [1]}}},
               "fixed": {"capture": {"earth_cruise_s": 60.0, "os_state": {"r_m": [1, 2, 3]}}}})
    assert d.parameters == ["ascent.mav.k", "landing.x"]
    assert d.fixed == {"capture.earth_cruise_s": 60.0, "capture.os_state": {"r_m": [1, 2, 3]}}
    flat = parse({"dispersions": {"a": {"dist": "uniform", "lo": 0.0, "hi": 1.0}}, "fixed": {"s": {"r": 1}}})
    assert flat.parameters == ["a"] and flat.fixed == {"s": {"r": 1}}     # ungrouped files as before


@pytest.mark.parametrize("doc, words", [
    ({"dispersions": {"landing": {"x": {"dist": "uniform", "lo": 0.0, "hi": 1.0}},
                      "y": {"dist": "uniform", "lo": 0.0, "hi": 1.0}}}, "mixes groups"),
    ({"dispersions": {"landing": {"x": {"dist": "uniform", "lo": 0.0, "hi": 1.0}}}, "fixed": {"z": 1.0}},
     "[fixed.z] must be a table"),
    ({"dispersions": {"landing": {"x": {"lo": 0.0}}}}, "'landing.x'"),
])
def test_bad_groups_are_named(doc, words):
    with pytest.raises(DispersionError, match=None) as err:
        parse(doc, "f.toml")
    assert words in str(err.value) and str(err.value).startswith("f.toml")


def test_campaign_file_parses_and_its_landing_and_ascent_tables_are_their_files():
    campaign = tomllib.loads((EXAMPLES / "campaign.toml").read_text())
    for phase in ("landing", "ascent"):
        own = tomllib.loads((EXAMPLES / f"{phase}.toml").read_text())
        assert campaign["dispersions"][phase] == own["dispersions"]
    d = parse(campaign, "campaign.toml")
    check_scenario("campaign", d)                      # every key is a phase's own parameter
    assert {k.split(".")[0] for k in d.parameters} == {"landing", "ascent", "capture"}


@pytest.mark.parametrize("key, words", [
    ("delivery.lander_xy_m", "set by the phase before delivery"),
    ("ascent.tube_ids", "set by the phase before ascent"),
    ("capture.os_state", "set by the phase before capture"),
    ("cruise.speed", "names no phase"),
    ("landing.no_such_key", "unknown parameter"),
    ("landing.entry_fpa_deg", "which the scenario refuses: phase landing"),   # a value outside its limits
])
def test_chained_and_unknown_keys_are_refused(key, words):
    phase, _, name = key.partition(".")
    d = parse({"scenario": "campaign",
               "dispersions": {phase: {name: {"dist": "uniform", "lo": 0.0, "hi": 1.0}}}}, "c.toml")
    with pytest.raises(DispersionError) as err:
        check_scenario("campaign", d)
    assert words in str(err.value) and key in str(err.value)


def test_inputs_split_by_phase_and_outcome_names_the_failed_phase():
    assert split_inputs({"landing.a": 1, "ascent.mav.k": 2}) == {"landing": {"a": 1}, "ascent": {"mav.k": 2}}
    with pytest.raises(DispersionError):
        split_inputs({"a": 1})
    summary = {"success": False, "phases": [{"phase": "landing", "success": True},
                                            {"phase": "delivery", "success": False}],
               "custody": {"delivered": [1, 2], "loaded": None}, "timeline": []}
    out = outcome(summary)
    assert out["failed_phase"] == "delivery" and out["tubes"]["delivered"] == 2 and out["tubes"]["in_eev"] == 0
    assert "timeline" not in out and out["phases"]["delivery"]["success"] is False
    everything = {"success": False, "phases": [{"phase": p.name, "success": True}
                                               for p in CampaignMonteCarlo().phases], "custody": {}}
    assert outcome(everything)["failed_phase"] == "custody"


def toml(doc: dict) -> str:
    """A small TOML writer for the test document (tables of tables of scalars and lists)."""
    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)
    lines = [f"scenario = {json.dumps(doc['scenario'])}"]
    for table in ("dispersions", "fixed"):
        for group, entries in doc[table].items():
            lines.append(f"[{table}.{group}]")
            lines += [f"{json.dumps(k)} = {value(v)}" for k, v in entries.items()]
    lines += ["[retention]", f"outliers = {doc['retention']['outliers']}"]
    return "\n".join(lines) + "\n"
