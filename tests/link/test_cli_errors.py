"""Bad input to the ground tools gives one line naming the input and a non-zero exit, never a
traceback (table-driven: each row is a command line and what its error must say)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from fsw.link.keys import write_key_file
from msr.cli import cli

from .test_log import run_testbed


@pytest.fixture
def files(tmp_path):
    keys = tmp_path / "keys.json"
    write_key_file(keys, {7: b"\x07" * 32}, master={0: b"\x05" * 32})
    open_keys = tmp_path / "open.json"
    write_key_file(open_keys, {7: b"\x07" * 32})
    open_keys.chmod(0o644)
    no_master = tmp_path / "nomaster.json"
    write_key_file(no_master, {7: b"\x07" * 32})
    (tmp_path / "a_file").write_text("")
    (tmp_path / "noise.bin").write_bytes(os.urandom(4096))
    (tmp_path / "tm.bin").write_bytes(run_testbed(ticks=40)[1].getvalue())
    (tmp_path / "seq_used").write_text('{"format": "msr-seq/1", "keys": {}}')
    return tmp_path


CASES = [
    (["keys", "generate", "--out", "/nonexistent/dir/k.json"],
     "key file /nonexistent/dir/k.json: cannot write: No such file or directory"),
    (["keys", "generate", "--out", "{d}/a_file/k.json"], "a_file/k.json: cannot write"),
    (["keys", "generate", "--out", "{d}/keys.json"], "exists"),
    (["keys", "generate", "--out", "{d}/k2.json", "--key-id", "0"], "also the master key id"),
    (["gds", "serve", "--keys", "{d}/keys.json", "--log", "/nonexistent/x.bin"],
     "cannot write telemetry log /nonexistent/x.bin: No such file or directory"),
    (["gds", "serve", "--keys", "{d}/open.json"], "mode 0644 lets group or others read it"),
    (["gds", "serve", "--keys", "{d}/keys.json", "--rate", "0"], "--rate"),
    (["gds", "serve", "--keys", "{d}/keys.json", "--rate", "7"], "7"),
    (["gds", "serve", "--keys", "{d}/keys.json", "--telemetry-divisor", "0"],
     "--telemetry-divisor"),
    (["gds", "serve", "--keys", "{d}/keys.json", "--ground", "nowhere"], "expected HOST:PORT"),
    (["gds", "decode", "{d}/noise.bin", "--vehicle", "testbed"], "not a telemetry log?"),
    (["gds", "decode", "{d}/tm.bin", "--vehicle", "lander"], "wrong dictionary?"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "7",
      "--seq", str((1 << 64) - 1), "counter.NOOP"], "burns the key's numbers"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "0", "counter.NOOP"],
     "key id 0 is a master key"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "5", "counter.NOOP"],
     "has no key id 5"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "7",
      "--no-validate", "counter.INCREMENT", "by=abc"], "'abc' is not an integer (i64)"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "7",
      "--no-validate", "counter.LABEL", "text=x", "level=LOW", "loud=2"], "'2' is not a bool"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "7",
      "--save", "/nonexistent/p.bin", "counter.NOOP"], "cannot write /nonexistent/p.bin"),
    (["gds", "send", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "7",
      "--seq-file", "{d}/a_file/s", "counter.NOOP"], "a_file"),
    (["keys", "rotate", "--port", "9", "--keys", "{d}/nomaster.json", "--key-id", "7"],
     "rotation needs one"),
    (["keys", "rotate", "--port", "9", "--keys", "{d}/keys.json", "--key-id", "0"],
     "is a master key"),
]


@pytest.mark.parametrize("argv, says", CASES, ids=[" ".join(a[:2]) + f" {i}"
                                                   for i, (a, _) in enumerate(CASES)])
def test_bad_input_is_one_clear_line(files, argv, says):
    argv = [a.replace("{d}", str(files)) for a in argv]
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code not in (0, None), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    errors = [line for line in r.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and says in errors[0], r.output


def test_an_empty_log_decodes_to_nothing_without_error(tmp_path):
    (tmp_path / "empty.bin").write_bytes(b"")
    r = CliRunner().invoke(cli, ["gds", "decode", str(tmp_path / "empty.bin"), "--vehicle", "testbed"])
    assert r.exit_code == 0 and r.output == ""
