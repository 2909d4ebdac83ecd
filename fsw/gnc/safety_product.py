"""The landing's onboard map product: the site map assessed on the ground, loaded by the lander.

As for Mars 2020's safe-target map, the hazard assessment of the landing site is made on the
ground from orbital data, with the very flight code (`fsw.gnc.hazard.assess`) and the
lander's hazard limits, and uplinked as a product: the lander loads it as data (memory-
mapped, CRC-checked) and never generates terrain or assesses a whole map at start-up. What
the flight code reads of a SafetyMap is in it, bit for bit, at the map's resolution:

    height_m     float32  heights (m): ground height under the lander, site heights
    max_rock_m   float32  largest rock per cell (m)        |
    dune_mask    bool     dune cells                       | the site's metrics (worst values
    slope_deg    float32  slope (deg)                      | in its disc, clearance to the
    roughness_m  float32  roughness (m)                    | nearest hazard)
    hazard       bool     hazard cells                     |
    safe         bool     cells whose whole safe disc is free of hazards (site choice)

meta: kind, resolution_m, centre_m, periodic (the plain repeats the map: a
`fsw.gnc.site_select.PeriodicMap`, assessed wrapped round), limits (HazardLimits, compared
with the lander's own at load), `source` (what the ground made it from; the caller may
require it to match) and safe_fraction (the ground's count: the lander reports it without
reading the whole layer).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

from fsw.gnc import map_product, site_select
from fsw.gnc.hazard import HazardLayers, HazardLimits, MapError, OnboardMap, SafetyMap
from fsw.gnc.map_product import MapProductError
from fsw.gnc.site_select import PeriodicMap

KIND = "landing-safety-map"
MAP_LAYERS = ("height_m", "max_rock_m", "dune_mask")
HAZARD_LAYERS = ("slope_deg", "roughness_m", "hazard")


def write(path: str | Path, onboard: OnboardMap, limits: HazardLimits, source: Mapping[str, Any]) -> SafetyMap:
    """The ground's side: assess `onboard` with the lander's `limits` (wrapped round for a
    PeriodicMap) and write the product."""
    sm = site_select.assess(onboard, limits)
    write_assessed(path, sm, source)
    return sm


def write_assessed(path: str | Path, sm: SafetyMap, source: Mapping[str, Any]) -> None:
    """Write a site map the ground has assessed already (`site_select.assess`)."""
    m, L = sm.map, sm.layers
    layers = {"height_m": m.height_m, "max_rock_m": L.rock_m, "dune_mask": L.dune,
              "slope_deg": L.slope_deg, "roughness_m": L.roughness_m, "hazard": L.hazard, "safe": sm.safe}
    meta = {"kind": KIND, "resolution_m": m.resolution_m, "centre_m": list(m.centre_m),
            "periodic": isinstance(m, PeriodicMap),
            "limits": asdict(sm.limits), "source": dict(source), "safe_fraction": sm.safe_fraction}
    map_product.write(path, layers, meta)


def load(path: str | Path, limits: HazardLimits, source: Mapping[str, Any] | None = None) -> SafetyMap:
    """The flight side's: the SafetyMap of a product, refused (MapProductError) if it is damaged,
    not a landing safety map, assessed with other limits than `limits`, or made from another
    `source` than the one given."""
    p = map_product.read(path)
    meta = p.meta
    if meta.get("kind") != KIND:
        raise MapProductError(f"{p.path}: a {meta.get('kind')!r} product, not a {KIND}")
    made_with = meta.get("limits")
    if made_with != asdict(limits):
        diff = {k: (v, (made_with or {}).get(k)) for k, v in asdict(limits).items() if (made_with or {}).get(k) != v}
        raise MapProductError(f"{p.path}: assessed with other hazard limits than the lander's "
                              f"({', '.join(f'{k}: lander {a!r}, map {b!r}' for k, (a, b) in diff.items())})")
    if source is not None and meta.get("source") != dict(source):
        raise MapProductError(f"{p.path}: made from {meta.get('source')!r}, this flight expects {dict(source)!r}")
    try:
        kind = PeriodicMap if meta.get("periodic", False) is True else OnboardMap
        onboard = kind(p.layer("height_m"), p.layer("max_rock_m"), p.layer("dune_mask"),
                             float(meta["resolution_m"]), tuple(meta["centre_m"]))
        layers = HazardLayers(p.layer("slope_deg"), p.layer("roughness_m"), onboard.max_rock_m, onboard.dune_mask,
                              p.layer("hazard"))
        safe = p.layer("safe")
        if any(a.shape != onboard.height_m.shape for a in (*vars(layers).values(), safe)):
            raise MapError("every layer must have the height map's shape")
        fraction = float(meta["safe_fraction"])
    except MapProductError:
        raise
    except (MapError, KeyError, TypeError, ValueError) as exc:
        raise MapProductError(f"{p.path}: not a usable site map: {exc}") from None
    return SafetyMap(onboard, limits, layers, safe, fraction)


__all__ = ["HAZARD_LAYERS", "KIND", "MAP_LAYERS", "load", "write", "write_assessed"]
