"""`msr montecarlo` and the `msr sil --dispersion --run` hook."""
import json

import click
import pytest
from click.testing import CliRunner

from msr.cli import cli
from msr.commands.montecarlo import sil_run_inputs
from tests.montecarlo.conftest import HOP
from tests.montecarlo.test_campaign import _toml


@pytest.fixture
def hop_file(tmp_path):
    path = tmp_path / "hop.toml"
    path.write_text(_toml(HOP))
    return path


def invoke(*args):
    return CliRunner().invoke(cli, ["montecarlo", *map(str, args)], catch_exceptions=False)


def test_campaign_writes_report_and_plots(hop_file, tmp_path):
    out = tmp_path / "mc"
    result = invoke("hop", "--runs", 16, "--workers", 0, "--seed", 4, "--dispersion", hop_file,
                    "--out", out, "-q")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "montecarlo.json").read_text())
    assert report["n_runs"] == 16 and report["master_seed"] == 4
    assert f"{report['successes']}/16 runs succeeded" in result.output
    assert (out / "plots" / "hist_apex_error_m.png").stat().st_size > 1000
    assert (out / "plots" / "scatter.png").stat().st_size > 1000


def test_min_success_sets_the_exit_status(hop_file, tmp_path):
    result = invoke("hop", "--runs", 10, "--workers", 0, "--dispersion", hop_file, "--out",
                    tmp_path / "mc", "--no-plots", "--min-success", 1.0, "-q")
    report = json.loads((tmp_path / "mc" / "montecarlo.json").read_text())
    assert report["success_rate"] < 1.0
    assert result.exit_code == 1


def test_bad_dispersion_file_is_a_usage_error_naming_the_entry(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[dispersions]\n"mass_kg" = { dist = "uniform", lo = 5.0, hi = 1.0 }\n')
    result = invoke("hop", "--runs", 2, "--workers", 0, "--dispersion", bad, "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "'mass_kg'" in result.output and "lo <= hi" in result.output
    assert not (tmp_path / "x").exists()


def test_unknown_scenario_and_conflicting_executors(tmp_path, hop_file):
    result = invoke("nosuch", "--runs", 1, "--workers", 0, "--dispersion", hop_file, "--out", tmp_path)
    assert result.exit_code == 1 and "written for scenario 'hop'" in result.output
    anyfile = tmp_path / "any.toml"
    anyfile.write_text("[dispersions]\n")
    result = invoke("nosuch", "--runs", 1, "--workers", 0, "--dispersion", anyfile, "--out", tmp_path)
    assert result.exit_code == 1 and "unknown scenario 'nosuch'; registered: " in result.output
    result = invoke("hop", "--scheduler", "tcp://127.0.0.1:1", "--workers", 2, "--out", tmp_path)
    assert result.exit_code == 2 and "--scheduler" in result.output


def test_sil_hook_gives_run_k_inputs_and_seed(hop_file, tmp_path):
    out = tmp_path / "mc"
    invoke("hop", "--runs", 6, "--workers", 0, "--dispersion", hop_file, "--out", out, "--no-plots", "-q")
    run = json.loads((out / "montecarlo.json").read_text())["runs"][5]
    seed, values = sil_run_inputs("hop", hop_file, 5, run["seed"], {})
    assert seed == run["scenario_seed"] and values == run["inputs"]
    seed2, values2 = sil_run_inputs("hop", hop_file, 5, run["seed"], {"dt_s": 0.05})
    assert values2 == {**run["inputs"], "dt_s": 0.05}
    assert sil_run_inputs("hop", None, None, 9, {"a": 1}) == (9, {"a": 1})
    with pytest.raises(click.UsageError):
        sil_run_inputs("hop", hop_file, None, 9, {})
