"""Campaign plots (PNG) from the phases' run directories.

Each plot reads what the phase wrote: `truth.npz` (the plant's truth series), the optional
`artifacts.npz` (maps), and `summary.json`. Missing data gives a plot that says so rather
than an error: a report must never take the run down with it.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from fsw.numerics import fixed_sum

MARS_RADIUS_M = 3_396_200.0
THIN = 4_000    # runs of samples a long line is thinned to (`_thin`)


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _log_labels(ax) -> None:
    """Label a log y axis "10³" in plain text: matplotlib's own labels are mathtext, whose
    first parse costs each process that draws one ~0.06 s (measured: a bare semilogy figure
    0.16 -> 0.10 s CPU), on the campaign's critical path (`msr run`, issue 23)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    def power_of_ten(v: float, _pos: int) -> str:
        if not 0.0 < v < math.inf:
            return ""
        e = math.log10(v)
        return "10" + str(round(e)).translate(_SUPERSCRIPT) if abs(e - round(e)) < 1e-9 else ""
    ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
    ax.yaxis.set_minor_formatter(NullFormatter())


class _Lazy(Mapping):
    """An .npz file's arrays, each read when first used: a plot reads a few of the capture's
    57 series (15 MB), not all of them."""

    def __init__(self, path: Path) -> None:
        with np.load(path) as z:
            self._names = list(z.files)
        self._path, self._read = path, {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._read:
            if key not in self._names:
                raise KeyError(key)
            with np.load(self._path) as z:
                self._read[key] = z[key]
        return self._read[key]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _load(d: Path, name: str) -> Mapping[str, np.ndarray]:
    p = d / name
    return _Lazy(p) if p.exists() else {}


def _thin(n: int, *series: np.ndarray) -> tuple[np.ndarray, ...]:
    """At most about 2n points of equal-length series drawn as one line: in each of n runs of
    consecutive samples, the samples where any series is least and greatest (a spike stays
    visible; the figure is ~1,500 pixels wide, so 2n = 8,000 points lose nothing it shows)."""
    m = len(series[0])
    if m <= 2 * n:
        return series
    width = -(-m // n)
    keep = [np.array([0, m - 1])]
    for y in series:
        padded = np.concatenate([y, np.full(n * width - m, y[-1])]).reshape(n, width)
        base = np.arange(n) * width
        keep += [base + np.argmin(padded, axis=1), base + np.argmax(padded, axis=1)]
    idx = np.unique(np.minimum(np.concatenate(keep), m - 1))
    return tuple(y[idx] for y in series)


def _summary(d: Path) -> dict[str, Any]:
    p = d / "summary.json"
    return json.loads(p.read_text()) if p.exists() else {}


def _key(series: dict[str, np.ndarray], *candidates: str) -> np.ndarray | None:
    """The first series whose name equals or ends with one of the candidates."""
    for c in candidates:
        if c in series:
            return series[c]
    for c in candidates:
        for k in sorted(series):
            if k.endswith("." + c):
                return series[k]
    return None


def _margins(fig, left: float = 1.0, right: float = 0.25, bottom: float = 0.62, top: float = 0.42,
             wgap: float = 0.95, hgap: float = 0.8) -> None:
    """Place the axes grid by fixed margins and gaps in inches, room for tick labels of up to
    seven characters, an axis label and a title (top=0.6 with a suptitle). `tight_layout`
    measured every tick label of every axis to find about the same: a third of the plots'
    time, and the campaign's last plots are on its critical path (bench/plots.py)."""
    w, h = fig.get_size_inches()
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes else (1, 1)
    inner_w, inner_h = w - left - right, h - bottom - top
    ax_w, ax_h = (inner_w - (cols - 1) * wgap) / cols, (inner_h - (rows - 1) * hgap) / rows
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h,
                        wspace=wgap / ax_w, hspace=hgap / ax_h)


def _save(fig, out: Path, dpi: int = 100, **margins: float) -> Path:
    """Write the figure whole: under a temporary name, then renamed (a PNG that exists is
    complete). `margins` in inches (`_margins`)."""
    _margins(fig, **margins)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        _plt().close(fig)
    return out


def _no_data(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} recorded", ha="center", va="center", transform=ax.transAxes)


def landing_map(d: Path, out: Path) -> Path:
    plt = _plt()
    art, tr, s = _load(d, "artifacts.npz"), _load(d, "truth.npz"), _summary(d)
    fig, ax = plt.subplots(figsize=(7, 6))
    if "safe" in art:
        res = float(art.get("resolution_m", 1.0))
        h, w = art["safe"].shape
        extent = tuple(art["extent_m"]) if "extent_m" in art else (0, w * res, 0, h * res)
        if "height_m" in art:
            ax.imshow(art["height_m"], origin="lower", extent=extent, cmap="gray", alpha=0.6)
        ax.imshow(np.where(art["safe"], 1.0, np.nan), origin="lower", extent=extent, cmap="Greens",
                  alpha=0.55, vmin=0, vmax=1.5)
        ax.set_title("landing-site safety map (green: safe 60 m disc)")
    else:
        ax.set_title("landing (no safety map artifact)")
    x, y = _key(tr, "position_m.0"), _key(tr, "position_m.1")
    if x is not None:
        ax.plot(x, y, "-", color="tab:blue", lw=1, label="descent track")
    site = s.get("chosen_site")
    if isinstance(site, dict) and site.get("x_m") is not None:  # zoom on the divert area
        ax.set_xlim(site["x_m"] - 250, site["x_m"] + 250)
        ax.set_ylim(site["y_m"] - 250, site["y_m"] + 250)
    for key, mk, lab in (("chosen_site", "o", "chosen site"), ("touchdown_xy_m", "x", "touchdown")):
        v = s.get(key)
        if isinstance(v, dict):
            v = [v.get("x_m"), v.get("y_m")]
        if isinstance(v, (list, tuple)) and len(v) >= 2 and None not in v[:2]:
            ax.plot(v[0], v[1], mk, ms=12, mfc="none" if mk == "o" else None, mew=2, label=lab)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, out, dpi=110)


