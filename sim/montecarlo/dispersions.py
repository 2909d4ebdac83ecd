"""Declarative dispersions: a TOML file mapping scenario override keys to distributions.

    scenario = "ascent"
    [dispersions]
    "mav.stage1_thrust_scale" = { dist = "normal", mean = 1.0, sigma = 0.01, lo = 0.97, hi = 1.03 }
    "mav.gross_mass_kg"       = { dist = "uniform", lo = 395.0, hi = 405.0 }
    "env.density_scale"       = { dist = "truncnorm", mean = 1.0, sigma = 0.1, lo = 0.7, hi = 1.3 }
    "terrain.seed"            = { dist = "choice", values = [1, 2, 3] }

Keys may be grouped, one table per group: under `[dispersions.landing]` the key "start_x_m"
is "landing.start_x_m" (a campaign's file has a table per phase). A table with a `dist`
field is a distribution, any other a group; when [dispersions] is grouped, so is [fixed]
(`[fixed.capture] "earth_cruise_s" = 3600.0`).

`normal` takes optional `lo`/`hi` (then it is truncated, like `truncnorm`, which needs both).
Truncated draws are by inversion of the normal CDF with one uniform from the run's own
Generator (stdlib NormalDist, no scipy), so a run's draw depends only on its seed. Optional top-level tables: `[outputs] key_figures = [...]` names the
summary figures to summarise, `[retention] outliers = K` keeps the K worst runs per figure, `[requirements] figure =
[lo, hi]` counts the runs whose figures all fall inside their bands.
Anything wrong in the file raises `DispersionError` naming the entry.
"""
from __future__ import annotations

import math
import tomllib
from statistics import NormalDist
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np


class DispersionError(ValueError):
    """A dispersion file or entry is malformed; the message names the entry."""


_STD = NormalDist()


def _phi(z: float) -> float:
    """Standard normal CDF, accurate in the lower tail (erfc, not 1 + erf)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@dataclass(frozen=True)
class Normal:
    """Normal, truncated to [lo, hi] when either bound is finite."""

    mean: float
    sigma: float
    lo: float = -math.inf
    hi: float = math.inf

    def _window(self) -> tuple[float, float, bool]:
        """CDF window (p_lo, p_hi) of the standardised bounds, mirrored into the lower tail
        (where the CDF keeps its precision) when the window lies above the mean."""
        a, b = (self.lo - self.mean) / self.sigma, (self.hi - self.mean) / self.sigma
        flip = a > 0.0
        if flip:
            a, b = -b, -a
        return _phi(a), _phi(b), flip

    def sample(self, rng: np.random.Generator) -> float:
        if math.isinf(self.lo) and math.isinf(self.hi):
            return float(rng.normal(self.mean, self.sigma))
        if self.sigma == 0.0 or self.lo == self.hi:
            return min(max(self.mean, self.lo), self.hi)
        # Inversion: one uniform draw per sample, exact up to float precision, no scipy.
        p_lo, p_hi, flip = self._window()
        u = float(rng.uniform(p_lo, p_hi))
        z = _STD.inv_cdf(min(max(u, 5e-324), 1.0 - 2**-53))
        x = self.mean + self.sigma * (-z if flip else z)
        return min(max(x, self.lo), self.hi)      # guard the last ulp of the inversion


@dataclass(frozen=True)
class Uniform:
    lo: float
    hi: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.lo, self.hi))


@dataclass(frozen=True)
class Choice:
    values: tuple

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]


Distribution = Normal | Uniform | Choice


@dataclass(frozen=True)
class DispersionSet:
    """The parsed file: scenario name, distributions by override key, output options."""

    scenario: str | None
    dists: Mapping[str, Distribution]
    key_figures: tuple[str, ...] = ()
    outliers: int = 3
    source: str = "<dict>"
    fixed: Mapping[str, Any] = field(default_factory=dict)
    requirements: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        """Override keys in sampling order (sorted, so the order never depends on the file)."""
        return sorted(self.dists)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One run's inputs: fixed overrides plus one draw per parameter, in sorted order."""
        inputs = dict(self.fixed)
        for key in self.parameters:
            inputs[key] = self.dists[key].sample(rng)
        return inputs

    def check_parameters(self, known: Iterable[str] | None, prefixes: Iterable[str] = ()) -> None:
        """Reject keys the scenario does not declare (when it declares its parameters); keys
        starting with one of `prefixes` pass (families of parameters, e.g. "flight.")."""
        if known is None:
            return
        known, prefixes = set(known), tuple(prefixes)
        unknown = [k for k in sorted({*self.dists, *self.fixed})
                   if k not in known and not k.startswith(prefixes or ("\0",))]
        if unknown:
            raise DispersionError(
                f"{self.source}: unknown parameter(s) {', '.join(map(repr, unknown))} for scenario "
                f"{self.scenario!r}; it accepts {', '.join(sorted(known))}"
                + (f" and keys starting with {', '.join(prefixes)}" if prefixes else ""))


    def check_values(self, check: Callable[[str, Any], Any]) -> None:
        """Every value the file can give that is known up front (fixed values, choices, the
        bounds of uniform and truncated distributions) through `check(key, value)`, the
        scenario's own declaration, before any run flies; DispersionError naming the entry.
        (An unbounded normal's draws are checked when each run starts.)"""
        for key in sorted({*self.dists, *self.fixed}):
            dist = self.dists.get(key)
            if dist is None:
                values = [self.fixed[key]]
            elif isinstance(dist, Choice):
                values = list(dist.values)
            else:
                values = [v for v in (dist.lo, dist.hi) if math.isfinite(v)]
            for value in values:
                try:
                    check(key, value)
                except ValueError as exc:
                    where = "fixed" if dist is None else "dispersion"
                    raise DispersionError(f"{self.source}: {where} {key!r} can give {value!r}, which the "
                                          f"scenario refuses: {exc}") from None


