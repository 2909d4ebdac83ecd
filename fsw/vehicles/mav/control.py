"""MAV attitude control: TVC on stage 1, RCS in coast, spin-up/despin, RCS translation trim.

The flight manager says what to do (ACS_COMMAND: law, set points, "stop now"); this
component runs every base tick with the navigator's attitude and rates (NAV_STATE) and
tells the flight manager its pointing error and RCS health (ACS_STATUS, on change). TVC gains are scheduled on the measured axial
acceleration (authority = lever * thrust / inertia = k_tvc * accel, with k_tvc = lever *
mass / inertia, a parameter); RCS gains use the upper-stage inertia parameters.

Control never acts on a state it cannot trust: when the navigator did not run this tick (a
crashed step) or its IMU sample is not fresh, the RCS torque is zero and the gimbal goes
to neutral until both are back ("blind"). A command an actuator does not acknowledge marks
it failed (`actuators_failed`, one event per outage); a failed actuator is probed with a
null command every tick until it answers again, even with the control law off.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.gnc.attitude import pointing_error, qrot_inv, rcs_torque, tvc_command
from hal.devices import Gimbal, Rcs
from hal.errors import DeviceFault

from .topics import ACS_COMMAND, ACS_STATUS, NAV_STATE, AcsCommand, AcsStatus

OFF, TVC, RCS_POINT, SPIN, DESPIN, TRIM = "off", "tvc", "rcs_point", "spin", "despin", "trim"


class MavAttitudeControl(Component):
    CHANNELS = (
        Channel("law", str), Channel("pointing_error_deg", float, "deg"),
        Channel("roll_rate_radps", float, "rad/s"), Channel("gimbal_pitch_rad", float, "rad"),
        Channel("gimbal_yaw_rad", float, "rad"), Channel("actuator_faults", int),
        Channel("actuators_failed", int, doc="actuators whose last command was not acknowledged"),
        Channel("blind", bool, doc="no fresh navigation this tick: actuators held at null"),
    )
    EVENTS = (EventDef("ACTUATOR_FAULT", Severity.WARNING_HI, "{device}: {reason}", device=str, reason=str),
              EventDef("ACTUATOR_RECOVERED", Severity.ACTIVITY_HI, "{device} answers again", device=str))
    PUBLISHES = (ACS_STATUS,)
    SUBSCRIBES = (NAV_STATE, Sub(ACS_COMMAND, "_on_command"))
    PARAMS = (
        Param("tvc_k_per_accel", float, 0.1, 20.0, default=1.6 * 400.0 / 290.0),
        Param("tvc_bandwidth_radps", float, 0.1, 10.0, default=2.5),
        Param("tvc_limit_deg", float, 0.5, 10.0, default=5.0),
        Param("rcs_bandwidth_radps", float, 0.05, 5.0, default=0.8),
        Param("damping", float, 0.3, 2.0, default=0.8),
        Param("inertia_x", float, 0.1, 100.0, default=4.0),
        Param("inertia_yz", float, 1.0, 1000.0, default=18.0),
        Param("rcs_torque_limit_Nm", float, 0.1, 100.0, default=15.0),
        Param("rcs_force_limit_N", float, 0.1, 100.0, default=20.0),
        Param("roll_deadband_radps", float, 0.0, 1.0, default=0.005,
              doc="roll-rate error the roll loop leaves alone (gyro noise is ~1e-4 rad/s; "
                  "the valves need not chatter on it)"),
    )

    def __init__(self, name: str, tvc: Gimbal, rcs: Rcs) -> None:
        super().__init__(name)
        self.tvc = tvc
        self.rcs = rcs
        self.law = OFF
        self.target = (1.0, 0.0, 0.0)
        self.spin_rate = 0.0
        self.trim_force_inertial = (0.0, 0.0, 0.0)
        self.error_rad = 0.0
        self._sent_gimbal: tuple | None = None   # last command the device accepted
        self._sent_rcs: tuple | None = None
        self.failed: set[str] = set()            # actuators whose last command failed
        self._status: AcsStatus | None = None    # last published ACS_STATUS

    @property
    def rcs_ok(self) -> bool:
        return self.rcs.name not in self.failed

    @property
    def tvc_ok(self) -> bool:
        return self.tvc.name not in self.failed

    def set_law(self, law: str, target=None, spin_rate: float | None = None) -> None:
        if law in (OFF, TVC, RCS_POINT, SPIN, DESPIN, TRIM) and law != self.law:
            self.law = law
            if law in (OFF, SPIN):
                self._send_gimbal(0.0, 0.0)
        if target is not None:
            self.target = tuple(target)
        if spin_rate is not None:
            self.spin_rate = spin_rate

    def _on_command(self, cmd: AcsCommand) -> None:
        """ACS_COMMAND: what the flight manager's set_law/stop calls used to do, in order."""
        if cmd.stop:
            self.stop()
        self.set_law(cmd.law, target=cmd.target, spin_rate=cmd.spin_rate)
        self.trim_force_inertial = cmd.trim_force
        self._publish_status()

    def _publish_status(self) -> None:
        rcs_ok = self.rcs_ok
        s = self._status
        if s is None or s.error_rad != self.error_rad or s.rcs_ok != rcs_ok:
            self._status = AcsStatus(self.error_rad, rcs_ok)
            self.publish(ACS_STATUS, self._status)

    def _send_gimbal(self, p: float, y: float) -> None:
        if (p, y) != self._sent_gimbal:   # a held command need not be sent again
            try:
                self.tvc.point(p, y)
                self._sent_gimbal = (p, y)
                self._ok(self.tvc.name)
            except DeviceFault as exc:
                self._sent_gimbal = None
                self._fault(self.tvc.name, exc)
        self.tlm["gimbal_pitch_rad"] = p
        self.tlm["gimbal_yaw_rad"] = y

    def _send_rcs(self, force, torque) -> None:
        if (force, torque) == self._sent_rcs:
            return
        try:
            self.rcs.command(force, torque)
            self._sent_rcs = (force, torque)
            self._ok(self.rcs.name)
        except DeviceFault as exc:
            self._sent_rcs = None
            self._fault(self.rcs.name, exc)

    def _fault(self, device: str, exc: Exception) -> None:
        self.tlm["actuator_faults"] += 1
        if device not in self.failed:
            self.failed.add(device)
            self.emit("ACTUATOR_FAULT", device=device, reason=str(exc))
        self.tlm["actuators_failed"] = len(self.failed)

    def _ok(self, device: str) -> None:
        if device in self.failed:
            self.failed.discard(device)
            self.emit("ACTUATOR_RECOVERED", device=device)
            self.tlm["actuators_failed"] = len(self.failed)

    def _probe(self) -> None:
        """Null commands to failed actuators, to learn when they answer again."""
        zero = (0.0, 0.0, 0.0)
        if not self.rcs_ok:
            self._send_rcs(zero, zero)
        if not self.tvc_ok:
            self._send_gimbal(0.0, 0.0)

    def step(self, t_ns: int) -> None:
        law = self.law
        nav = self.ports.latest.get(NAV_STATE.name)   # received(), without its checks: every tick
        if law == OFF or nav is None:
            if self.failed:
                self._probe()
                self._publish_status()
            return
        p = self.params
        rate = nav.rate
        err = pointing_error(nav.q, self.target)
        self.error_rad = math.hypot(err[1], err[2])
        inertia = (p["inertia_x"], p["inertia_yz"], p["inertia_yz"])
        lim = p["rcs_torque_limit_Nm"]
        zero = (0.0, 0.0, 0.0)
        blind = not (nav.updated_at(t_ns) and nav.imu_valid)
        if blind != self.tlm["blind"]:
            self.tlm["blind"] = blind
        if blind:
            self._send_rcs(zero, zero)
            if law == TVC:
                self._send_gimbal(0.0, 0.0)
        elif law == TVC:
            auth = p["tvc_k_per_accel"] * nav.accel_mag
            gp, gy = tvc_command(err, rate, auth, p["tvc_bandwidth_radps"], p["damping"],
                                 math.radians(p["tvc_limit_deg"]))
            self._send_gimbal(gp, gy)
            self._send_rcs(zero, rcs_torque(zero, (self._roll(rate[0], 0.0), 0.0, 0.0), inertia, 1.0, 1.0, lim))
        elif law == RCS_POINT:
            self._send_rcs(zero, rcs_torque(err, rate, inertia, p["rcs_bandwidth_radps"], p["damping"], lim))
        elif law == SPIN:
            # spinning: the transverse axes are gyroscopically stiff, only the roll loop acts
            self._send_rcs(zero, rcs_torque(zero, (self._roll(rate[0], self.spin_rate), 0.0, 0.0), inertia,
                                            1.0, 1.0, lim, roll_rate_target=self.spin_rate))
        elif law == DESPIN:
            self._send_rcs(zero, rcs_torque(zero, (self._roll(rate[0], 0.0), 0.0, 0.0), inertia, 1.0, 1.0, lim))
        elif law == TRIM:
            fl = p["rcs_force_limit_N"]
            fb = qrot_inv(nav.q, self.trim_force_inertial)
            big = max(abs(fb[0]), abs(fb[1]), abs(fb[2]), 1e-12)
            k = min(1.0, fl / big)
            self._send_rcs((fb[0] * k, fb[1] * k, fb[2] * k),
                           rcs_torque(zero, rate, inertia, p["rcs_bandwidth_radps"], p["damping"], lim))
        tlm = self.tlm
        tlm["law"] = law
        tlm["pointing_error_deg"] = math.degrees(self.error_rad)
        tlm["roll_rate_radps"] = rate[0]
        self._publish_status()

    def _roll(self, rate: float, target: float) -> float:
        """The roll rate the roll loop acts on: the target itself inside the deadband."""
        return target if abs(rate - target) < self.params["roll_deadband_radps"] else rate

    def stop(self) -> None:
        self.law = OFF
        self._send_gimbal(0.0, 0.0)
        self._send_rcs((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))

    def checkpoint_state(self) -> dict:
        return super().checkpoint_state() | {
            "law": self.law, "target": list(self.target), "spin_rate": self.spin_rate,
            "trim_force_inertial": list(self.trim_force_inertial), "error_rad": self.error_rad,
            "failed": sorted(self.failed)}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """The law and its set points come back; commands are sent again on the next step
        (the devices held their last command through the reset)."""
        super().restore_state(state)
        law = state.get("law", OFF)
        if law not in (OFF, TVC, RCS_POINT, SPIN, DESPIN, TRIM):
            raise ValueError(f"acs checkpoint: unknown law {law!r}")
        self.law = law
        self.target = tuple(float(x) for x in state.get("target", self.target))
        self.spin_rate = float(state.get("spin_rate", 0.0))
        self.trim_force_inertial = tuple(float(x) for x in state.get("trim_force_inertial", (0.0, 0.0, 0.0)))
        self.error_rad = float(state.get("error_rad", 0.0))
        self.failed = {str(d) for d in state.get("failed", ())}
        self._sent_gimbal = self._sent_rcs = None
        self.tlm["actuators_failed"] = len(self.failed)
        self._publish_status()


__all__ = ["MavAttitudeControl", "OFF", "TVC", "RCS_POINT", "SPIN", "DESPIN", "TRIM"]
