"""The whole campaign (slow): success, files, and telemetry determinism by seed."""
import json

import pytest

from sim.campaign import run_campaign
from sim.report.campaign_plots import campaign_plots

pytestmark = pytest.mark.slow


def test_campaign_succeeds_writes_its_files_and_is_deterministic(tmp_path):
    a = run_campaign(11, tmp_path / "a", plots=True)
    assert not (tmp_path / "a" / "plots").exists()      # in order (--one-core, a loaded machine): drawn after
    s = a.summary
    assert s["success"], json.dumps(s["phases"], indent=1)
    assert s["custody"]["in_eev"] == s["custody"]["loaded"] and len(s["custody"]["loaded"]) >= 1
    for name in ("telemetry.bin", "events.log", "dictionary.json", "summary.json"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    pngs = campaign_plots(a)
    assert len(pngs) == 8 and all(p.stat().st_size > 10_000 for p in pngs)   # landing: map, EDL profile, track, TRN
    one = {p: p.read_bytes() for p in pngs}
    assert {p: p.read_bytes() for p in campaign_plots(a, workers=2)} == one     # drawn on two cores: the same files
    b = run_campaign(11, tmp_path / "b")
    assert b.summary["telemetry_sha256"] == s["telemetry_sha256"]
    c = run_campaign(12, tmp_path / "c")
    assert c.summary["telemetry_sha256"] != s["telemetry_sha256"]