EDL_MARKS = (("parachute_deploy_time_s", "parachute"), ("heatshield_sep_time_s", "heatshield off"),
             ("backshell_sep_time_s", "backshell off"), ("entry_to_touchdown_s", "touchdown"))


def edl_profile(d: Path, out: Path) -> Path:
    """Entry to touchdown against time: height, speed, Mach, deceleration and bank angle."""
    plt = _plt()
    tr, s = _load(d, "truth.npz"), _summary(d)
    edl = s.get("edl", {}) if isinstance(s.get("edl"), dict) else {}
    panels = (("height_above_ground_m", "height above ground (km)", 1e-3), ("speed_mps", "speed (m/s)", 1.0),
              ("mach", "Mach", 1.0), ("decel_g", "deceleration (Earth g)", 1.0), ("bank_deg", "bank angle (deg)", 1.0))
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 11), sharex=True)
    t = tr.get("t_s")
    for ax, (key, label, scale) in zip(axes, panels):
        y = _key(tr, key)
        if t is None or y is None:
            _no_data(ax, label)
            continue
        ax.plot(t, y * scale, lw=1.1)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        for k, name in EDL_MARKS:
            if edl.get(k) is not None:
                ax.axvline(edl[k], color="gray", ls=":", lw=0.9)
                if key == "height_above_ground_m":
                    ax.text(edl[k], ax.get_ylim()[1] * 0.9, " " + name, fontsize=7, rotation=90, va="top")
    axes[-1].set_xlabel("time from the entry interface (s)")
    if edl:
        fig.suptitle(f"entry, descent and landing: peak {edl.get('peak_decel_g')} g, parachute at Mach "
                     f"{edl.get('parachute_deploy_mach')} / {edl.get('parachute_deploy_alt_km')} km, "
                     f"touchdown at {edl.get('entry_to_touchdown_s')} s", fontsize=10)
    return _save(fig, out, top=0.55, hgap=0.15)


def _ellipse_xy(major_km: float, minor_km: float, angle_deg: float, cx: float = 0.0, cy: float = 0.0):
    th = np.linspace(0.0, 2 * math.pi, 181)
    a, b, c, sn = 0.5 * major_km, 0.5 * minor_km, math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    x, y = a * np.cos(th), b * np.sin(th)
    return cx + c * x - sn * y, cy + sn * x + c * y


