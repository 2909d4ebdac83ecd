"""`msr hil board-check`: every item ok or missing, a missing one that the bench needs fails
the check (and so install.sh), one that it does not need is said but does not fail."""
import errno
import json
import os

from click.testing import CliRunner

from hil.board_check import MISSING, OK, check_board
from msr.cli import cli

from .kit import bench_data, pty_bench, write_bench

ITEMS = {"python", "imports", "crc", "cobs", "frame codec", "clock", "sched_fifo", "mlockall"}


def by_name(items):
    return {i.name: i for i in items}


def test_a_pty_bench_on_this_machine_is_ready(tmp_path):
    items = by_name(check_board(pty_bench(tmp_path)))
    assert ITEMS | {"port main"} <= set(items)
    assert not [i for i in items.values() if i.failed]
    assert items["crc"].status == OK and "binascii.crc_hqx" in items["crc"].detail
    assert "us per frame" in items["frame codec"].detail
    assert "TIMER_ABSTIME" in items["clock"].detail


def test_a_missing_or_forbidden_port_fails_the_check(tmp_path):
    data = bench_data(tmp_path)
    data["lines"]["main"]["bench_port"] = "/dev/ttyUSB9"     # a real UART on the board side
    data["lines"]["main"]["port"] = str(tmp_path / "ttyS9")
    bench_file = write_bench(tmp_path, data)
    res = CliRunner().invoke(cli, ["hil", "board-check", "--bench", str(bench_file)])
    assert res.exit_code == 1
    assert f"missing  port main    {tmp_path / 'ttyS9'} does not exist" in res.output
    assert "1 item(s) missing: port main" in res.output
    if os.geteuid() != 0:   # root may open anything
        (tmp_path / "ttyS9").write_text("")
        (tmp_path / "ttyS9").chmod(0)
        assert "no read/write permission" in by_name(check_board(write_bench_and_load(tmp_path, data)))[
            "port main"].detail


def write_bench_and_load(tmp_path, data):
    from hil.bench import load_bench
    return load_bench(write_bench(tmp_path, data))


def test_sched_fifo_refused_fails_a_realtime_bench_but_not_a_lockstep_one(tmp_path, monkeypatch):
    def refuse(*_a):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    rt = bench_data(tmp_path, mode="realtime")
    rt["realtime"]["priority"] = 80
    lock = bench_data(tmp_path, mode="lockstep")
    lock["realtime"]["priority"] = 80
    from hil.bench import parse_bench
    rt_item = by_name(check_board(parse_bench(rt, "rt.toml")))["sched_fifo"]
    lock_item = by_name(check_board(parse_bench(lock, "lock.toml")))["sched_fifo"]
    assert rt_item.status == MISSING and rt_item.failed and "not permitted" in rt_item.detail
    assert lock_item.status == MISSING and not lock_item.failed and "not needed" in lock_item.line()


def test_versions_are_checked_against_the_bundle_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"python": "2.7", "wheels": [{"name": "numpy", "version": "0.0.1"}]}))
    items = by_name(check_board(pty_bench(tmp_path), manifest))
    assert items["python"].failed and "bundle built for 2.7" in items["python"].detail
    assert items["imports"].failed and "numpy" in items["imports"].detail and "0.0.1" in items["imports"].detail
    manifest.write_text("{not json")
    assert by_name(check_board(pty_bench(tmp_path), manifest))["manifest"].failed
