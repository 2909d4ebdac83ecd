"""`msr hal` commands: catalog listing and config checking with named errors."""
import click
from click.testing import CliRunner

from msr.commands import hal


def cli() -> click.Group:
    group = click.Group()
    hal.register(group)
    return group


def test_catalog_lists_kinds():
    out = CliRunner().invoke(cli(), ["hal", "catalog"])
    assert out.exit_code == 0 and "descent_engine" in out.output and "thrust_N" in out.output


def test_check_reports_devices_and_names_bad_entries(tmp_path):
    cfg = tmp_path / "d.toml"
    cfg.write_text('[devices.tvc]\nkind = "gimbal"\nport = "loop://"\nbaud = 921600\n')
    out = CliRunner().invoke(cli(), ["hal", "check", str(cfg)])
    assert out.exit_code == 0 and "tvc" in out.output and "921600" in out.output
    cfg.write_text('[devices.tvc]\nkind = "gimbal"\nport = "loop://"\nbaud = 12345\n')
    out = CliRunner().invoke(cli(), ["hal", "check", str(cfg)])
    assert out.exit_code != 0 and "devices.tvc: unknown baud 12345" in out.output
