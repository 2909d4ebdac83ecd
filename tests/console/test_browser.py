"""The console in a real browser (Debian's headless Chromium driven by Playwright for Python):
a replay of the seed-1 ascent, then commanding a live SIL run from the page.

Screenshots land in the test's output folder (tmp_path). Needs `make browser` (chromium,
playwright, Open MCT); skips with the reason otherwise."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
MSR = [str(Path(sys.executable).parent / "msr")]


def _needs() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make browser)"
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (make browser)"
    from ground import openmct
    if openmct.dist_dir() is None:
        return "Open MCT is not installed (make console)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    why = _needs()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=FLAGS, viewport={"width": 1400, "height": 850})
        yield ctx
        ctx.close()


class Proc:
    """A command-line process whose stdout lines are read until one matches."""

    def __init__(self, args: list[str]) -> None:
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.p.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        raise AssertionError(f"no {pattern!r} in: {''.join(self.lines)}")

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def decoded(log: Path) -> list[dict]:
    out = subprocess.run(MSR + ["gds", "decode", str(log), "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def status(base: str) -> dict:
    from urllib.request import urlopen
    with urlopen(f"{base}/api/status", timeout=5) as r:
        return json.load(r)


def utc_ms(text: str) -> float:
    t = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return t.timestamp() * 1e3


def test_replay_of_the_seed1_ascent_in_the_browser(browser, tmp_path):
    from sim.scenarios import ascent
    run = tmp_path / "ascent-1"
    assert ascent.run(seed=1, out_dir=run, overrides={})["success"]
    packets = decoded(run / "telemetry.bin")
    web = Proc(MSR + ["gds", "web", "--replay", str(run / "telemetry.bin"), "--speed", "50",
                      "--port", "0"])
    try:
        base = web.wait_for(r"console on (http://127\.0\.0\.1:\d+)/").group(1)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/#/browse/msr:root/msr:v.mav/msr:c.mav.nav/msr:ch.mav.nav.altitude_m")
        end = time.monotonic() + 60
        while status(base)["received"] < len(packets) and time.monotonic() < end:
            time.sleep(0.5)
        assert status(base)["received"] == len(packets)
        time.sleep(1.5)   # the last ticks reach the plot
        page.screenshot(path=str(tmp_path / "altitude_plot.png"))
        stats = page.evaluate("window.msrConsole.stats")
        assert stats["points"]["ch.mav.nav.altitude_m"] > 0     # history answered the plot
        assert stats["datums"] > 1000                              # and the feed kept it going
        assert page.locator(".gl-plot, .c-plot").count() > 0

        # the LAD table of nav: the latest altitude is the one msr gds decode reads
        page.goto(f"{base}/#/browse/msr:root/msr:v.mav/msr:c.mav.nav")
        row = page.locator("tr", has=page.locator("td", has_text=re.compile(r"^nav\.altitude_m$")))
        row.first.wait_for(timeout=20_000)
        page.wait_for_function("""() => [...document.querySelectorAll('tr')].some(
            r => r.textContent.includes('nav.altitude_m') && /\\d{4}-/.test(r.textContent))""")
        cells = row.first.locator("td").all_inner_texts()
        t_ns = round(utc_ms(cells[1]) * 1e6)
        shown = float(cells[2])
        nav = [p for p in packets if p["kind"] == "channels" and p["component"] == "nav"]
        same = [p for p in nav if p["t_ns"] == t_ns]
        assert same, f"no nav packet at {cells[1]}"
        assert shown == same[0]["values"]["altitude_m"]
        assert t_ns == nav[-1]["t_ns"]          # the replay is over: the latest is the last
        page.screenshot(path=str(tmp_path / "nav_lad.png"))

        # the events table filters by severity
        page.goto(f"{base}/#/browse/msr:root/msr:v.mav/msr:ev.mav")
        page.locator("tbody tr").first.wait_for(timeout=20_000)
        unlimited = page.get_by_role("button", name=re.compile("show unlimited", re.I))
        if unlimited.count():
            unlimited.first.click()
        expected = sum(1 for p in packets if p["kind"] == "event" and p["severity"] == "ACTIVITY_HI")
        page.locator('input[aria-label="severity filter input"]').fill("ACTIVITY_HI")
        page.wait_for_function(f"() => document.querySelectorAll('tbody tr').length === {expected}",
                               timeout=20_000)
        severities = page.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => r.textContent)")
        assert len([s for s in severities if "ACTIVITY_HI" in s]) == expected
        assert not any("ACTIVITY_LO" in s for s in severities)
        page.screenshot(path=str(tmp_path / "events_table.png"))
        assert errors == []
    finally:
        web.stop()


def test_a_command_from_the_page_runs_once_on_a_live_sil_run(browser, tmp_path):
    keys = tmp_path / "keys.json"
    subprocess.run(MSR + ["keys", "generate", "--out", str(keys), "--key-id", "7"], check=True,
                   capture_output=True)
    ground, flight = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    run = tmp_path / "live"
    sil = Proc(MSR + ["sil", "ascent", "--live", "--ground", f"127.0.0.1:{ground}",
                      "--link-port", str(flight), "--keys", str(keys), "--speed", "4",
                      "--set", "max_time_s=90", "--out", str(run)])
    web = None
    try:
        sil.wait_for(r"live: commands on udp")
        web = Proc(MSR + ["gds", "web", "--link", "--udp-port", str(ground), "--flight",
                          f"127.0.0.1:{flight}", "--dict", str(run / "dictionary.json"),
                          "--keys", str(keys), "--key-id", "7", "--port", "0"])
        base = web.wait_for(r"console on (http://127\.0\.0\.1:\d+)/").group(1)
        page = browser.new_page()
        page.goto(f"{base}/#/browse/msr:root/msr:v.mav/msr:cmd.mav")
        page.locator('[data-msr="cmd-component"]').select_option("flight")
        page.locator('[data-msr="cmd-command"]').select_option("OS_TUBE_LOADED")
        page.locator('[data-msr="cmd-arg-tube"]').fill("0")                # below its range
        page.locator('[data-msr="cmd-send"]').click()
        assert "not sent" in page.locator('[data-msr="cmd-status"]').inner_text()
        page.locator('[data-msr="cmd-component"]').select_option("nav")
        page.locator('[data-msr="cmd-command"]').select_option("NOOP")
        page.locator('[data-msr="cmd-send"]').click()
        page.locator('[data-msr="cmd-row"][data-status="OK"]').wait_for(timeout=20_000)
        rows = page.locator('[data-msr="cmd-row"]').all_inner_texts()
        assert len(rows) == 1 and "nav.NOOP" in rows[0]
        seq = rows[0].split("\t")[3].strip()
        page.screenshot(path=str(tmp_path / "command_panel.png"))
        assert sil.p.wait(120) in (0, 1)          # 90 s of flight: short of orbit by design
    finally:
        sil.stop()
        if web is not None:
            web.stop()
    packets = decoded(run / "telemetry.bin")
    executed = [p for p in packets if p["kind"] == "event" and p["event"] == "TC_EXECUTED"]
    accepted = [p for p in packets if p["kind"] == "event" and p["component"] == "nav"
                and p["event"] == "CMD_ACCEPTED" and p["args"].get("command") == "NOOP"]
    acks = [p for p in packets if p["kind"] == "ack"]
    assert [str(p["args"]["seq"]) for p in executed] == [seq]
    assert len(accepted) == 1
    assert [(p["status"], str(p["cmd_seq"])) for p in acks] == [("OK", seq)]

