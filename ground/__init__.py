"""The ground segment's console: a bridge from CCSDS telemetry to NASA Open MCT in a browser.

Layer: above `fsw` (it decodes with `fsw.link`), beside `sim` and `hil`, never imported by
flight or simulation code (import-linter contracts in pyproject.toml). Its Python
dependencies are the `console` extra (tornado); Open MCT itself is an npm package installed
on demand (`msr gds web --install`), so the core package never needs node.

- `store`: what has been received, for historical queries (time range, channel);
- `sources`: where packets come from: a paced log replay, a growing log, a live UDP link;
- `commanding`: signs commands with a key file and matches their acks;
- `server`: the HTTP API, the WebSocket feed and the static files;
- `openmct`: where Open MCT is installed and how (npm ci of a pinned lock file).
"""