def _number(entry: str, spec: Mapping, name: str, default: float | None = None) -> float:
    if name not in spec:
        if default is not None:
            return default
        raise DispersionError(f"{entry}: missing field {name!r}")
    value = spec[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise DispersionError(f"{entry}: field {name!r} must be a number, got {value!r}")
    return float(value)


_FIELDS = {
    "normal": {"dist", "mean", "sigma", "lo", "hi"},
    "truncnorm": {"dist", "mean", "sigma", "lo", "hi"},
    "uniform": {"dist", "lo", "hi"},
    "choice": {"dist", "values"},
}


def parse_distribution(key: str, spec: Any, source: str = "<dict>") -> Distribution:
    """One `[dispersions]` entry; `key` and `source` only serve the error messages."""
    entry = f"{source}: dispersion {key!r}"
    if not isinstance(spec, Mapping):
        raise DispersionError(f"{entry}: expected a table like {{ dist = \"normal\", ... }}, got {spec!r}")
    dist = spec.get("dist")
    if not isinstance(dist, str) or dist not in _FIELDS:   # a list or table is no name (unhashable too)
        raise DispersionError(f"{entry}: unknown dist {dist!r}; choose from {', '.join(sorted(_FIELDS))}")
    extra = sorted(set(spec) - _FIELDS[dist])
    if extra:
        raise DispersionError(f"{entry}: unexpected field(s) {', '.join(extra)} for dist {dist!r}")
    if dist == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise DispersionError(f"{entry}: 'values' must be a non-empty list")
        return Choice(tuple(values))
    if dist == "uniform":
        lo, hi = _number(entry, spec, "lo"), _number(entry, spec, "hi")
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise DispersionError(f"{entry}: need finite lo <= hi, got lo={lo} hi={hi}")
        return Uniform(lo, hi)
    mean, sigma = _number(entry, spec, "mean"), _number(entry, spec, "sigma")
    if not math.isfinite(mean):
        raise DispersionError(f"{entry}: mean must be finite, got {mean}")
    if not math.isfinite(sigma) or sigma < 0:
        raise DispersionError(f"{entry}: sigma must be finite and >= 0, got {sigma}")
    if dist == "truncnorm":
        lo, hi = _number(entry, spec, "lo"), _number(entry, spec, "hi")
    else:
        lo, hi = _number(entry, spec, "lo", -math.inf), _number(entry, spec, "hi", math.inf)
    if lo > hi:
        raise DispersionError(f"{entry}: lo ({lo}) > hi ({hi})")
    d = Normal(mean, sigma, lo, hi)
    if sigma > 0 and lo < hi and (math.isfinite(lo) or math.isfinite(hi)):
        p_lo, p_hi, _ = d._window()
        if not p_hi > p_lo:
            raise DispersionError(f"{entry}: the window [{lo}, {hi}] lies too far in the tail of "
                                  f"N({mean}, {sigma}) to sample; use a uniform distribution")
    return d


def parse(doc: Mapping[str, Any], source: str = "<dict>") -> DispersionSet:
    """A parsed TOML document (dict) -> DispersionSet."""
    known_top = {"scenario", "dispersions", "fixed", "outputs", "retention", "requirements"}
    extra = sorted(set(doc) - known_top)
    if extra:
        raise DispersionError(f"{source}: unknown top-level key(s) {', '.join(extra)}; "
                              f"expected {', '.join(sorted(known_top))}")
    scenario = doc.get("scenario")
    if scenario is not None and not isinstance(scenario, str):
        raise DispersionError(f"{source}: 'scenario' must be a string")
    table = doc.get("dispersions", {})
    fixed = doc.get("fixed", {})
    if not isinstance(table, Mapping) or not isinstance(fixed, Mapping):
        raise DispersionError(f"{source}: [dispersions] and [fixed] must be tables")
    # grouped: [dispersions.landing] "x" = {...} is the key "landing.x"; [fixed.landing] too
    grouped = any(is_group(spec) for spec in table.values())
    if grouped and not all(is_group(spec) for spec in table.values()):
        flat = sorted(k for k, spec in table.items() if not is_group(spec))
        raise DispersionError(f"{source}: [dispersions] mixes groups and entries ({', '.join(flat)}); "
                              "put every entry in a group table")
    table, fixed = ungroup(table, source, "dispersions", grouped), ungroup(fixed, source, "fixed", grouped)
    both = sorted(set(table) & set(fixed))
    if both:
        raise DispersionError(f"{source}: {', '.join(both)} both fixed and dispersed")
    dists = {key: parse_distribution(key, spec, source) for key, spec in table.items()}
    outputs = doc.get("outputs", {})
    figures = outputs.get("key_figures", []) if isinstance(outputs, Mapping) else None
    if not isinstance(figures, list) or not all(isinstance(f, str) for f in figures):
        raise DispersionError(f"{source}: [outputs] key_figures must be a list of names")
    retention = doc.get("retention", {})
    outliers = retention.get("outliers", 3) if isinstance(retention, Mapping) else None
    if isinstance(outliers, bool) or not isinstance(outliers, int) or outliers < 0:
        raise DispersionError(f"{source}: [retention] outliers must be an integer >= 0")
    return DispersionSet(scenario, dists, tuple(figures), outliers, source, dict(fixed),
                         _requirements(doc.get("requirements", {}), source))


def is_group(spec: Any) -> bool:
    """A [dispersions] entry that is a table without a `dist` field: a group of entries."""
    return isinstance(spec, Mapping) and "dist" not in spec


def ungroup(table: Mapping[str, Any], source: str, what: str, groups: bool) -> dict[str, Any]:
    """With `groups`, each entry of `table` is a group (a table): {"landing": {"x": v}} ->
    {"landing.x": v}, one level deep; without, `table` as it is."""
    if not groups:
        return dict(table)
    out: dict[str, Any] = {}
    for group, entries in table.items():
        if not isinstance(entries, Mapping):
            raise DispersionError(f"{source}: [{what}.{group}] must be a table of entries (this file "
                                  f"groups its keys by table), got {entries!r}")
        for key, value in entries.items():
            out[f"{group}.{key}"] = value
    return out


def _requirements(table: Any, source: str) -> dict[str, tuple[float, float]]:
    """`[requirements] figure = [lo, hi]`: the band a run's figure must fall in."""
    if not isinstance(table, Mapping):
        raise DispersionError(f"{source}: [requirements] must be a table of figure = [lo, hi]")
    out = {}
    for figure, band in table.items():
        if (not isinstance(band, list) or len(band) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in band)
                or not band[0] <= band[1]):
            raise DispersionError(f"{source}: requirement {figure!r} must be [lo, hi] with lo <= hi, "
                                  f"got {band!r}")
        out[figure] = (float(band[0]), float(band[1]))
    return out


def load(path: str | Path) -> DispersionSet:
    """Read and check a dispersion TOML file."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as exc:
        raise DispersionError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DispersionError(f"{path}: not valid TOML: {exc}") from exc
    return parse(doc, str(path))
