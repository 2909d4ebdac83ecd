"""End to end on the MAV ascent: `msr sil ascent --seed S --dispersion F --run k` reproduces
run k of a campaign exactly (slow: a few ascents of ~5 s each)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from msr.cli import cli
from sim.deployment import wall_fields
from sim.montecarlo import dispersions
from sim.montecarlo.campaign import run_campaign
from sim.montecarlo.executors import SerialExecutor
from sim.montecarlo.runner import flatten_outputs

ASCENT = Path(__file__).resolve().parents[2] / "examples" / "dispersions" / "ascent.toml"


@pytest.mark.slow
def test_sil_reproduces_run_k_of_an_ascent_campaign(tmp_path):
    pytest.importorskip("sim.scenarios.ascent")
    report = run_campaign("ascent", dispersions.load(ASCENT), runs=2, master_seed=5,
                          executor=SerialExecutor(), plots=False)
    run = report["runs"][1]
    result = CliRunner().invoke(cli, ["sil", "ascent", "--seed", str(run["seed"]), "--dispersion",
                                      str(ASCENT), "--run", "1", "--out", str(tmp_path)])
    assert result.exit_code == (0 if run["success"] else 1), result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    outputs = flatten_outputs(summary)
    for wall in wall_fields("ascent"):
        outputs.pop(wall, None)   # wall-clock figures, which the campaign keeps out of records
    assert outputs == run["outputs"]
    assert summary["seed"] == run["scenario_seed"]
