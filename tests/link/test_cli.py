"""`msr keys`, `msr dict export` and `msr gds decode` from the command line."""
from __future__ import annotations

import csv
import io
import json
import stat
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from fsw.link.dictionary import Dictionary
from fsw.link.keys import load_keyring, load_keys
from msr.cli import cli

from .test_log import run_testbed


def test_keys_generate(tmp_path):
    path = tmp_path / "k.json"
    r = CliRunner().invoke(cli, ["keys", "generate", "--out", str(path), "--key-id", "3",
                                 "--key-id", "4"])
    assert r.exit_code == 0, r.output
    keys = load_keys(path)
    assert sorted(keys) == [3, 4] and all(len(k) == 32 for k in keys.values())
    assert keys[3] != keys[4]
    master = load_keyring(path).master
    assert list(master) == [0] and master[0] not in keys.values()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = CliRunner().invoke(cli, ["keys", "generate", "--out", str(path)])
    assert again.exit_code != 0 and "exists" in again.output


def test_dict_export_json_and_xtce(tmp_path):
    r = CliRunner().invoke(cli, ["dict", "export", "--format", "json", "--out",
                                 str(tmp_path / "d.json"), "--vehicle", "testbed"])
    assert r.exit_code == 0, r.output
    d = Dictionary.from_json((tmp_path / "d.json").read_text())
    assert [v.name for v in d.vehicles] == ["testbed"]
    r = CliRunner().invoke(cli, ["dict", "export", "--format", "xtce", "--out",
                                 str(tmp_path / "d.xml"), "--vehicle", "testbed"])
    assert r.exit_code == 0, r.output
    ET.parse(tmp_path / "d.xml")
    bad = CliRunner().invoke(cli, ["dict", "export", "--out", str(tmp_path / "x.json"),
                                   "--vehicle", "no_such_vehicle"])
    assert bad.exit_code != 0 and "no_such_vehicle" in bad.output


def test_dict_export_gathers_every_vehicle_that_imports(tmp_path):
    r = CliRunner().invoke(cli, ["dict", "export", "--out", str(tmp_path / "all.json")])
    assert r.exit_code == 0, r.output
    names = [v.name for v in Dictionary.from_json((tmp_path / "all.json").read_text()).vehicles]
    assert "testbed" in names


def test_decode_formats(tmp_path):
    path = tmp_path / "tm.bin"
    path.write_bytes(run_testbed(ticks=60)[1].getvalue())
    runner = CliRunner()
    table = runner.invoke(cli, ["gds", "decode", str(path), "--vehicle", "testbed"])
    assert table.exit_code == 0 and "COUNTED: count 4 (+4)" in table.output
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(cli, ["gds", "decode", str(path), "--format", "csv", "--vehicle", "testbed"]).output)))
    assert {"t_ns", "component", "kind", "name", "value"} <= set(rows[0])
    assert any(r["component"] == "counter" and r["name"] == "count" and r["value"] == "4"
               for r in rows)
    lines = runner.invoke(cli, ["gds", "decode", str(path), "--format", "json",
                                "--vehicle", "testbed"]).output.splitlines()
    objs = [json.loads(x) for x in lines]
    assert [o["status"] for o in objs if o["kind"] == "ack"] == ["OK", "OK", "OK", "REPLAY"]
    path.write_bytes(path.read_bytes()[:-3])
    cut = runner.invoke(cli, ["gds", "decode", str(path), "--vehicle", "testbed"])
    assert cut.exit_code == 0 and "ends inside a record" in cut.output


def test_decode_uses_the_dictionary_beside_the_log(tmp_path):
    from fsw.core.topology import Topology
    from fsw.link.testbed import Counter
    from fsw.link.log import TelemetryLogWriter
    topology = Topology("bench", [Counter("counter")])  # a vehicle the built-in table lacks
    writer = TelemetryLogWriter.for_topology(topology, apid_base=0x500)
    topology["counter"].dispatch("INCREMENT", {"by": 2})
    topology.sample_telemetry(1_000)
    (tmp_path / "tm.bin").write_bytes(writer.getvalue())

    def kinds():
        out = CliRunner().invoke(cli, ["gds", "decode", str(tmp_path / "tm.bin"), "--format",
                                       "json"]).output
        return sorted(json.loads(x)["kind"] for x in out.splitlines() if x.startswith("{"))
    assert kinds() == ["raw", "raw", "raw"]
    (tmp_path / "dictionary.json").write_text(writer.dictionary().to_json())
    assert kinds() == ["channels", "event", "event"]
