"""A small vehicle with sample custody, shaped like a scenario, for reset and SIGKILL tests.

Why: tube custody through a processor reset must be shown on a bench before the vehicle
scenarios run on one. A gripper takes tubes one by one from a depot into stowage slots
(the plant moves them physically, taking `transfer_s`); the flight side keeps a custody
ledger (depot -> rover) and moves a tube in it only when a slot's tube sensor reads it.
After a warm restart it restores the ledger and reconciles it against the slot sensors,
so a tube moved just before the reset (after the last checkpoint) is neither lost nor
counted twice. It is also the fault table module of its own vehicle ("carousel").
"""
from __future__ import annotations

import sys
from typing import Any, Mapping

from fsw.core import Channel, Component, EventDef, Executive, ModeTable, Severity, T, Topology
from fsw.core.devices import DEVICE_FAULT
from fsw.core.fdir import Action, Monitor
from fsw.core.protection import ProtectionConfig, protect
from fsw.vehicles.custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED, CustodyLedger
from hal.catalog import DeviceKind
from hal.devices import Gripper, TubeSensor
from sim.deployment import ScenarioError, resolve_overrides, tube_id_list
from sim.faults.cases import CAROUSEL
from sim.bench_vehicles import CAROUSEL as VEHICLE, device_cycle
from sim.registry import Scenario
from sim.scenario_params import ScenarioParam, defaults, grid_rate
from sim.plants.base import FixedStepPlant

NAME = "carousel"
PARAMS = (
    ScenarioParam("tube_ids", [3, 5, 8, 13, 21, 34], convert=tube_id_list, allowed="a list of integer ids in 1..65535"),
    ScenarioParam("transfer_s", 0.6, float, 0.01, 60.0),
    ScenarioParam("base_rate_hz", 10, convert=grid_rate(1, 100), allowed="a divisor of the 100 Hz physics rate"),
    ScenarioParam("duration_s", 20.0, float, 0.1, 86400.0),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)


def _cfg(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = resolve_overrides(dict(overrides or {}), DEFAULTS, params=PARAMS)[0]
    if 100 % cfg["base_rate_hz"]:
        raise ScenarioError(f"base_rate_hz={cfg['base_rate_hz']}: expected a divisor of the 100 Hz physics rate")
    return cfg


class CarouselPlant(FixedStepPlant):
    """Depot queue, a gripper that carries the head tube into the first free slot, slot sensors."""

    def __init__(self, seed: int, tube_ids: list[int], transfer_s: float) -> None:
        n = len(tube_ids)
        super().__init__(100, {"depot": "tube_sensor", "gripper0": "gripper",
                               **{f"slot{k}": "tube_sensor" for k in range(n)}}, seed)
        self.depot = list(tube_ids)
        self.slots: list[int] = [0] * n
        self.transfer_steps = max(1, round(transfer_s / self.dt))
        self.carrying = 0
        self._left = 0
        self._close = 0

    def _step(self, dt: float) -> None:
        if self.carrying:
            self._left -= 1
            if self._left <= 0:
                self.slots[self.slots.index(0)] = self.carrying
                self.carrying = 0

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        if device == "depot":
            return {"present": int(bool(self.depot)), "tube_id": self.depot[0] if self.depot else 0}
        if device == "gripper0":
            return {"closed": self._close, "holding": int(bool(self.carrying)), "tube_id": self.carrying}
        t = self.slots[int(device[4:])]
        return {"present": int(bool(t)), "tube_id": t}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        close = int(command["close"])
        if close and not self._close and not self.carrying and self.depot and 0 in self.slots:
            self.carrying = self.depot.pop(0)
            self._left = self.transfer_steps
        self._close = close

    def truth(self) -> dict[str, Any]:
        return {"depot": list(self.depot), "slots": list(self.slots), "carrying": self.carrying}


class Picker(Component):
    MODES = ModeTable(modes=("IDLE", "PICKING", "DONE", "SAFE"), initial="IDLE", safe="SAFE",
                      terminal=("DONE",),
                      transitions=(T("start", "IDLE", "PICKING"), T("finish", "PICKING", "DONE"),
                                   T("fault", ("IDLE", "PICKING"), "SAFE")))
    CHANNELS = (Channel("tubes_aboard", int), Channel("tubes_at_depot", int),
                Channel("custody_mismatch", int), Channel("device_faults", int))
    EVENTS = CUSTODY_EVENTS + (
        CUSTODY_RECONCILED,
        CUSTODY_CHECK,
        DEVICE_FAULT,
    )

    def __init__(self, name: str, devices: Mapping[str, Any], tube_ids: list[int]) -> None:
        super().__init__(name)
        self.tube_ids = list(tube_ids)
        self.depot = devices.get_as("depot", TubeSensor)
        self.gripper = devices.get_as("gripper0", Gripper)
        self.slots = [devices.get_as(f"slot{k}", TubeSensor) for k in range(len(tube_ids))]
        self.ledger = CustodyLedger(emit=self.emit)
        self._arm_next = False
        self.restored = False

    def step(self, t_ns: int) -> None:
        if self.mode in ("DONE", "SAFE"):
            return
        device_cycle(self, self._cycle)

    def _cycle(self) -> None:
        if self.mode == "IDLE":
            for t in self.tube_ids:
                self.ledger.register(t, "depot")
            self.trigger("start")
        seen = {}
        for k, s in enumerate(self.slots):
            r = s.read()
            if r.present:
                seen[r.tube_id] = f"slot{k}"
        for tube, slot in sorted(seen.items()):
            if self.ledger.location(tube) == "depot":
                if self.restored:
                    self.emit("CUSTODY_RECONCILED", tube=tube, source="depot", dest="rover", why=f"{slot} reads it")
                self.ledger.move(tube, "depot", "rover")
        self.restored = False
        aboard = self.ledger.tubes_at("rover")
        self.tlm["tubes_aboard"] = len(aboard)
        self.tlm["tubes_at_depot"] = self.ledger.count("depot")
        self.tlm["custody_mismatch"] = len(set(aboard) ^ set(seen))
        if not self.ledger.count("depot"):
            ok = set(aboard) == set(seen)
            self.emit("CUSTODY_CHECK", ledger=",".join(map(str, aboard)),
                      sensors=",".join(map(str, sorted(seen))), ok=ok)
            self.trigger("finish")
            return
        if self.gripper.read().holding:
            return
        if self._arm_next and self.depot.read().present:
            self.gripper.close_jaws()     # a rising edge starts the next transfer
        else:
            self.gripper.open_jaws()
        self._arm_next = not self._arm_next

    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"custody": self.ledger.snapshot()}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        self.ledger.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self.restored = True


