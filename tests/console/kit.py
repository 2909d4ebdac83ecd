"""Helpers of the console tests: a bridge on a loopback port inside one asyncio loop, an HTTP
client for it, and a testbed flight that answers telecommands over UDP like a served vehicle."""
from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest

tornado = pytest.importorskip("tornado", reason="the console extra (tornado) is not installed")
from tornado.httpclient import AsyncHTTPClient, HTTPClientError  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from fsw.link.log import TelemetryLogWriter  # noqa: E402
from fsw.link.telemetry import TelemetryEncoder  # noqa: E402
from ground.server import Console, listen, make_app  # noqa: E402

from tests.link.kit import KEYS, linked_testbed  # noqa: E402,F401


@asynccontextmanager
async def serving(console: Console) -> AsyncIterator[str]:
    """The console's app on 127.0.0.1 (any free port); yields its base URL."""
    server, port = listen(make_app(console, None), "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


async def get_json(base: str, path: str) -> Any:
    r = await AsyncHTTPClient().fetch(f"http://{base}{path}")
    return json.loads(r.body)


async def post_json(base: str, path: str, body: Any, header: bool = True) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} | ({"X-MSR-Console": "1"} if header else {})
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    try:
        r = await AsyncHTTPClient().fetch(f"http://{base}{path}", method="POST", body=data,
                                          headers=headers)
        return r.code, json.loads(r.body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body) if exc.response is not None else None


class Feed:
    """A WebSocket client that collects every datum the console streams."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.datums = conn, []

    @classmethod
    async def open(cls, base: str) -> "Feed":
        return cls(await websocket_connect(f"ws://{base}/ws"))

    async def until(self, predicate, timeout: float = 10.0) -> list[dict]:
        """Read until `predicate(datums)` holds; the datums so far."""
        async def read() -> None:
            while not predicate(self.datums):
                msg = await self.conn.read_message()
                if msg is None:
                    raise ConnectionError("feed closed")
                self.datums.extend(json.loads(msg))
        await asyncio.wait_for(read(), timeout)
        return self.datums


def log_of_testbed(ticks: int = 40) -> tuple[bytes, Any]:
    """A testbed-vehicle log: channels every tick, events, a string channel; and its spec."""
    topology, ingest, spec = linked_testbed()
    log = TelemetryLogWriter(spec)
    topology.attach(log)
    for k in range(ticks):
        t = k * 20_000_000
        for c in topology.components.values():
            c.time.now_ns = t
            c.step(t)
        topology.sample_telemetry(t)
    topology.dispatch("heater.ACTIVATE")
    topology.dispatch("counter.INCREMENT", {"by": 5})
    return log.getvalue(), spec


class LinkedFlight(asyncio.DatagramProtocol):
    """The testbed vehicle's ingest behind a UDP socket: each telecommand is processed and its
    ack and events are sent back to the sender, as `msr gds serve` does."""

    def __init__(self) -> None:
        self.topology, self.ingest, self.spec = linked_testbed()
        self.encoder = TelemetryEncoder(self.spec)
        self.transport = None
        self.peer = None
        self.t_ns = 1_000_000_000
        self.topology.attach(self)
        self.ingest.ack_sinks.append(self._ack)

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.peer = addr
        self.t_ns += 20_000_000
        for c in self.topology.components.values():
            c.time.now_ns = self.t_ns
        self.ingest.process(data)

    def on_event(self, event, component) -> None:
        self.transport.sendto(self.encoder.codec_for(component).event(
            event.t_ns, event.event_id, event.severity, event.args), self.peer)

    def on_channels(self, t_ns, component, values) -> None:
        pass

    def _ack(self, ack) -> None:
        self.transport.sendto(self.encoder.codec_for(self.ingest).ack(
            ack.t_ns, ack.key_id, ack.cmd_seq, ack.status, ack.reason), self.peer)

    @classmethod
    async def start(cls) -> tuple["LinkedFlight", tuple[str, int]]:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        return proto, transport.get_extra_info("sockname")