def edl_ground_track(d: Path, out: Path, ellipse: dict | None = None) -> Path:
    """The ground track of the last 60 km in the site frame, the target, the chosen site, the
    touchdown, and a landing ellipse (a Monte Carlo's, else Mars 2020's 7.7 x 6.6 km for scale)."""
    plt = _plt()
    tr, s = _load(d, "truth.npz"), _summary(d)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    x, y = _key(tr, "position_m.0"), _key(tr, "position_m.1")
    for ax, span in zip(axes, (None, 12.0)):
        if x is None or y is None:
            _no_data(ax, "ground track")
            continue
        ax.plot(x / 1e3, y / 1e3, "-", lw=1.2, label="ground track")
        ax.plot([0.0], [0.0], "k+", ms=14, mew=2, label="target")
        if ellipse:
            ex, ey = _ellipse_xy(ellipse["major_km"], ellipse["minor_km"], ellipse.get("major_axis_from_east_deg", 0.0),
                                 ellipse.get("centre_east_m", 0.0) / 1e3, ellipse.get("centre_north_m", 0.0) / 1e3)
            ax.plot(ex, ey, "r--", lw=1, label=f"99 % ellipse {ellipse['major_km']} x {ellipse['minor_km']} km")
        else:
            ex, ey = _ellipse_xy(7.7, 6.6, 0.0)
            ax.plot(ex, ey, "r--", lw=1, label="Mars 2020 ellipse 7.7 x 6.6 km (scale)")
        site = s.get("chosen_site")
        if isinstance(site, dict):
            ax.plot(site["x_m"] / 1e3, site["y_m"] / 1e3, "go", mfc="none", ms=10, mew=2, label="chosen site")
        td = s.get("touchdown_xy_m")
        if isinstance(td, list):
            ax.plot(td[0] / 1e3, td[1] / 1e3, "x", color="tab:orange", ms=10, mew=2, label="touchdown")
        if span is not None:
            ax.set_xlim(-span / 2, span / 2)
            ax.set_ylim(-span / 2, span / 2)
            ax.set_title("near the target")
        else:
            ax.set_title("from the entry interface")
        ax.set_xlabel("east (km)")
        ax.set_ylabel("north (km)")
        ax.set_aspect("equal", adjustable="datalim" if span is None else "box")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left")
    return _save(fig, out, wgap=0.85)


def trn_fixes(d: Path, out: Path) -> Path:
    """Terrain-relative navigation: the position error before and after each map fix."""
    plt = _plt()
    art, s = _load(d, "artifacts.npz"), _summary(d)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    fx = art.get("trn_fixes")
    if fx is None or len(fx) == 0:
        _no_data(ax, "TRN fix")
    else:
        t, after, before = fx[:, 0], np.hypot(fx[:, 1] - fx[:, 3], fx[:, 2] - fx[:, 4]), \
            np.hypot(fx[:, 5] - fx[:, 3], fx[:, 6] - fx[:, 4])
        ax.semilogy(t, np.maximum(before, 0.1), "o", ms=4, color="tab:red", label="navigation before the fix")
        ax.semilogy(t, np.maximum(after, 0.1), "o", ms=4, color="tab:green", label="after the fix")
        ax.axhline(40.0, color="k", ls=":", lw=1, label="LVS requirement 40 m")
        ax.legend(fontsize=8)
        ax.set_xlabel("time from the entry interface (s)")
        ax.set_ylabel("horizontal position error (m)")
        ax.grid(alpha=0.3, which="both")
        _log_labels(ax)
    edl = s.get("edl", {}) if isinstance(s.get("edl"), dict) else {}
    ax.set_title(f"terrain-relative navigation: {edl.get('trn_fixes', 0)} fixes, last {edl.get('trn_error_m')} m")
    return _save(fig, out)


def rover_traverse(d: Path, out: Path) -> Path:
    plt = _plt()
    art, tr = _load(d, "artifacts.npz"), _load(d, "truth.npz")
    fig, ax = plt.subplots(figsize=(7, 6))
    if "height_m" in art:
        res = float(art.get("resolution_m", 1.0))
        h, w = art["height_m"].shape
        extent = tuple(art["extent_m"]) if "extent_m" in art else (0, w * res, 0, h * res)
        ax.imshow(art["height_m"], origin="lower", extent=extent, cmap="terrain", alpha=0.8)
    x, y = _key(tr, "x_m"), _key(tr, "y_m")
    if x is not None and y is not None:
        ax.plot(x, y, "-", color="tab:red", lw=1.2, label="rover (truth)")
        ax.plot(x[:1], y[:1], "k^", label="start")
        tubes = sorted({k.split(".")[-3] for k in tr if ".xy_m." in k and "tubes." in k})
        for t in tubes:
            tx, ty = _key(tr, f"tubes.{t}.xy_m.0"), _key(tr, f"tubes.{t}.xy_m.1")
            if tx is not None:
                ax.plot(tx[0], ty[0], "b.", ms=6)
        if tubes:
            ax.plot([], [], "b.", label="tubes (initial)")
        ax.set_xlim(np.nanmin(x) - 20, np.nanmax(x) + 20)
        ax.set_ylim(np.nanmin(y) - 20, np.nanmax(y) + 20)
        ax.legend(fontsize=8)
    else:
        _no_data(ax, "rover track")
    ax.set_title("rover traverse over the terrain")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    return _save(fig, out, dpi=110)


