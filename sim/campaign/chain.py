"""How one phase's results become the next phase's overrides, and where custody is read.

Only keys the receiving scenario declares in its DEFAULTS are passed, so each scenario
keeps running alone with its own defaults, and a missing figure is visible in the summary
rather than a crash.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from sim.registry import Scenario


def first(summary: Mapping[str, Any], *paths: str) -> Any:
    """The first of several dotted paths present in a summary (scenarios name things their way)."""
    for path in paths:
        node: Any = summary
        for part in path.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                break
        else:
            return node
    return None


def accepted(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of `values` the scenario declares (and that are known)."""
    declared = scenario.defaults
    return {k: v for k, v in values.items() if k in declared and v is not None}


def tube_ids(value: Any) -> list[int] | None:
    if isinstance(value, (list, tuple)) and all(isinstance(t, int) for t in value):
        return sorted(value)
    return None


def after_landing(landing: Mapping[str, Any]) -> dict[str, Any]:
    """Fetch needs where the lander stands and the map it stands on (`lander_xy_m` is on the map
    `terrain` describes: the landing plain's site map re-centred on the touchdown point)."""
    return {
        "lander_xy_m": first(landing, "lander_xy_m", "touchdown_xy_m", "touchdown.xy_m", "touchdown_site_m"),
        "terrain": first(landing, "terrain"),
        "terrain_seed": first(landing, "terrain_seed", "terrain.seed"),
    }


def after_fetch(fetch: Mapping[str, Any]) -> dict[str, Any]:
    """The MAV flies the tubes that were sealed in the Orbiting Sample container."""
    return {"tube_ids": tube_ids(first(fetch, "os_sealed_tube_ids", "sealed_tube_ids",
                                       "tubes_sealed_ids", "custody.sealed"))}


def predict_delivery(values: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery's summary as the ascent reads it, if every tube it sets out to deliver is
    sealed in the OS (those Perseverance carries, or the depot's: `fetch.surface_site` lays out
    `n_tubes` tubes numbered from the layout's first id wherever the lander stands), from the
    delivery's settings alone: what the ascent can fly ahead on from the campaign's start
    (phases.Phase.predict). No terrain is made: the parent process predicts, then flies."""
    from sim.scenarios import fetch
    from sim.terrain import DepotLayout
    cfg, _ = fetch.settings(values)
    if cfg["delivery"] == "perseverance":
        ids = fetch.carried_ids(cfg)
    else:
        first = DepotLayout().first_tube_id
        ids = [first + k for k in range(int(cfg["n_tubes"]))]
    return {"sealed_tube_ids": sorted(ids)}


def after_ascent(ascent: Mapping[str, Any]) -> dict[str, Any]:
    """The orbiter captures the OS that was released, with what is inside it."""
    return {"os_state": first(ascent, "os_state"),
            "tube_ids": tube_ids(first(ascent, "tube_ids", "os_tube_ids"))}


def custody(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, list[int] | None]:
    """Tube ids at each custody stage, as each phase reported them."""
    fetch = summaries.get("delivery", {})
    ascent = summaries.get("ascent", {})
    capture = summaries.get("capture", {})
    return {
        "delivered": tube_ids(first(fetch, "delivered_tube_ids", "tubes_delivered_ids", "custody.delivered")),
        "loaded": tube_ids(first(fetch, "os_sealed_tube_ids", "sealed_tube_ids", "custody.sealed")),
        "in_orbit": tube_ids(first(ascent, "tube_ids", "os_tube_ids")) if first(ascent, "os_released") else [],
        "captured": tube_ids(first(capture, "captured_tube_ids", "custody.captured")),
        "contained": tube_ids(first(capture, "contained_tube_ids", "custody.contained")),
        "in_eev": tube_ids(first(capture, "eev_tube_ids", "custody.in_eev")),
    }