# ---------------------------------------------------------------- the deployment split
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> CarouselPlant:
    cfg = _cfg(overrides)
    return CarouselPlant(seed, [int(t) for t in cfg["tube_ids"]], float(cfg["transfer_s"]))


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    n = len(_cfg(overrides)["tube_ids"])
    return {"depot": {"kind": "tube_sensor", "rate_hz": 10}, "gripper0": {"kind": "gripper", "rate_hz": 10},
            **{f"slot{k}": {"kind": "tube_sensor", "rate_hz": 10} for k in range(n)}}


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The picker as it flies, with its fault protection (this module is its fault table)."""
    cfg = _cfg(overrides)
    picker = Picker("picker", devices, [int(t) for t in cfg["tube_ids"]])
    topo = Topology(VEHICLE.name, [picker])
    ex = Executive(clock, int(cfg["base_rate_hz"]), start_ns=clock.now_ns())
    ex.add_group("control", 1, [picker])
    ex.add_group("telemetry", 1, [topo.sample_telemetry])
    protect(topo, ex, sys.modules[__name__], protection)
    return topo, ex


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(_cfg(overrides)["duration_s"])


def done(topology: Topology) -> bool:
    return topology["picker"].mode in ("DONE", "SAFE")


# ---------------------------------------------------------------- its fault table
SAFE_RESPONSE = (Action("picker", "fault"),)
OUTCOME_MODES = {"picker": {"SAFE": "safe"}}
LINK_TIMEOUT_S = 3.0


def fault_table(topology: Topology) -> tuple[Monitor, ...]:
    return (
        Monitor("custody_mismatch", "limit", "picker.custody_mismatch", hi=0, persistence=3,
                response=SAFE_RESPONSE, when=("picker", ("PICKING",)),
                doc="ledger and slot sensors disagree for 3 evaluations"),
        Monitor("picker_device_fault", "limit", "picker.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="a sensor or the gripper stopped answering"),
    )


MODE_COMPONENTS = {"picker": Picker}
SCENARIO = Scenario(NAME, VEHICLE, summary_lines=lambda s: [f"carousel seed {s['seed']}: stopped by {s['stopped_by']}"],
                    plant=plant, device_config=device_config, flight=flight, duration_s=duration_s, done=done,
                    summarize=lambda outcome: {"success": outcome.topology["picker"].mode == "DONE"},
                    params=PARAMS, check=_cfg, fault_cases=CAROUSEL)

__all__ = ["MODE_COMPONENTS", "SCENARIO", "VEHICLE", "CarouselPlant", "Picker", "device_config", "done", "duration_s", "fault_table", "flight", "plant"]
