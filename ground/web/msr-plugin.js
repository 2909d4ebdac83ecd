/*
 * The MSR plugin for Open MCT: everything the console shows comes from the bridge
 * (ground/server.py) and the flight's dictionary.
 *
 * - objects: MSR -> vehicle -> component (a LAD table of its channels) -> channels, and per
 *   vehicle the events table, the command acks table and the command panel;
 * - telemetry: history from /api/telemetry, real time from the /ws feed;
 * - time: Open MCT's UTC time system holding spacecraft time (t = 0 is 1970-01-01T00:00Z),
 *   and a clock that ticks with the latest telemetry, so "real time" follows the vehicle
 *   (a replay at 10x moves 10x faster);
 * - the command panel: forms built from the dictionary (types, ranges, enumerations); the
 *   bridge signs, sends, and reports acks into the history.
 * Object keys are "kind.path" (ch.mav.nav.altitude_m); the API's keys are "kind:path".
 */
(function () {
  'use strict';
  const NS = 'msr';
  const TICK_MS = 250;
  const stats = { datums: 0, requests: {}, points: {} };

  // ------------------------------------------------------------------ the feed
  class Feed {
    constructor() {
      this.subs = new Map();
      this.cmdListeners = new Set();
      this.clock = null;
      this.connect();
    }
    connect() {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
      ws.onmessage = (msg) => JSON.parse(msg.data).forEach((d) => this.dispatch(d));
      ws.onclose = () => setTimeout(() => this.connect(), 1000);
      this.ws = ws;
    }
    subscribe(key, fn) {
      if (!this.subs.has(key)) this.subs.set(key, new Set());
      this.subs.get(key).add(fn);
      return () => this.subs.get(key).delete(fn);
    }
    emit(key, datum) {
      const set = this.subs.get(key);
      if (set) set.forEach((fn) => fn(datum));
    }
    dispatch(d) {
      if (d.k === 'cmd') return this.cmdListeners.forEach((fn) => fn(d));
      if (d.k === 'hello') {
        if (d.latest_ns !== null && this.clock) this.clock.tick(d.latest_ns / 1e6);
        return;
      }
      stats.datums += 1;
      if (this.clock) this.clock.tick(d.utc);
      if (d.k === 'ch') {
        for (const [name, value] of Object.entries(d.values)) {
          this.emit(`ch.${d.vehicle}.${d.component}.${name}`, { utc: d.utc, t_ns: d.t_ns, value });
        }
      } else if (d.k === 'ev') {
        this.emit(`ev.${d.vehicle}`, d);
        this.emit(`ev.${d.vehicle}.${d.component}`, d);
      } else if (d.k === 'ack') {
        this.emit(`ack.${d.vehicle}`, d);
      }
    }
  }

  // ------------------------------------------------------------------ the clock
  class SpacecraftClock {
    constructor() {
      this.key = 'msr.spacecraft';
      this.name = 'Spacecraft time';
      this.cssClass = 'icon-clock';
      this.description = 'Ticks with the time of the latest telemetry received';
      this.listeners = new Set();
      this.last = 0;
      this.timer = null;
    }
    on(event, fn) {
      if (event === 'tick') this.listeners.add(fn);
      return this;
    }
    off(event, fn) {
      if (event === 'tick') this.listeners.delete(fn);
      return this;
    }
    once() {
      return this;
    }
    currentValue() {
      return this.last;
    }
    tickNow(t) {
      this.last = Math.max(this.last, t);
      this.listeners.forEach((fn) => fn(this.last));
    }
    tick(t) {
      if (!(t > this.last)) return;
      this.last = t;
      if (this.timer === null) {   // at most a few ticks a second, however fast the data
        this.timer = setTimeout(() => {
          this.timer = null;
          this.listeners.forEach((fn) => fn(this.last));
        }, TICK_MS);
      }
    }
  }

  // ------------------------------------------------------------------ objects
  const id = (key) => ({ namespace: NS, key });
  const apiKey = (key) => key.replace('.', ':');
  const TIME = { key: 'utc', source: 'utc', name: 'Spacecraft time', format: 'utc', hints: { domain: 1 } };

  function channelValue(ch) {
    const v = { key: 'value', name: ch.name, hints: { range: 1 } };
    if (ch.units) v.unit = ch.units;
    if (ch.type === 'string') v.format = 'string';
    if (ch.type === 'bool') {
      v.format = 'enum';
      v.enumerations = [{ value: 0, string: 'False' }, { value: 1, string: 'True' }];
    }
    return v;
  }

  function buildObjects(dict) {
    const objs = {};
    const root = { identifier: id('root'), name: 'MSR ground', type: 'folder', composition: [], location: 'ROOT' };
    objs.root = root;
    for (const v of dict.vehicles) {
      const vk = `v.${v.name}`;
      const vobj = { identifier: id(vk), name: v.name, type: 'folder', composition: [], location: `${NS}:root` };
      root.composition.push(id(vk));
      objs[vk] = vobj;
      const add = (key, obj) => {
        objs[key] = Object.assign({ identifier: id(key), location: `${NS}:${vk}` }, obj);
        vobj.composition.push(id(key));
      };
      add(`cmd.${v.name}`, { name: 'Commands', type: 'msr.commands', vehicle: v });
      add(`ev.${v.name}`, { name: 'Events', type: 'msr.events', telemetry: { values: EVENT_VALUES } });
      add(`ack.${v.name}`, { name: 'Command acks', type: 'msr.acks', telemetry: { values: ACK_VALUES } });
      for (const c of v.components) {
        const ck = `c.${v.name}.${c.name}`;
        add(ck, { name: c.name, type: 'LadTable', composition: [] });
        for (const ch of c.channels) {
          const key = `ch.${v.name}.${c.name}.${ch.name}`;
          objs[key] = {
            identifier: id(key), name: `${c.name}.${ch.name}`, type: 'msr.channel', location: `${NS}:${ck}`,
            wireType: ch.type, telemetry: { values: [TIME, channelValue(ch)] }
          };
          objs[ck].composition.push(id(key));
        }
        const ek = `ev.${v.name}.${c.name}`;
        objs[ek] = { identifier: id(ek), name: `${c.name} events`, type: 'msr.events', location: `${NS}:${ck}`,
          telemetry: { values: EVENT_VALUES } };
        objs[ck].composition.push(id(ek));
      }
    }
    return objs;
  }

  const EVENT_VALUES = [
    TIME,
    { key: 'severity', name: 'Severity', format: 'string' },
    { key: 'component', name: 'Component', format: 'string' },
    { key: 'event', source: 'name', name: 'Event', format: 'string' },
    { key: 'text', name: 'Message', format: 'string', hints: { range: 1 } }
  ];
  const ACK_VALUES = [
    TIME,
    { key: 'status', name: 'Status', format: 'string', hints: { range: 1 } },
    { key: 'key_id', name: 'Key id', format: 'string' },
    { key: 'cmd_seq', name: 'Sequence', format: 'string' },
    { key: 'reason', name: 'Reason', format: 'string' }
  ];

  // ------------------------------------------------------------------ telemetry
  function toDatum(obj, d) {
    if (obj.type === 'msr.channel' && obj.wireType === 'bool') return Object.assign({}, d, { value: d.value ? 1 : 0 });
    return d;
  }

  function telemetryProvider(feed) {
    const ours = (o) => o.identifier.namespace === NS && o.telemetry !== undefined;
    return {
      supportsRequest: ours,
      supportsSubscribe: ours,
      request(obj, options = {}) {
        const key = obj.identifier.key;
        const q = new URLSearchParams({ key: apiKey(key) });
        if (Number.isFinite(options.start)) q.set('start', options.start);
        if (Number.isFinite(options.end)) q.set('end', options.end);
        if (options.strategy === 'latest') q.set('latest', options.size || 1);
        stats.requests[key] = (stats.requests[key] || 0) + 1;
        return fetch(`/api/telemetry?${q}`)
          .then((r) => r.json())
          .then((rows) => {
            stats.points[key] = Math.max(stats.points[key] || 0, rows.length);
            return rows.map((d) => toDatum(obj, d));
          });
      },
      subscribe(obj, callback) {
        return feed.subscribe(obj.identifier.key, (d) => callback(toDatum(obj, d)));
      }
    };
  }

  // ------------------------------------------------------------------ the command panel
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'style') e.style.cssText = v;
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
    }
    children.forEach((c) => e.append(c));
    return e;
  }

  function argInput(a) {
    const name = `cmd-arg-${a.name}`;
    const choices = a.choices && a.choices.length ? a.choices : null;
    if (a.type === 'enum' || choices) {
      return el('select', { 'data-msr': name }, ...(choices || []).map((c) => el('option', { value: c }, c)));
    }
    if (a.type === 'bool') return el('input', { type: 'checkbox', 'data-msr': name });
    if (a.type === 'i64' || a.type === 'f64') {
      return el('input', { type: 'number', 'data-msr': name, step: a.type === 'i64' ? '1' : 'any',
        min: a.lo, max: a.hi, required: true, style: 'width: 10em' });
    }
    return el('input', { type: 'text', 'data-msr': name, style: 'width: 16em' });
  }

  function argValue(a, input) {
    if (a.type === 'bool') return input.checked;
    if (a.type === 'i64' || a.type === 'f64') {
      if (input.value === '' || !input.checkValidity()) {
        const range = `${a.lo ?? '-inf'}..${a.hi ?? 'inf'}`;
        throw new Error(`${a.name}: a ${a.type === 'i64' ? 'whole ' : ''}number in ${range}`);
      }
      return Number(input.value);
    }
    return input.value;
  }

  function commandView(obj, feed) {
    const v = obj.vehicle;
    const comps = v.components.filter((c) => c.commands.length);
    let history = new Map();
    let root = null;
    const render = {};
    return {
      show(container) {
        const compSel = el('select', { 'data-msr': 'cmd-component' }, ...comps.map((c) => el('option', { value: c.name }, c.name)));
        const cmdSel = el('select', { 'data-msr': 'cmd-command' });
        const args = el('div', { style: 'display: flex; gap: 1em; flex-wrap: wrap; margin: .5em 0' });
        const status = el('div', { 'data-msr': 'cmd-status', style: 'min-height: 1.4em' });
        const send = el('button', { 'data-msr': 'cmd-send', class: 'c-button c-button--major' }, 'Send');
        const rows = el('tbody');
        const table = el('table', { class: 'c-table', style: 'width: 100%; margin-top: 1em' },
          el('thead', {}, el('tr', {}, ...['#', 'Command', 'Arguments', 'Seq', 'Status', 'Reason'].map((h) => el('th', {}, h)))), rows);
        const info = el('div', { style: 'opacity: .7; margin: .3em 0' });
        let current = null;
        const commands = () => comps.find((c) => c.name === compSel.value).commands;
        const pick = () => {
          current = commands().find((c) => c.name === cmdSel.value);
          args.replaceChildren(...current.args.map((a) => {
            const range = a.lo !== null || a.hi !== null ? ` [${a.lo ?? ''}..${a.hi ?? ''}]` : '';
            return el('label', {}, `${a.name} (${a.type}${range}) `, argInput(a));
          }));
          info.textContent = `${current.doc ? current.doc + ' · ' : ''}allowed modes: ${current.modes ? current.modes.join(', ') : 'any'}`;
        };
        const fillCommands = () => {
          cmdSel.replaceChildren(...commands().map((c) => el('option', { value: c.name }, c.name)));
          pick();
        };
        compSel.onchange = fillCommands;
        cmdSel.onchange = pick;
        render.row = (r) => {
          const tr = el('tr', { 'data-msr': 'cmd-row', 'data-status': r.status, 'data-target': r.target },
            ...[r.id, r.target, JSON.stringify(r.args), r.seq, r.status, r.reason].map((x) => el('td', {}, String(x))));
          const old = history.get(r.id);
          if (old) old.replaceWith(tr); else rows.prepend(tr);
          history.set(r.id, tr);
        };
        send.onclick = () => {
          let values;
          try {
            values = Object.fromEntries(current.args.map((a) => [a.name, argValue(a, args.querySelector(`[data-msr="cmd-arg-${a.name}"]`))]));
          } catch (e) {
            status.textContent = `not sent: ${e.message}`;
            return;
          }
          const target = `${compSel.value}.${current.name}`;
          fetch('/api/commands', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-MSR-Console': '1' },
            body: JSON.stringify({ target, args: values }) })
            .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
            .then(({ ok, body }) => {
              status.textContent = ok ? `sent ${target} (seq ${body.seq}), waiting for its ack` : `refused: ${body.error}`;
              if (ok) render.row(body);
            });
        };
        root = el('div', { class: 'c-msr-commands', style: 'padding: 1em; overflow: auto; height: 100%' },
          el('div', {}, 'Component ', compSel, ' Command ', cmdSel, ' ', send), info, args, status, el('h3', {}, 'Command history'), table);
        container.append(root);
        if (comps.length) fillCommands();
        this.unlisten = feed.onCommand((r) => {
          render.row(r);
          if (r.status !== 'SENT') status.textContent = `${r.target} (seq ${r.seq}): ${r.status} ${r.reason}`;
        });
        fetch('/api/commands').then((r) => r.json()).then((list) => list.forEach(render.row));
        fetch('/api/dictionary').then((r) => r.json()).then((d) => {
          if (!d.console.commanding) {
            send.disabled = true;
            status.textContent = 'read only: start msr gds web with --link, --keys and --key-id to command';
          }
        });
      },
      destroy() {
        if (this.unlisten) this.unlisten();
        history = new Map();
        if (root) root.remove();
      }
    };
  }

  // ------------------------------------------------------------------ the plugin
  function plugin() {
    return function install(openmct) {
      const feed = new Feed();
      feed.onCommand = (fn) => {
        feed.cmdListeners.add(fn);
        return () => feed.cmdListeners.delete(fn);
      };
      const clock = new SpacecraftClock();
      feed.clock = clock;
      openmct.time.addClock(clock);

      const dictionary = fetch('/api/dictionary').then((r) => r.json());
      const objects = dictionary.then(buildObjects);
      openmct.types.addType('msr.channel', { name: 'MSR channel', cssClass: 'icon-telemetry', description: 'A dictionary channel' });
      openmct.types.addType('msr.events', { name: 'MSR events', cssClass: 'icon-tabular-realtime', description: 'Events with severities' });
      openmct.types.addType('msr.acks', { name: 'MSR command acks', cssClass: 'icon-tabular-realtime', description: 'Acknowledgements' });
      openmct.types.addType('msr.commands', { name: 'MSR command panel', cssClass: 'icon-command', description: 'Signed commands from the dictionary' });
      openmct.objects.addRoot(id('root'));
      openmct.objects.addProvider(NS, { get: (identifier) => objects.then((o) => o[identifier.key]) });
      openmct.telemetry.addProvider(telemetryProvider(feed));
      openmct.objectViews.addProvider({
        key: 'msr.commands.view', name: 'Command panel', cssClass: 'icon-command',
        canView: (o) => o.type === 'msr.commands',
        view: (o) => commandView(o, feed),
        priority: () => 1
      });
      const MIN = 60 * 1000;
      openmct.install(openmct.plugins.Conductor({
        menuOptions: [
          { name: 'Spacecraft real time', timeSystem: 'utc', clock: clock.key, clockOffsets: { start: -15 * MIN, end: 15 * 1000 } },
          { name: 'Fixed', timeSystem: 'utc', bounds: { start: 0, end: 15 * MIN } }
        ]
      }));
      window.msrConsole = { stats, feed, clock };
    };
  }

  // Start Open MCT once the clock knows the latest spacecraft time, so the first real-time
  // bounds (and the LAD tables' "latest" requests) are the vehicle's, not t = 0.
  function start(openmct) {
    return fetch('/api/status')
      .then((r) => r.json())
      .then((s) => {
        if (s.latest_ns !== null && window.msrConsole) window.msrConsole.clock.tickNow(s.latest_ns / 1e6);
      })
      .finally(() => openmct.start());
  }

  window.MsrConsole = { plugin, start, buildObjects };
})();
