"""`hop`: a toy scenario for exercising the Monte Carlo engine: a sounding-rocket hop to a target apex.

A vertical solid-ish motor burns until closed-loop guidance predicts the target apex from a
noisy altimeter (so the scenario seed matters), then coasts through an atmosphere whose
density, and a vertical wind, are dispersed. A few milliseconds per run at the default step.
`fail_with = "raise"` makes the run crash (to test crash records).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.deployment import ScenarioError, resolve_overrides
from fsw.vehicle import Vehicle
from sim.registry import Scenario
from sim.scenario_params import ScenarioParam, defaults

G = 3.71

PARAMS = (
    ScenarioParam("thrust_N", 4000.0, float, 1.0, 1e5), ScenarioParam("thrust_scale", 1.0, float, 0.1, 10.0),
    ScenarioParam("mass_kg", 100.0, float, 1.0, 1e4), ScenarioParam("propellant_kg", 60.0, float, 0.0, 1e4),
    ScenarioParam("isp_s", 250.0, float, 10.0, 1000.0), ScenarioParam("density_scale", 1.0, float, 0.0, 100.0),
    ScenarioParam("rho0", 0.02, float, 0.0, 1.0), ScenarioParam("scale_height_m", 11_100.0, float, 100.0, 1e5),
    ScenarioParam("cd_area_m2", 0.05, float, 0.0, 10.0), ScenarioParam("wind_mps", 0.0, float, -200.0, 200.0),
    ScenarioParam("altimeter_sigma_m", 2.0, float, 0.0, 1000.0),
    ScenarioParam("target_apex_m", 20_000.0, float, 1.0, 1e6), ScenarioParam("tolerance_m", 500.0, float, 0.0, 1e6),
    ScenarioParam("dt_s", 0.05, float, 1e-3, 1.0), ScenarioParam("fail_with", "", str, choices=("", "raise")),
)
PARAMETERS = defaults(PARAMS)
KEY_FIGURES = ("apex_error_m", "burn_time_s")


def _drag(h: float, v: float, p: dict) -> float:
    rho = p["rho0"] * p["density_scale"] * math.exp(-max(h, 0.0) / p["scale_height_m"])
    vr = v - p["wind_mps"]
    return -0.5 * rho * p["cd_area_m2"] * vr * abs(vr)


def run(*, seed: int, out_dir: Path | None, overrides: dict) -> dict:
    p, _ = resolve_overrides(overrides, PARAMETERS, params=PARAMS)
    if p["propellant_kg"] >= p["mass_kg"]:
        raise ScenarioError(f"propellant_kg={p['propellant_kg']}: expected less than mass_kg={p['mass_kg']}")
    if p["fail_with"] == "raise":
        raise RuntimeError("hop: injected failure (fail_with='raise')")
    rng = np.random.default_rng(seed)
    dt, thrust = p["dt_s"], p["thrust_N"] * p["thrust_scale"]
    mdot = thrust / (p["isp_s"] * 9.80665)
    h = v = t = 0.0
    m, prop = p["mass_kg"], p["propellant_kg"]
    burning, burn_time, apex, vmax = True, 0.0, 0.0, 0.0
    rows = []
    while t < 600.0:
        if burning:
            # Guidance: ballistic apex from the altimeter, vacuum estimate minus a drag allowance.
            h_meas = h + float(rng.normal(0.0, p["altimeter_sigma_m"]))
            predicted = h_meas + v * abs(v) / (2 * G) * 0.95
            if predicted >= p["target_apex_m"] or prop <= 0.0:
                burning, burn_time = False, t
        f = thrust if burning else 0.0
        if burning:
            used = min(prop, mdot * dt)
            prop -= used
            m -= used
        a = (f + _drag(h, v, p)) / m - G
        v += a * dt
        h += v * dt
        t += dt
        vmax = max(vmax, v)
        apex = max(apex, h)
        if out_dir is not None and int(round(t / dt)) % 20 == 0:
            rows.append(f"{t:.2f},{h:.3f},{v:.3f}")
        if not burning and v < 0.0:
            break
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "trajectory.csv").write_text("t_s,h_m,v_mps\n" + "\n".join(rows) + "\n")
    error = apex - p["target_apex_m"]
    return {"success": abs(error) <= p["tolerance_m"], "apex_m": apex, "apex_error_m": error,
            "burn_time_s": burn_time, "max_speed_mps": vmax,
            "propellant_left_kg": prop}


def summary_lines(summary: dict) -> list[str]:
    return [f"apex {summary['apex_m']:.0f} m (error {summary['apex_error_m']:+.0f} m), "
            f"burn {summary['burn_time_s']:.1f} s: {'ok' if summary['success'] else 'FAILED'}"]


# No flight software: a plain function of its seed and parameters (`run`), no deployment split.
SCENARIO = Scenario("hop", Vehicle("hop"), summary_lines, run=run, params=PARAMS, key_figures=KEY_FIGURES)
