"""Component: the unit of flight software (F Prime's component, cFS's app).

A subclass declares, as class attributes, its mode table (`MODES`), telemetry channels
(`CHANNELS`), events (`EVENTS`, typed arguments), parameters (`PARAMS`) and ports
(`PUBLISHES`, `SUBSCRIBES`: fsw.core.ports), and marks command handlers `_cmd_<name>` with
`@command`. The base class turns them into a `transitions` machine (with `on_enter_<MODE>`
hooks and `during()`, which runs `during_<MODE>`), a command dispatcher that rejects bad or
out-of-mode commands with an event and a counter, a parameter store that refuses
out-of-range values and `device_call` (fsw.core.devices). The rules are checked when the
class is created (fsw.core.conventions). Nothing from outside can raise into the executive.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Mapping

from transitions import Machine, MachineError

from hal.errors import DeviceFault

from . import events as _events
from .conventions import check_class
from .declarations import Arg, Channel, Param, ValidationError
from .devices import DeviceFailure, device_failed
from .events import CORE_EVENTS, Event, EventDef, Severity
from .modes import ModeTable
from .origin import describe
from .ports import Ports, Sub, Topic, check_ports


class TimeRef:
    """Shared holder of the executive's current tick time, so emitters need no clock read."""

    __slots__ = ("now_ns",)

    def __init__(self, now_ns: int = 0) -> None:
        self.now_ns = now_ns


@dataclass(frozen=True)
class CommandDef:
    name: str
    args: tuple[Arg, ...]
    modes: frozenset[str] | None  # None: allowed in every mode
    handler_name: str
    doc: str = ""


class CommandError(Exception):
    """Raised by a command handler when the command is valid but cannot be carried out."""


class CommandStatus(enum.Enum):
    OK = "ok"
    REJECTED = "rejected"  # never started: unknown, bad arguments, wrong mode
    FAILED = "failed"      # started and refused by the handler


@dataclass(frozen=True)
class CommandResult:
    status: CommandStatus
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is CommandStatus.OK


def command(name: str, *args: Arg, modes: Iterable[str] | None = None, doc: str = ""):
    """Mark a method as the handler of ground/sequence command `name`.

    `modes` lists the modes in which the command is accepted (None: any mode).
    """
    def mark(fn: Callable) -> Callable:
        fn.__command__ = CommandDef(name, tuple(args), None if modes is None else frozenset(modes),
                                    fn.__name__, doc or (fn.__doc__ or "").strip().split("\n")[0])
        return fn
    return mark


class _ModeModel:
    """The object `transitions` drives; kept apart so its bound triggers never shadow ours."""

    state: str