def mav_ascent(d: Path, out: Path) -> Path:
    plt = _plt()
    tr, s = _load(d, "truth.npz"), _summary(d)
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    t = tr.get("t_s")
    alt, spd = _key(tr, "altitude_m"), _key(tr, "speed_mps")
    r = [_key(tr, f"position_m.{i}") for i in range(3)]
    v = [_key(tr, f"velocity_mps.{i}") for i in range(3)]
    if t is not None and alt is not None:
        axes[0, 0].plot(t, alt / 1e3)
        axes[0, 0].set_ylabel("altitude (km)")
        axes[0, 1].plot(t, spd)
        axes[0, 1].set_ylabel("inertial speed (m/s)")
        if all(c is not None for c in r + v):
            rr = np.sqrt(fixed_sum(c * c for c in r))
            vv = np.sqrt(fixed_sum(c * c for c in v))
            gamma = np.degrees(np.arcsin(np.clip(fixed_sum(a * b for a, b in zip(r, v)) / (rr * vv), -1, 1)))
            axes[1, 0].plot(t, gamma)
            axes[1, 0].set_ylabel("flight-path angle (deg)")
        for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
            ax.set_xlabel("time (s)")
            ax.grid(alpha=0.3)
    else:
        _no_data(axes[0, 0], "ascent truth")
    ax = axes[1, 1]
    theta = np.linspace(0, 2 * math.pi, 361)
    ax.plot(MARS_RADIUS_M / 1e3 * np.cos(theta), MARS_RADIUS_M / 1e3 * np.sin(theta), color="tab:orange")
    rp, ra = s.get("periapsis_km"), s.get("apoapsis_km")
    if rp is not None and ra is not None:
        a = MARS_RADIUS_M / 1e3 + (rp + ra) / 2
        e = (ra - rp) / (2 * a)
        rad = a * (1 - e * e) / (1 + e * np.cos(theta))
        ax.plot(rad * np.cos(theta), rad * np.sin(theta), color="tab:blue",
                label=f"{rp:.1f} x {ra:.1f} km, i={s.get('inclination_deg')} deg")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_aspect("equal")
    ax.set_title("reached orbit (in its plane)")
    fig.suptitle("MAV ascent")
    return _save(fig, out, dpi=110, top=0.55)


def ero_approach(d: Path, out: Path) -> Path:
    plt = _plt()
    tr = _load(d, "truth.npz")
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    x, y, rng = _key(tr, "relative_lvlh.0"), _key(tr, "relative_lvlh.1"), _key(tr, "range_m")
    t = tr.get("t_s")
    if x is not None and y is not None and rng is not None:
        ty, tx = _thin(THIN, y, x)
        axes[0].plot(ty / 1e3, tx / 1e3, "-", lw=1)
        axes[0].plot([0], [0], "r*", ms=12, label="OS")
        axes[0].set_title("whole approach, ERO relative to the OS (LVLH)")
        axes[0].set_xlabel("along-track (km)")
        axes[0].set_ylabel("radial (km)")
        near = rng < 5_000.0
        if near.any():
            axes[1].plot(*_thin(THIN, y[near], x[near]), "-", lw=1)
            axes[1].plot([0], [0], "r*", ms=12, label="OS")
            axes[1].set_title("close range (< 5 km)")
            axes[1].set_xlabel("along-track (m)")
            axes[1].set_ylabel("radial (m)")
        else:
            _no_data(axes[1], "close-range approach")
        for ax in axes[:2]:
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
    else:
        _no_data(axes[0], "relative motion")
    if rng is not None and t is not None:
        tt, tr_ = _thin(THIN, t, np.maximum(rng, 1e-3))
        axes[2].semilogy(tt / 3600, tr_)
        axes[2].set_xlabel("time (h)")
        axes[2].set_ylabel("range (m)")
        axes[2].set_title("range to the OS")
        axes[2].grid(alpha=0.3, which="both")
        _log_labels(axes[2])
    return _save(fig, out, dpi=110)


def timeline(summary: dict[str, Any], out: Path) -> Path:
    plt = _plt()
    rows = summary.get("timeline", [])
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(rows) + 1.5))
    for i, row in enumerate(rows):
        start, dur = row["start_s"] / 86_400, (row["end_s"] - row["start_s"]) / 86_400
        color = "lightgray" if row["compressed"] else ("tab:green" if row.get("success") else "tab:red")
        ax.barh(i, max(dur, 0.3), left=start, color=color, hatch="//" if row["compressed"] else None,
                edgecolor="k")
        label = row["phase"] + (f"  ({(row['end_s'] - row['start_s']):.0f} s simulated)"
                                if not row["compressed"] else "  (compressed)")
        ax.text(start + max(dur, 0.3) + 1, i, label, va="center", fontsize=8)
    if rows:
        ax.set_xlim(0, rows[-1]["end_s"] / 86_400 * 1.45)  # room for the labels
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel("campaign time (days)")
    ax.set_title("campaign timeline (hatched: quiet periods compressed, not simulated)")
    return _save(fig, out, dpi=110, left=0.2)
