"""Hardware abstraction layer: the only way flight code touches devices.

- `hal.catalog`: device kinds and their reading/command fields (units in the names);
- `hal.devices`: typed interfaces (`Imu.read() -> ImuReading`, `Gimbal.point(...)`);
- `hal.errors`: `DeviceFault` and its subclasses, the only exceptions that reach flight code;
- `hal.simulated`: channels over a `hal.plant.Plant` with seeded noise, bias, quantisation, rate;
- `hal.serial`: the framed serial protocol (COBS, CRC-32C, sequence numbers) and its two ends;
- `hal.config`: builds devices from a `[devices]` table (sim or a serial port per entry).

See docs/hal.md.
"""
