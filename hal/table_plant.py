"""A plant whose truth is a table you set: for tests, benches and device bring-up.

It satisfies `hal.plant.Plant` without any physics: `sense` returns the values last put in
the table (catalog zeros by default), `actuate` records the command and, for actuators whose
readings echo their command fields (gimbal angles, heater power), copies them into the truth,
so a loop-back check works without a simulator. A radio's transmitted bytes come back as
received bytes (a loop-back radio); other byte streams (a camera's image) are table values.
"""
from __future__ import annotations

from typing import Any, Mapping

from hal.catalog import kind as lookup_kind
from hal.catalog import zero_values


class TablePlant:
    def __init__(self, devices: Mapping[str, str], t_ns: int = 0) -> None:
        """`devices`: instance name -> kind name."""
        self.kinds = {name: lookup_kind(k) for name, k in devices.items()}
        self.truth: dict[str, dict[str, Any]] = {n: zero_values(k.readings) for n, k in self.kinds.items()}
        self.commands: dict[str, list[dict[str, Any]]] = {n: [] for n in self.kinds}
        self.t_ns = t_ns
        self._radio_rx: dict[str, bytes] = {}

    def now_ns(self) -> int:
        return self.t_ns

    def advance_to(self, t_ns: int) -> None:
        self.t_ns = max(self.t_ns, int(t_ns))

    def set(self, device: str, **values: Any) -> None:
        unknown = set(values) - set(self.truth[device])
        if unknown:
            raise KeyError(f"{device}: no reading fields {sorted(unknown)}")
        self.truth[device].update(values)

    def sense(self, device: str) -> Mapping[str, Any]:
        values = dict(self.truth[device])
        kind = self.kinds[device]
        if kind.is_byte_stream and kind.is_actuator:     # a radio: what was sent comes back
            values[kind.readings.tail_bytes.name] = self._radio_rx.pop(device, b"")
        return values

    def actuate(self, device: str, command: Mapping[str, Any]) -> None:
        self.commands[device].append(dict(command))
        kind = self.kinds[device]
        if kind.is_byte_stream and kind.is_actuator:
            self._radio_rx[device] = self._radio_rx.get(device, b"") + bytes(command.get("tx_bytes", b""))
            return
        for name, value in command.items():
            if name in self.truth[device]:
                self.truth[device][name] = value


__all__ = ["TablePlant"]