class Component:
    MODES: ClassVar[ModeTable | None] = None
    CHANNELS: ClassVar[tuple[Channel, ...]] = ()
    EVENTS: ClassVar[tuple[EventDef, ...]] = ()
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    PUBLISHES: ClassVar[tuple[Topic, ...]] = ()
    SUBSCRIBES: ClassVar[tuple[Topic | Sub, ...]] = ()
    COMMANDS: ClassVar[dict[str, CommandDef]]  # filled from @command methods
    EVENT_DEFS: ClassVar[tuple[EventDef, ...]]
    EVENT_IDS: ClassVar[dict[str, int]]
    DURING: ClassVar[dict[str, str]]   # mode -> name of its during_<MODE> method

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cmds: dict[str, CommandDef] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                cdef = getattr(attr, "__command__", None)
                if cdef is not None:
                    cmds[cdef.name] = cdef
        modes = set(cls.MODES.modes) if cls.MODES else set()
        for c in cmds.values():
            if c.modes is not None and not c.modes <= modes:
                raise TypeError(f"{cls.__name__}.{c.name}: unknown modes {sorted(c.modes - modes)}")
        cls.COMMANDS = cmds
        cls.EVENT_DEFS = CORE_EVENTS + tuple(cls.EVENTS)
        names = [e.name for e in cls.EVENT_DEFS]
        if len(set(names)) != len(names):
            raise TypeError(f"{cls.__name__}: duplicate event names")
        cls.EVENT_IDS = {n: i for i, n in enumerate(names)}
        chans = [c.name for c in cls.CHANNELS]
        if len(set(chans)) != len(chans):
            raise TypeError(f"{cls.__name__}: duplicate channel names")
        if cls.MODES:
            for g in cls.MODES.guard_names:
                if not callable(getattr(cls, g, None)):
                    raise TypeError(f"{cls.__name__}: guard {g!r} is not a method")
        cls.DURING = {m: f"during_{m}" for m in modes if callable(getattr(cls, f"during_{m}", None))}
        check_ports(cls)
        check_class(cls)

    def __init__(self, name: str) -> None:
        self.name = name
        self.component_id = 0  # set by the topology; the ground link derives APIDs from it
        self.time = TimeRef()
        self.events_out: Callable[[Event], None] = self._keep_event
        self.event_log: list[Event] = []  # used until a sink is connected
        self.tlm: dict[str, Any] = {c.name: c.type() for c in self.CHANNELS}
        self.params: dict[str, Any] = {p.name: p.default for p in self.PARAMS}
        self._param_defs = {p.name: p for p in self.PARAMS}
        self.counters = {"cmd_accepted": 0, "cmd_rejected": 0, "cmd_failed": 0,
                         "trigger_rejected": 0}
        self.guard_override: Mapping[str, bool] | None = None  # property tests drive guards
        self.ports = Ports(self)
        self._model = _ModeModel()
        self._machine: Machine | None = None
        if self.MODES is not None:
            self._build_machine(self.MODES)

    # ---------------------------------------------------------------- modes
    def _build_machine(self, table: ModeTable) -> None:
        model = self._model
        for g in table.guard_names:
            setattr(model, g, self._guard_fn(g))
        self._machine = Machine(
            model=model, states=list(table.modes), initial=table.initial,
            transitions=[{"trigger": e.trigger, "source": e.source, "dest": e.dest,
                          "conditions": list(e.guards), "unless": list(e.unless)}
                         for e in table.edges()],
            auto_transitions=False, ignore_invalid_triggers=False, send_event=False)

    def _guard_fn(self, name: str) -> Callable[[], bool]:
        method = getattr(self, name)

        def guard() -> bool:
            override = self.guard_override
            return bool(override[name]) if override is not None else bool(method())
        return guard

    @property
    def mode(self) -> str | None:
        return self._model.state if self._machine is not None else None

    def trigger(self, trigger: str) -> bool:
        """Fire a mode trigger; a trigger not allowed now becomes an event, never an exception."""
        if self._machine is None:
            return self._reject_trigger(trigger, "component has no modes")
        source = self._model.state
        if trigger not in self._machine.events:
            return self._reject_trigger(trigger, "unknown trigger")
        try:
            moved = self._model.trigger(trigger)
        except MachineError:
            return self._reject_trigger(trigger, "no transition from this mode")
        except Exception as exc:  # a guard raised: report, stay in mode
            return self._reject_trigger(trigger, f"guard error: {exc!r}")
        if not moved:
            return self._reject_trigger(trigger, "guard " + self._failed_guard(trigger, source))
        dest = self._model.state
        self.emit("MODE_CHANGED", source=source, dest=dest, trigger=trigger)
        hook = getattr(self, f"on_enter_{dest}", None)
        if hook is not None:
            hook()
        self.on_mode_change(source, dest)
        return True

    def on_mode_change(self, source: str, dest: str) -> None:
        """Called after every mode change (a trigger, or a restart's `force_mode`); override
        to publish the mode on a port. Per-mode entry work goes in `on_enter_<MODE>`."""

    def _failed_guard(self, trigger: str, source: str) -> str:
        for e in self.MODES.edges():
            if e.trigger == trigger and e.source == source:
                for g in e.guards:
                    if not self._guard_fn(g)():
                        return f"{g} is false"
                for g in e.unless:
                    if self._guard_fn(g)():
                        return f"{g} is true"
        return "failed"

    def _reject_trigger(self, trigger: str, reason: str) -> bool:
        self.counters["trigger_rejected"] += 1
        self.emit("TRIGGER_REJECTED", trigger=trigger, mode=self.mode, reason=reason)
        return False

    def during(self) -> None:
        """Run this mode's `during_<MODE>` method, if it has one (call it from `step`):
        per-mode work found by a table built at class creation, not by names made at run time."""
        name = self.DURING.get(self._model.state) if self._machine is not None else None
        if name is not None:
            getattr(self, name)()

    def force_mode(self, mode: str) -> None:
        """Set the mode directly: only for warm restart from a checkpoint."""
        if self.MODES is None or mode not in self.MODES.modes:
            raise ValueError(f"{self.name}: unknown mode {mode!r}")
        source = self._model.state
        self._machine.set_state(mode, model=self._model)
        self.on_mode_change(source, mode)

    # ---------------------------------------------------------------- commands
    def dispatch(self, name: str, args: Mapping[str, Any] | None = None) -> CommandResult:
        """Validate and run a command. Bad or out-of-mode commands are rejected with an event."""
        cdef = self.COMMANDS.get(name)
        if cdef is None:
            return self._reject_cmd(name, "unknown command")
        args = dict(args or {})
        if cdef.modes is not None and self.mode not in cdef.modes:
            return self._reject_cmd(name, f"not allowed in mode {self.mode}")
        kwargs: dict[str, Any] = {}
        try:
            for a in cdef.args:
                if a.name not in args:
                    raise ValidationError(f"missing argument {a.name}")
                kwargs[a.name] = a.coerce(args.pop(a.name))
            if args:
                raise ValidationError(f"unexpected arguments {sorted(args)}")
        except ValidationError as exc:
            return self._reject_cmd(name, str(exc))
        try:
            getattr(self, cdef.handler_name)(**kwargs)
        except CommandError as exc:
            return self._fail_cmd(name, str(exc))
        except Exception as exc:  # a handler bug: a failed command, loud, never out of dispatch
            return self._fail_cmd(name, describe(exc))
        self.counters["cmd_accepted"] += 1
        self.emit("CMD_ACCEPTED", command=name)
        return CommandResult(CommandStatus.OK)

    def _fail_cmd(self, name: str, reason: str) -> CommandResult:
        self.counters["cmd_failed"] += 1
        self.emit("CMD_FAILED", command=name, reason=reason)
        return CommandResult(CommandStatus.FAILED, reason)

    def _reject_cmd(self, name: str, reason: str) -> CommandResult:
        self.counters["cmd_rejected"] += 1
        self.emit("CMD_REJECTED", command=name, reason=reason)
        return CommandResult(CommandStatus.REJECTED, reason)

    # ---------------------------------------------------------------- parameters
    @classmethod
    def param_problem(cls, name: str, value: Any) -> str | None:
        """Why `set_param(name, value)` would be refused (the limit it breaks), or None; lets
        the ground check parameters against the declarations before the software is built."""
        pdef = next((p for p in cls.PARAMS if p.name == name), None)
        if pdef is None:
            return f"{cls.__name__} has no parameter {name!r} (it has {', '.join(p.name for p in cls.PARAMS) or 'none'})"
        try:
            pdef.coerce(value)
        except ValidationError as exc:
            return str(exc)
        return None

    def set_param(self, name: str, value: Any) -> bool:
        pdef = self._param_defs.get(name)
        if pdef is None:
            self.emit("PARAM_REJECTED", param=name, reason="unknown parameter")
            return False
        try:
            v = pdef.coerce(value)
        except ValidationError as exc:
            self.emit("PARAM_REJECTED", param=name, reason=str(exc))
            return False
        self.params[name] = v
        self.emit("PARAM_SET", param=name, value=v)
        return True

    @command("SET_PARAM", Arg("param", str), Arg("value", str),
             doc="Set a parameter within its declared limits")
    def _cmd_set_param(self, param: str, value: str) -> None:
        if not self.set_param(param, value):
            raise CommandError(f"parameter {param} not set")

    @command("NOOP", doc="Do nothing; proves the command path end to end")
    def _cmd_noop(self) -> None:
        pass

    # ---------------------------------------------------------------- events
    def emit(self, event: str, **args: Any) -> None:
        eid = self.EVENT_IDS[event]
        edef = self.EVENT_DEFS[eid]
        if _events.CHECK_EMITS:
            problem = edef.problem(args)
            if problem is not None:
                raise TypeError(f"{type(self).__name__}: {problem}")
        self.events_out(Event(self.time.now_ns, self.name, eid, event, edef.severity,
                              tuple(args.items())))

    def _keep_event(self, ev: Event) -> None:
        self.event_log.append(ev)

    # ---------------------------------------------------------------- ports and devices
    # publish and received are called several times a component step: each takes the case of
    # a declared Topic object (what every caller passes) here, and leaves the rest (a topic
    # equal but not the same object, an undeclared one, an unwired component) to its Ports.
    def publish(self, topic: Topic, payload: Any) -> None:
        """Send `payload` on a topic of PUBLISHES (delivered as fsw.core.ports says)."""
        ports = self.ports
        bus = ports.bus
        if bus is not None and ports.published.get(topic.name) is topic and isinstance(payload, topic.payload):
            bus.publish(topic.name, payload)
        else:
            ports.publish(topic, payload)

    def received(self, topic: Topic) -> Any:
        """The latest payload of a topic of SUBSCRIBES, or None before the first."""
        ports = self.ports
        if ports._sub_topics.get(topic.name) is topic:
            return ports.latest.get(topic.name)
        return ports.received(topic)

    def device_call(self, fn: Callable, *args: Any, device: str | None = None) -> Any:
        """`fn(*args)` on a device, or a (falsy) DeviceFailure once DEVICE_FAULT is emitted
        (fsw.core.devices.call_device, its happy path inline: a call per device read)."""
        try:
            return fn(*args)
        except DeviceFault as exc:
            return device_failed(self, fn, exc, device)

    def report_device_fault(self, failure: DeviceFailure) -> None:
        """Count and report a failed device call (also for faults found otherwise: a frozen
        sample); `on_device_fault` is the component's own reaction."""
        if "device_faults" in self.tlm:
            self.tlm["device_faults"] += 1
        self.on_device_fault(failure)
        self.emit("DEVICE_FAULT", device=failure.device, error=failure.error)

    def on_device_fault(self, failure: DeviceFailure) -> None:
        """Override to react to a device fault (more counters, a mode change)."""

    # ---------------------------------------------------------------- loop
    def step(self, t_ns: int) -> None:
        """Run one cycle of this component's rate group. Override in subclasses."""

    def checkpoint_state(self) -> dict[str, Any]:
        """State that must survive a processor reset (JSON-able); subclasses extend it."""
        return {"mode": self._model.state if self._machine is not None else None,   # self.mode
                "params": dict(self.params), "counters": dict(self.counters)}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Warm restart: put back what `checkpoint_state` saved; subclasses extend it.

        Parameters go through their declarations again, so a corrupted value is refused
        (kept at its default, with an event) rather than trusted."""
        if state.get("mode") is not None and self.MODES is not None:
            self.force_mode(state["mode"])
        for name, value in state.get("params", {}).items():
            if name in self._param_defs:
                self.set_param(name, value)
        for name, value in state.get("counters", {}).items():
            if name in self.counters and isinstance(value, int):
                self.counters[name] = value


__all__ = ["Component", "CommandDef", "CommandError", "CommandResult", "CommandStatus",
           "TimeRef", "command", "Severity"]
