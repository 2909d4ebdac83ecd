"""The console's server (tornado): Open MCT and its plugin as static files, a JSON API for
the dictionary, history and commands, and one WebSocket that streams every received packet.

    GET  /                      the console (Open MCT + ground/web/msr-plugin.js)
    GET  /api/dictionary        the dictionary (msr-dictionary/1) and what the console can do
    GET  /api/telemetry?key=K&start=MS&end=MS&latest=N   datums of one object (store.py keys)
    GET  /api/status            packets received and forwarded, clients, source
    GET  /api/commands          command history;  POST /api/commands {"target", "args"}
    WS   /ws                    JSON arrays of datums (store.datum_of), batched every 10 ms

Bound to 127.0.0.1 by default. A POST must carry `X-MSR-Console: 1`, a header no other site's
page can add without a CORS preflight this server never grants, so a web page cannot send
commands through the console; the WebSocket keeps tornado's same-origin check.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.web
import tornado.websocket

from fsw.link.dictionary import Dictionary
from fsw.link.errors import DecodeError, EncodeError, LinkError
from fsw.link.telemetry import TelemetryDecoder

from .commanding import Commander
from .store import TelemetryStore, datum_of

WEB = Path(__file__).parent / "web"
MAX_PENDING = 200_000   # datums queued for one slow browser before the oldest are dropped
FLUSH_S = 0.01          # datums wait at most this long, so a busy link sends batches


@dataclass
class _Client:
    socket: "FeedSocket"
    pending: list[str] = field(default_factory=list)
    writing: bool = False
    dropped: int = 0


class Console:
    """Decodes packets from a source, keeps them, and fans them out to the browsers."""

    def __init__(self, dictionary: Dictionary, *, source: Any = None,
                 commander: Commander | None = None, describe: str = "") -> None:
        self.dictionary = dictionary
        self.decoder = TelemetryDecoder(dictionary)
        self.store = TelemetryStore()
        self.source, self.commander, self.describe = source, commander, describe
        self.clients: list[_Client] = []
        self.undecodable = 0
        self.forwarded = 0
        self._flush_scheduled = False

    # ------------------------------------------------------------ packets in
    def publish(self, pkt: bytes) -> None:
        try:
            p = self.decoder.decode(pkt)
        except DecodeError:
            self.undecodable += 1
            return
        datum = datum_of(p)
        if datum is None:
            return
        self.store.add(datum)
        out = [json.dumps(datum, allow_nan=False)]
        if datum["k"] == "ack" and self.commander is not None:
            rec = self.commander.on_ack(p.key_id, p.cmd_seq, datum["status"], p.reason, p.t_ns)
            if rec is not None:
                out.append(json.dumps({"k": "cmd", **rec.to_json()}))
        self._queue(out)

    def _queue(self, items: list[str]) -> None:
        for c in self.clients:
            c.pending.extend(items)
            if len(c.pending) > MAX_PENDING:
                drop = len(c.pending) - MAX_PENDING
                del c.pending[:drop]
                c.dropped += drop
        if self.clients and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(FLUSH_S, self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        for c in list(self.clients):
            if c.writing or not c.pending:
                continue
            batch, c.pending = c.pending, []
            try:
                fut = c.socket.write_message("[" + ",".join(batch) + "]")
            except tornado.websocket.WebSocketClosedError:
                self.clients.remove(c)
                continue
            self.forwarded += len(batch)
            c.writing = True
            fut.add_done_callback(lambda _f, c=c: self._written(c))

    def _written(self, c: _Client) -> None:
        c.writing = False
        if c.pending and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(FLUSH_S, self._flush)

    # ------------------------------------------------------------ commands out
    def send_command(self, target: Any, args: Any) -> dict[str, Any]:
        if self.commander is None:
            raise LinkError("this console cannot command: start it with --link and --keys")
        rec = self.commander.send(target, args)
        self._queue([json.dumps({"k": "cmd", **rec.to_json()})])
        return rec.to_json()

    def status(self) -> dict[str, Any]:
        return {"received": self.store.received, "latest_ns": self.store.latest_ns,
                "forwarded": self.forwarded, "undecodable": self.undecodable,
                "clients": len(self.clients), "dropped": sum(c.dropped for c in self.clients),
                "source": self.describe, "commanding": self.commander is not None}


class _Api(tornado.web.RequestHandler):
    def initialize(self, console: Console) -> None:
        self.console = console

    def reply(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(obj, allow_nan=False))

    def number(self, name: str) -> float | None:
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return None
        try:
            return float(raw)
        except ValueError:
            raise tornado.web.HTTPError(400, reason=f"{name} must be a number") from None


class DictionaryHandler(_Api):
    def get(self) -> None:
        c = self.console
        doc = json.loads(c.dictionary.to_json())
        doc["console"] = {"source": c.describe, "commanding": c.commander is not None,
                          "key_id": None if c.commander is None else c.commander.key_id}
        self.reply(doc)


class TelemetryHandler(_Api):
    def get(self) -> None:
        key = self.get_query_argument("key", "")
        latest = self.number("latest")
        self.reply(self.console.store.query(key, self.number("start"), self.number("end"),
                                            None if latest is None else max(1, int(latest))))


class StatusHandler(_Api):
    def get(self) -> None:
        self.reply(self.console.status())


class CommandsHandler(_Api):
    def get(self) -> None:
        cmd = self.console.commander
        self.reply([] if cmd is None else [r.to_json() for r in cmd.history])

    def post(self) -> None:
        if self.request.headers.get("X-MSR-Console") != "1":
            return self.reply({"error": "missing X-MSR-Console header"}, 403)
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return self.reply({"error": f"body is not a JSON object: {exc}"}, 400)
        try:
            self.reply(self.console.send_command(body.get("target"), body.get("args")))
        except EncodeError as exc:
            self.reply({"error": str(exc)}, 400)
        except LinkError as exc:
            self.reply({"error": str(exc)}, 409)


class FeedSocket(tornado.websocket.WebSocketHandler):
    def initialize(self, console: Console) -> None:
        self.console = console
        self.client: _Client | None = None

    def open(self) -> None:
        self.client = _Client(self)
        self.console.clients.append(self.client)
        self.write_message(json.dumps([{"k": "hello", **self.console.status()}]))

    def on_message(self, message: Any) -> None:
        """The feed is one-way; anything the browser says is ignored."""

    def on_close(self) -> None:
        if self.client in self.console.clients:
            self.console.clients.remove(self.client)


class IndexHandler(tornado.web.RequestHandler):
    def initialize(self, openmct_dist: Path | None) -> None:
        self.openmct_dist = openmct_dist

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        if self.openmct_dist is None:
            self.set_status(503)
            return self.finish("<!doctype html><title>MSR console</title><p>Open MCT is not "
                               "installed: run <code>msr gds web --install</code> (or "
                               "<code>make console</code>). The API is up: "
                               "<a href='/api/status'>/api/status</a>.</p>")
        self.finish((WEB / "index.html").read_bytes())


def listen(app: tornado.web.Application, host: str, port: int) -> tuple[Any, int]:
    """Serve `app` on host:port (0: any free port); (server, the port bound)."""
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets
    sockets = bind_sockets(port, address=host)
    server = HTTPServer(app)
    server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


def make_app(console: Console, openmct_dist: Path | None) -> tornado.web.Application:
    kw = {"console": console}
    routes: list[Any] = [
        (r"/", IndexHandler, {"openmct_dist": openmct_dist}),
        (r"/api/dictionary", DictionaryHandler, kw),
        (r"/api/telemetry", TelemetryHandler, kw),
        (r"/api/status", StatusHandler, kw),
        (r"/api/commands", CommandsHandler, kw),
        (r"/ws", FeedSocket, kw),
        (r"/msr/(.*)", tornado.web.StaticFileHandler, {"path": str(WEB)}),
    ]
    if openmct_dist is not None:
        routes.append((r"/openmct/(.*)", tornado.web.StaticFileHandler, {"path": str(openmct_dist)}))
    return tornado.web.Application(routes, websocket_ping_interval=20)
