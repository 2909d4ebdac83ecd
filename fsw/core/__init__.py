"""Flight-software core: time, clocks, components, modes, executive, bus and ports, sequencer."""
from .bus import Bus
from .devices import DEVICE_FAULT, DeviceFailure, failed
from .ports import PortError, Sub, Topic, WiringError, wire
from .substeps import SubSteps
from .clock import Clock, LinuxClock, SimClock
from .component import (CommandError, CommandResult, CommandStatus, Component, TimeRef,
                        command)
from .declarations import Arg, Channel, Param, ValidationError
from .events import Event, EventDef, Severity
from .executive import Executive
from .modes import ModeTable, T, Transition, check_structure, every_path_passes
from .time import NS_PER_MS, NS_PER_S, NS_PER_US, ns_to_seconds, period_ns, seconds_to_ns
from .topology import TelemetrySink, Topology

__all__ = [n for n in dir() if not n.startswith("_")]
