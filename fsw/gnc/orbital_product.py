"""The orbital map product: the 8-bit map terrain-relative navigation correlates descent images
against (fsw.gnc.trn), made on the ground from orbital imagery and loaded by the lander.

As Mars 2020's Lander Vision System carried a map made from orbit (CTX, ~6 m), the lander
never renders its own: the ground writes the map (`write`) as a `fsw.gnc.map_product` file,
one layer and its CRC, and the flight side loads it (`load`): the CRC is checked, the image
is read from the file a window at a time as the localiser asks (`OrbitalMap.image` is the
product's layer), so the 2048 x 2048 map does not sit in the flight process's memory.

    image   uint8   (n, n) map, row i north, column j east, centred on the site, periodic

meta: kind, res_m (cell size), `source` (what the ground made it from; the caller may
require it to match).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fsw.gnc import map_product
from fsw.gnc.map_product import MapProductError
from fsw.gnc.trn import OrbitalMap

KIND = "trn-orbital-map"


def write(path: str | Path, omap: OrbitalMap, source: Mapping[str, Any]) -> None:
    """The ground's side: the map image and its cell size as a product."""
    image = np.asarray(omap.image)
    if image.dtype != np.uint8 or image.ndim != 2 or image.shape[0] != image.shape[1]:
        raise MapProductError(f"an orbital map is a square uint8 image, got {image.dtype} {image.shape}")
    map_product.write(path, {"image": image}, {"kind": KIND, "res_m": float(omap.res_m), "source": dict(source)})


def load(path: str | Path, source: Mapping[str, Any] | None = None) -> OrbitalMap:
    """The flight side's: the OrbitalMap of a product, refused (MapProductError) if it is
    damaged, not an orbital map, or made from another `source` than the one given."""
    p = map_product.read(path)
    meta = p.meta
    if meta.get("kind") != KIND:
        raise MapProductError(f"{p.path}: a {meta.get('kind')!r} product, not a {KIND}")
    if source is not None and meta.get("source") != dict(source):
        raise MapProductError(f"{p.path}: made from {meta.get('source')!r}, this flight expects {dict(source)!r}")
    image = p.layer("image")
    try:
        res = float(meta["res_m"])
    except (KeyError, TypeError, ValueError):
        raise MapProductError(f"{p.path}: no usable cell size (res_m)") from None
    if image.dtype != np.uint8 or image.ndim != 2 or image.shape[0] != image.shape[1] or not res > 0.0:
        raise MapProductError(f"{p.path}: not a usable orbital map ({image.dtype} {image.shape}, res_m {res})")
    return OrbitalMap(image, res)


__all__ = ["KIND", "load", "write"]
