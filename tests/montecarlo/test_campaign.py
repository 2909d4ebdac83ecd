"""Campaigns: same content whatever the executor, crashes recorded, retention, reproduce run k."""
import json

import pytest

from sim.montecarlo.campaign import chunk_runs, content, run_campaign
from sim.montecarlo.dispersions import DispersionError, parse
from sim.montecarlo.executors import DaskExecutor, PoolExecutor, SerialExecutor
from sim.montecarlo.reproduce import overrides_for_run, rerun

RUNS = 24


def campaign(d, executor, out_dir=None, **kw):
    return run_campaign("hop", d, runs=RUNS, master_seed=11, out_dir=out_dir, executor=executor,
                        plots=False, **kw)


@pytest.fixture(scope="module")
def serial_report(tmp_path_factory):
    from tests.montecarlo.conftest import HOP
    out = tmp_path_factory.mktemp("serial")
    return campaign(parse(HOP, "hop-test"), SerialExecutor(), out), out


def test_chunks_cover_every_run_once():
    for runs in (1, 7, 100, 1001):
        for workers in (1, 2, 8):
            chunks = chunk_runs(runs, workers)
            assert sorted(k for c in chunks for k in c) == list(range(runs))


def test_pool_of_one_and_two_match_serial(serial_report, hop_dispersions):
    report, _ = serial_report
    one = campaign(hop_dispersions, PoolExecutor(1))
    two = campaign(hop_dispersions, PoolExecutor(2))
    expected = content(report)
    expected["retained"] = []                    # no out_dir, nothing kept
    assert content(one) == expected
    assert content(two) == expected
    assert two["execution"]["workers"] == 2


def test_dask_local_cluster_matches_the_pool(serial_report, hop_dispersions, tmp_path):
    pytest.importorskip("distributed")
    report, _ = serial_report
    dask = campaign(hop_dispersions, DaskExecutor(2), tmp_path / "dask")
    assert dask["execution"]["executor"] == "dask"
    on_disk = json.loads((tmp_path / "dask" / "montecarlo.json").read_text())
    assert content(on_disk) == content(json.loads(json.dumps(report)))


def test_existing_scheduler_address_matches_and_keeps_files_here(serial_report, hop_dispersions, tmp_path):
    distributed = pytest.importorskip("distributed")
    report, _ = serial_report
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = campaign(hop_dispersions, DaskExecutor(address=cluster.scheduler_address),
                          tmp_path / "remote")
    assert content(remote) == content(report)
    kept = sorted(int(p.name.split("-")[1]) for p in (tmp_path / "remote" / "runs").iterdir())
    assert kept == [r["run"] for r in report["retained"]]
    checks = remote["execution"]["reruns"]                                # all re-run here
    assert [c["run"] for c in checks] == kept and all(c["reproduced"] for c in checks)


def test_crashed_runs_are_recorded_with_seed_and_traceback(serial_report):
    report, _ = serial_report
    crashed = [r for r in report["runs"] if r["status"] == "crashed"]
    assert crashed, "the test dispersions should make some runs raise"
    assert len(report["runs"]) == RUNS                          # the batch went on
    for r in crashed:
        assert r["inputs"]["fail_with"] == "raise" and r["success"] is False
        assert "RuntimeError: hop: injected failure" in r["error"] and "Traceback" in r["error"]
        failure = next(f for f in report["failures"] if f["run"] == r["run"])
        assert failure["seed"] == r["seed"] and f"--seed {r['seed']}" in failure["reproduce"]
    assert report["crashed"] == len(crashed)
    ok = [r for r in report["runs"] if r["status"] != "crashed"]
    assert report["success_rate"] == sum(r["success"] for r in ok) / RUNS


def test_retention_keeps_only_failures_and_outliers(serial_report):
    report, out = serial_report
    failures = {r["run"] for r in report["runs"] if not r["success"]}
    kept_dirs = {int(p.name.split("-")[1]) for p in (out / "runs").iterdir()}
    retained = {r["run"]: r for r in report["retained"]}
    assert set(retained) == kept_dirs
    assert failures <= kept_dirs
    outliers = kept_dirs - failures
    assert 0 < len(outliers) <= 2
    # The outliers are the runs farthest from the median apex error.
    errs = sorted((abs(r["outputs"]["apex_error_m"] - report["statistics"]["apex_error_m"]["p50"]), r["run"])
                  for r in report["runs"] if r["status"] != "crashed")
    assert {k for _, k in errs[-2:]} == {k for k in kept_dirs if "outlier:apex_error_m" in retained[k]["reasons"]}
    # Failures were kept by the workers during the batch; outliers were re-run and matched.
    checks = report["execution"]["reruns"]
    assert [c["run"] for c in checks] == sorted(outliers) and all(c["reproduced"] for c in checks)
    for k in kept_dirs:
        run_json = json.loads((out / "runs" / f"run-{k:05d}" / "run.json").read_text())
        assert run_json == report["runs"][k]
        if run_json["status"] != "crashed":
            assert (out / "runs" / f"run-{k:05d}" / "trajectory.csv").is_file()


