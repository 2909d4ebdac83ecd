"""`msr run --seed S --dispersion F --run K` flies run K of `msr montecarlo campaign`: bad use
is one clear line (no traceback), and (slow) the campaign it flies has the telemetry of the
Monte Carlo run it reproduces."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from msr.cli import cli

CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "dispersions" / "campaign.toml"


def run(*args: str):
    return CliRunner().invoke(cli, ["run", *args])


@pytest.mark.parametrize("args, words", [
    (["--seed", "5", "--dispersion", str(CAMPAIGN)], "--dispersion and --run go together"),
    (["--seed", "5", "--run", "3"], "--dispersion and --run go together"),
    (["--dispersion", str(CAMPAIGN), "--run", "3"], "needs --seed S"),
    (["--seed", "5", "--run", "-1", "--dispersion", str(CAMPAIGN)], "-1"),
])
def test_misuse_is_a_usage_error(tmp_path, args, words):
    res = run(*args, "--out", str(tmp_path / "o"), "--quiet", "--no-plots")
    assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, res.output
    assert not (tmp_path / "o").exists()


def test_resume_takes_no_dispersion(tmp_path):
    res = run("--resume", str(tmp_path), "--dispersion", str(CAMPAIGN), "--run", "1")
    assert res.exit_code == 2 and "drop --dispersion/--run" in res.output


def test_a_bad_or_foreign_dispersion_file_is_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "campaign"\n[dispersions.landing]\n"entry_fpa_deg" = { dist = "nope" }\n')
    res = run("--seed", "5", "--dispersion", str(bad), "--run", "0", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "bad.toml" in res.output and "'landing.entry_fpa_deg'" in res.output
    ascent = CAMPAIGN.with_name("ascent.toml")
    res = run("--seed", "5", "--dispersion", str(ascent), "--run", "0", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "written for scenario 'ascent'" in res.output


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_msr_run_reproduces_a_monte_carlo_run_of_the_campaign(tmp_path):
    from sim.montecarlo import dispersions
    from sim.montecarlo.campaign import run_campaign
    from sim.montecarlo.executors import SerialExecutor
    report = run_campaign("campaign", dispersions.load(CAMPAIGN), runs=1, master_seed=4, out_dir=tmp_path / "mc",
                          executor=SerialExecutor(), keep_outliers=0, plots=False)
    record = report["runs"][0]
    assert report["phases"]["landing"]["flown"] == 1 and report["tubes_in_eev"]["count"] == 1
    res = CliRunner().invoke(cli, ["run", "--seed", str(record["seed"]), "--dispersion", str(CAMPAIGN),
                                   "--run", "0", "--out", str(tmp_path / "again"), "--quiet", "--no-plots"])
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary["telemetry_sha256"] == record["outputs"]["telemetry_sha256"], res.output
    assert summary["seed"] == record["scenario_seed"]
    inputs = {f"{p}.{k}": v for p, vals in summary_overrides(tmp_path / "again").items() for k, v in vals.items()}
    assert inputs == record["inputs"]
    assert res.exit_code == (0 if record["success"] else 1)


def summary_overrides(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["setup"]["overrides"]
