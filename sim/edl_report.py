"""Landing figures: the `edl` section of a landing summary from plant truth and the flight's
TRN fixes, and what a Monte Carlo of landings gives over all runs (the 99 % landing ellipse,
the TRN error distribution). Statistics: numpy is fine here (nothing reaches the flight)."""
from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def trn_fix_rows(plant: Any, topology: Any) -> list[list[float]]:
    """Per TRN fix: [image time s, navigation x, y after the fix, truth x, y at the image, before x, y]."""
    truth_at = {im["t_ns"]: im["position_m"] for im in plant.record["images"]}
    fixes = topology["trn"].fix_log if "trn" in topology.components else []
    return [[f[0] / 1e9, f[3], f[4], truth_at[f[0]][0], truth_at[f[0]][1], f[1], f[2]] for f in fixes
            if f[0] in truth_at]


def edl_figures(sim: Any, topo: Any, target_xy: tuple[float, float]) -> dict[str, Any]:
    """EDL figures from plant truth (sim.plants.edl) and the flight's TRN fixes, matched on the
    image times."""
    rec = sim.record
    td = sim.truth()["touchdown"]
    out: dict[str, Any] = {"entry_alt_km": _r(rec["entry"]["altitude_km"], 2),
                           "entry_speed_mps": _r(rec["entry"]["inertial_speed_mps"], 1),
                           "entry_relative_speed_mps": _r(rec["entry"]["speed_mps"], 1),
                           "peak_decel_g": _r(sim.entry.peak_decel_g, 2), "peak_decel_time_s": _r(sim.entry.peak_decel_t, 1)}
    cd = rec["chute_deploy"]
    if cd:
        out.update(parachute_deploy_time_s=_r(cd["t_s"], 2), parachute_deploy_alt_km=_r(cd["height_agl_m"] / 1e3, 3),
                   parachute_deploy_mach=_r(cd["mach"], 3), parachute_deploy_qbar_Pa=_r(cd["dynamic_pressure_Pa"], 1),
                   parachute_deploy_speed_mps=_r(cd["speed_mps"], 1),
                   deploy_reason=topo["edl"].tlm["deploy_reason"] if "edl" in topo.components else None)
    hs = rec["heatshield_sep"]
    if hs:
        out.update(heatshield_sep_time_s=_r(hs["t_s"], 2), heatshield_sep_mach=_r(hs["mach"], 3))
    bs = rec["backshell_sep"]
    if bs:
        out.update(backshell_sep_time_s=_r(bs["t_s"], 2), backshell_sep_alt_km=_r(bs["height_agl_m"] / 1e3, 3),
                   backshell_sep_speed_mps=_r(bs["speed_mps"], 2))
    errors = [(math.hypot(f[1] - f[3], f[2] - f[4]), math.hypot(f[5] - f[3], f[6] - f[4]))
              for f in trn_fix_rows(sim, topo)]
    out["trn_fixes"] = len(errors)
    out["trn_error_m"] = _r(errors[-1][0], 2) if errors else None
    out["trn_error_median_m"] = _r(statistics.median(e[0] for e in errors), 2) if errors else None
    out["nav_error_before_trn_m"] = _r(errors[0][1], 1) if errors else None
    if td is not None:
        x, y = td["position_m"][0], td["position_m"][1]
        tx, ty = target_xy
        out.update(entry_to_touchdown_s=_r(td["time_s"], 2), touchdown_east_m=_r(x - tx, 2),
                   touchdown_north_m=_r(y - ty, 2), miss_from_target_m=_r(math.hypot(x - tx, y - ty), 2))
        nav = topo["descent_nav"]
        out["nav_error_at_touchdown_m"] = _r(math.hypot(nav.r[0] - x, nav.r[1] - y), 3)
    return out


def campaign_figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Monte Carlo: the 99 % landing ellipse (touchdown points about their mean) and TRN errors."""
    pts = np.array([[r["outputs"]["edl.touchdown_east_m"], r["outputs"]["edl.touchdown_north_m"]] for r in records
                    if r.get("outputs", {}).get("edl.touchdown_east_m") is not None], dtype=float).reshape(-1, 2)
    trn = sorted(r["outputs"]["edl.trn_error_m"] for r in records if r.get("outputs", {}).get("edl.trn_error_m") is not None)
    out: dict[str, Any] = {"touchdowns": len(pts)}
    if len(pts) >= 3:
        out["landing_ellipse_99"] = ellipse(pts, 0.99)
    if trn:
        out["trn_error_m"] = {"median": trn[len(trn) // 2], "max": trn[-1],
                              "within_40_m": sum(e <= 40.0 for e in trn) / len(trn)}  # integer sum
    return out


def ellipse(pts: np.ndarray, p: float) -> dict[str, float]:
    """Axes (full lengths, km) and orientation of the `p` probability ellipse of a 2-D Gaussian
    fitted to the points (chi-square with 2 degrees of freedom: k^2 = -2 ln(1 - p))."""
    c = np.cov(pts.T)
    a, b, d = float(c[0, 0]), float(c[0, 1]), float(c[1, 1])
    tr, det = a + d, a * d - b * b
    l1 = 0.5 * tr + math.sqrt(max(0.25 * tr * tr - det, 0.0))
    l2 = max(tr - l1, 0.0)
    k = math.sqrt(-2.0 * math.log(1.0 - p))
    angle = 0.5 * math.degrees(math.atan2(2.0 * b, a - d))
    return {"major_km": round(2.0 * k * math.sqrt(l1) / 1e3, 3), "minor_km": round(2.0 * k * math.sqrt(l2) / 1e3, 3),
            "major_axis_from_east_deg": round(angle, 1), "centre_east_m": round(float(pts[:, 0].mean()), 1),
            "centre_north_m": round(float(pts[:, 1].mean()), 1)}


__all__ = ["campaign_figures", "edl_figures", "ellipse", "trn_fix_rows"]
