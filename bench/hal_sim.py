"""Cost of the simulated HAL backend per device operation (reads/s and writes/s).

Three cases, each through the typed interface flight code uses (`hal.devices`) over a
`hal.simulated.SimChannel` on a `hal.table_plant.TablePlant`:

* IMU at 200 Hz with white noise and a per-device bias on the accelerometer (two 3-vectors),
  every read a new sample (the plant moves one period between reads);
* thermometer with white noise and quantisation, every read a new sample;
* IMU read between grid points (the held sample, no draw): the cheapest read;
* gimbal `point` (a write: command check + plant actuate).

Also prints a digest of the IMU and thermometer readings, so a run before and after a change
shows the values did not move. Figures are noisy on a shared machine: take the best of a few.

    .venv/bin/python bench/hal_sim.py [--n N] [--repeat K]
"""
from __future__ import annotations

import argparse
import hashlib
import struct
import time

from hal.catalog import KINDS
from hal.devices import Gimbal, Imu, Thermometer
from hal.simulated import FieldNoise, SensorModel, SimChannel, device_rng
from hal.table_plant import TablePlant


def _imu(plant: TablePlant) -> Imu:
    model = SensorModel(200, {"accel_mps2": FieldNoise(sigma=2e-3, bias_sigma=2e-4),
                              "rate_radps": FieldNoise(sigma=1e-5, bias=1e-6)})
    return Imu(SimChannel(plant, "imu0", KINDS["imu"], model, device_rng(1, "imu0")))


def _thermometer(plant: TablePlant) -> Thermometer:
    model = SensorModel(1, {"temp_C": FieldNoise(sigma=0.05, quantum=0.01)})
    return Thermometer(SimChannel(plant, "t0", KINDS["thermometer"], model, device_rng(1, "t0")))


def _rate(fn, n: int, repeat: int) -> float:
    """Best operations per second over `repeat` runs of `fn(n)`."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(n)
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    plant = TablePlant({"imu0": "imu", "t0": "thermometer", "tvc": "gimbal"})
    plant.set("imu0", accel_mps2=(0.1, -0.2, 3.71), rate_radps=(1e-3, 2e-3, -3e-3))
    plant.set("t0", temp_C=21.5)
    imu, thermo, gimbal = _imu(plant), _thermometer(plant), Gimbal(SimChannel(plant, "tvc", KINDS["gimbal"]))
    digest = hashlib.sha256()

    def imu_fresh(n: int) -> None:
        for _ in range(n):
            plant.t_ns += 5_000_000
            r = imu.read()
            digest.update(struct.pack("<q6d", r.t_ns, *r.accel_mps2, *r.rate_radps))

    def thermo_fresh(n: int) -> None:
        for _ in range(n):
            plant.t_ns += 1_000_000_000
            r = thermo.read()
            digest.update(struct.pack("<qd", r.t_ns, r.temp_C))

    def imu_held(n: int) -> None:
        for _ in range(n):
            imu.read()

    def gimbal_write(n: int) -> None:
        for k in range(n):
            gimbal.point(1e-4 * (k % 50), -1e-4 * (k % 30))

    for label, fn in (("IMU read, new sample (noise + bias)", imu_fresh),
                      ("thermometer read, new sample (noise + quantum)", thermo_fresh),
                      ("IMU read, held sample", imu_held),
                      ("gimbal write (point)", gimbal_write)):
        rate = _rate(fn, args.n, args.repeat)
        print(f"{label:48s} {rate / 1e3:8.1f} k ops/s  ({1e6 / rate:6.2f} us/op)")
    print(f"readings digest (same before and after a change): {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