def test_report_on_disk_has_sorted_keys_and_separate_timings(serial_report):
    _, out = serial_report
    text = (out / "montecarlo.json").read_text()
    report = json.loads(text)
    assert list(report) == sorted(report)
    assert "wall_s" not in json.dumps(content(report))
    timings = json.loads((out / "timings.json").read_text())
    assert [t["run"] for t in timings["per_run"]] == list(range(RUNS))


def test_reproducing_run_k_alone_gives_the_batch_record(serial_report, tmp_path):
    from tests.montecarlo.conftest import HOP
    report, _ = serial_report
    path = tmp_path / "hop.toml"
    path.write_text(_toml(HOP))
    for k in (3, 17):
        batch = report["runs"][k]
        plan = overrides_for_run(path, run=k, run_seed=batch["seed"])
        assert plan.inputs == batch["inputs"] and plan.scenario_seed == batch["scenario_seed"]
        assert overrides_for_run(path, run=k, master_seed=11) == plan
        assert rerun("hop", path, run=k, run_seed=batch["seed"]) == batch


def test_scenario_mismatch_and_unknown_parameters_are_refused(hop_dispersions):
    wrong = parse({"scenario": "ascent", "dispersions": {}}, "x.toml")
    with pytest.raises(DispersionError, match="written for scenario 'ascent'"):
        run_campaign("hop", wrong, runs=1, master_seed=1, executor=SerialExecutor())
    typo = parse({"dispersions": {"thrust_scal": {"dist": "uniform", "lo": 1, "hi": 2}}}, "y.toml")
    with pytest.raises(DispersionError, match="'thrust_scal'"):
        run_campaign("hop", typo, runs=1, master_seed=1, executor=SerialExecutor())


def _toml(doc: dict) -> str:
    """Just enough TOML writing for the test dispersions (no dependency for it)."""
    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)
    lines = [f"scenario = {value(doc['scenario'])}"]
    for table in ("dispersions", "fixed", "outputs", "retention"):
        lines.append(f"[{table}]")
        lines += [f'"{k}" = {value(v)}' for k, v in doc[table].items()]
    return "\n".join(lines) + "\n"


def test_requirements_count_runs_inside_their_bands(serial_report):
    report, _ = serial_report
    d = parse({**__import__("tests.montecarlo.conftest", fromlist=["HOP"]).HOP,
               "requirements": {"apex_error_m": [-200.0, 200.0]}}, "req")
    r = run_campaign("hop", d, runs=RUNS, master_seed=11, executor=SerialExecutor(), plots=False)
    inside = [x for x in report["runs"] if x["status"] != "crashed"
              and -200.0 <= x["outputs"]["apex_error_m"] <= 200.0]
    assert r["requirements"]["met"] == len(inside) and 0 < len(inside) < RUNS
    assert r["requirements"]["rate"] == len(inside) / RUNS
    with pytest.raises(DispersionError, match="'apex_error_m'"):
        parse({"requirements": {"apex_error_m": [5, -5]}}, "bad")


def test_parameter_prefixes_admit_families_of_keys(hop_dispersions):
    d = parse({"dispersions": {"flight.gain": {"dist": "uniform", "lo": 0, "hi": 1},
                               "mass_kg": {"dist": "uniform", "lo": 0, "hi": 1}}})
    d.check_parameters(["mass_kg"], prefixes=("flight.",))
    with pytest.raises(DispersionError, match="'flight.gain'"):
        d.check_parameters(["mass_kg"])


def test_a_new_campaign_clears_run_directories_kept_by_an_old_one(hop_dispersions, tmp_path):
    stale = tmp_path / "runs" / "run-99999"
    stale.mkdir(parents=True)
    report = run_campaign("hop", hop_dispersions, runs=6, master_seed=3, out_dir=tmp_path,
                          executor=SerialExecutor(), plots=False)
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [r["dir"][5:] for r in report["retained"]]


def test_resume_reuses_journaled_runs_and_gives_the_same_report(serial_report, hop_dispersions, tmp_path):
    report, _ = serial_report
    out = tmp_path / "mc"
    run_campaign("hop", hop_dispersions, runs=RUNS, master_seed=11, out_dir=out,
                 executor=SerialExecutor(), plots=False)
    lines = (out / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1 + RUNS
    # Interrupted after 10 runs, the last line torn.
    (out / "runs.jsonl").write_text("\n".join(lines[:11]) + "\n" + lines[11][:30])
    resumed = run_campaign("hop", hop_dispersions, runs=RUNS, master_seed=11, out_dir=out,
                           executor=SerialExecutor(), plots=False, resume=True)
    assert resumed["execution"]["resumed_runs"] == 10
    assert content(resumed) == content(json.loads(json.dumps(report)))
    # Another master seed is another campaign: nothing reused.
    other = run_campaign("hop", hop_dispersions, runs=4, master_seed=12, out_dir=out,
                         executor=SerialExecutor(), plots=False, resume=True)
    assert other["execution"]["resumed_runs"] == 0
