"""Shared pieces of the hal tests: value strategies and small device emulators."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
from typing import Iterator

from hypothesis import strategies as st

from hal.catalog import INTEGER_RANGES, KINDS, Layout
from hal.serial.port import FdPort
from hal.serial.responder import Responder, serve_in_thread
from hal.simulated import SimChannel
from hal.table_plant import TablePlant

# one instance per kind, named after the kind, at address = kind id
ALL_DEVICES = {name: name for name in KINDS}


def layout_values(layout: Layout, *, finite: bool = True) -> st.SearchStrategy[dict]:
    """Any valid values of a layout (floats include extremes; NaN/inf only if not finite)."""
    parts = {}
    for f in layout.fields:
        if f.type == "bytes":
            elem = st.binary(max_size=200)
        elif f.is_float:
            elem = st.floats(allow_nan=not finite, allow_infinity=not finite)
        else:
            lo, hi = INTEGER_RANGES[f.type]
            elem = st.integers(lo, hi)
        if f.count > 1:
            elem = st.tuples(*([elem] * f.count))
        parts[f.name] = elem
    return st.fixed_dictionaries(parts)


def plant_channels(plant: TablePlant) -> dict[int, SimChannel]:
    """Noise-free simulated channels of every device of `plant`, at address = kind id."""
    return {k.kind_id: SimChannel(plant, name, k) for name, k in plant.kinds.items()}


@contextlib.contextmanager
def pty_emulator(plant: TablePlant | None = None) -> Iterator[tuple[str, TablePlant, Responder, FdPort]]:
    """An emulator thread on the master side of an os.openpty pair; yields the slave path.

    The emulator keeps the slave fd open too (so the pty survives the flight side closing).
    """
    plant = plant or TablePlant(ALL_DEVICES)
    master, slave = os.openpty()
    path = os.ttyname(slave)
    port = FdPort(master, "emulator")
    responder = Responder(port, plant_channels(plant), on_advance=plant.advance_to)
    thread, stop = serve_in_thread(responder)
    try:
        yield path, plant, responder, port
    finally:
        stop.set()
        thread.join(timeout=5)
        port.close()
        with contextlib.suppress(OSError):
            os.close(slave)


class SocketEmulator:
    """A loopback TCP server (port 0) that serves each accepted connection with a responder."""

    def __init__(self, plant: TablePlant | None = None) -> None:
        self.plant = plant or TablePlant(ALL_DEVICES)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.connections = 0
        self.current: FdPort | None = None
        self.responders: list[Responder] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            self.current = FdPort(conn.fileno(), "socket-emulator", owner=conn)
            responder = Responder(self.current, plant_channels(self.plant), on_advance=self.plant.advance_to)
            self.responders.append(responder)
            responder.serve_forever(self.stop)
            self.current.close()

    def drop_connection(self) -> None:
        """Close the current connection (the flight side must see a disconnect)."""
        if self.current is not None:
            with contextlib.suppress(OSError):
                self.current._owner.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()
