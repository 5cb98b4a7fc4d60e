import { api, authHeaders, setCentre, setToken, takeTokenFromFragment, withCentre } from './api.js';
import { el, WorldMap } from './map.js';
import { follow } from './stream.js';

// The targeting centre's live view: alerts from the SSE stream, containers
// and tracks from the API, evidence of the selected alert.
takeTokenFromFragment();

const $ = (sel) => document.querySelector(sel);
const alerts = new Map();
let selectedId = null;
let map = null;
const trackStamp = new Map();
let stream = null;
let precisionTimer = null;

function html(tag, attrs = {}, text = '') {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text) e.textContent = text;
  return e;
}

function fmt(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') : '';
}

function renderList() {
  const items = [...alerts.values()].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.alertId < b.alertId ? -1 : 1));
  const ul = $('#alerts');
  ul.replaceChildren(
    ...items.map((a) => {
      const li = html('li', { 'data-alert-id': a.alertId, 'data-severity': a.severity, 'data-status': a.status, class: a.alertId === selectedId ? 'selected' : null });
      const head = html('div');
      head.append(html('span', { class: 'rule' }, a.rule), html('span', { class: 'badge' }, a.severity), html('span', { class: 'badge status' }, a.status));
      li.append(head, html('div', { class: 'meta' }, `${a.containerId} · ${a.tripId ?? 'no trip'} · ${fmt(a.startedAt)}`), html('div', { class: 'summary' }, a.summary));
      li.addEventListener('click', () => select(a.alertId));
      return li;
    }),
  );
  const open = items.filter((a) => a.status !== 'closed').length;
  $('#counts').textContent = `${items.length} alerts, ${open} not closed`;
  map?.update({ alerts: items });
}

function upsert(a) {
  alerts.set(a.alertId, a);
  renderList();
  if (a.alertId === selectedId) renderDetail(a);
}

async function loadAlerts() {
  const page = await api('/api/alerts?limit=500');
  alerts.clear();
  for (const a of page.items) alerts.set(a.alertId, a);
  renderList();
  return page.streamSeq;
}

async function refreshContainers() {
  const { items } = await api('/api/containers');
  const tracks = map.data.tracks;
  await Promise.all(
    items.map(async (c) => {
      if (trackStamp.get(c.containerId) === c.lastSeenAt) return;
      trackStamp.set(c.containerId, c.lastSeenAt);
      const t = await api(`/api/containers/${c.containerId}/track?limit=500`);
      tracks.set(c.containerId, t.points);
    }),
  );
  map.update({ containers: items, tracks });
}

async function refreshTrips() {
  const { items } = await api('/api/trips');
  map.update({ zones: items.flatMap((t) => t.zones.map((z) => ({ ...z, tripId: t.plan.tripId }))) });
}

function renderDetail(a) {
  $('#detail').hidden = false;
  $('#detail').dataset.alertId = a.alertId;
  $('#detail').dataset.status = a.status;
  $('#detail-title').textContent = `${a.rule} · ${a.severity} · ${a.status}`;
  $('#detail-summary').textContent = a.summary;
  const facts = [
    ['alert', a.alertId],
    ['container', a.containerId],
    ['trip', a.tripId ?? '-'],
    ['device', a.deviceId],
    ['started', fmt(a.startedAt)],
    ['detected', fmt(a.detectedAt)],
    ['location', a.location ? `${a.location.lat.toFixed(3)}, ${a.location.lon.toFixed(3)}` : 'unknown'],
    ['assignee', a.assignee ?? '-'],
  ];
  if (a.status === 'closed') facts.push(['disposition', a.disposition ?? 'none recorded']);
  if (a.ruleVersion !== undefined) facts.push(['rule version', String(a.ruleVersion)]);
  $('#detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [html('dt', {}, k), html('dd', { 'data-fact': k }, v)]));
  $('#history').replaceChildren(
    ...a.history.map((h) =>
      html(
        'li',
        { 'data-action': h.action, 'data-disposition': h.disposition ?? null },
        `${fmt(h.at)} ${h.by}: ${h.action}${h.disposition ? ` as ${h.disposition}` : ''} (${h.from} → ${h.to})${h.assignee ? ` to ${h.assignee}` : ''}${h.note ? ` — ${h.note}` : ''}`,
      ),
    ),
  );
  $('#ack').disabled = a.status !== 'open';
  for (const b of document.querySelectorAll('button.close')) b.disabled = a.status === 'closed';
  $('#reopen').disabled = a.status !== 'closed';
}

function describe(r) {
  switch (r.kind) {
    case 'door':
      return r.open ? 'door OPEN' : 'door closed';
    case 'light':
      return `light ${r.lux} lux`;
    case 'temperature':
      return `temperature ${r.celsius} °C${r.setpointC !== undefined ? ` (setpoint ${r.setpointC})` : ''}`;
    case 'location':
      return `position ${r.lat.toFixed(4)}, ${r.lon.toFixed(4)}${r.speedKn !== undefined ? ` ${r.speedKn} kn` : ''}`;
    default:
      return r.kind;
  }
}

function renderTimeline(ev) {
  const svg = $('#timeline');
  const from = Date.parse(ev.from);
  const to = Date.parse(ev.to);
  const kinds = ['door', 'light', 'temperature', 'location'];
  const x = (t) => 70 + ((t - from) / Math.max(1, to - from)) * 520;
  const children = [];
  kinds.forEach((k, i) => {
    const y = 20 + i * 25;
    children.push(el('line', { class: 'axis', x1: 70, x2: 590, y1: y, y2: y }));
    const label = el('text', { x: 2, y: y + 3 });
    label.textContent = k;
    children.push(label);
  });
  for (const r of ev.readings) {
    const i = kinds.indexOf(r.kind);
    const dot = el('circle', { class: `dot${r.evidence ? ' evidence' : ''}`, cx: x(Date.parse(r.measuredAt)), cy: 20 + i * 25, r: r.evidence ? 4 : 2.5, 'data-kind': r.kind, 'data-event-id': r.eventId });
    const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    t.textContent = `${fmt(r.measuredAt)} ${describe(r)}`;
    dot.append(t);
    children.push(dot);
  }
  const at = x(Date.parse(ev.alert.startedAt));
  children.push(el('line', { class: 'alert-time', x1: at, x2: at, y1: 8, y2: 112 }));
  const lf = el('text', { x: 70, y: 126 });
  lf.textContent = fmt(ev.from);
  const lt = el('text', { x: 480, y: 126 });
  lt.textContent = fmt(ev.to);
  children.push(lf, lt);
  svg.replaceChildren(...children);
  $('#evidence-list').replaceChildren(
    ...ev.readings.map((r) => html('li', { class: r.evidence ? 'evidence' : null, 'data-kind': r.kind, 'data-event-id': r.eventId }, `${fmt(r.measuredAt)}  ${describe(r)}${r.evidence ? '  ← evidence' : ''}`)),
  );
}

async function select(alertId) {
  selectedId = alertId;
  const a = alerts.get(alertId);
  renderList();
  renderDetail(a);
  $('#action-msg').textContent = '';
  const ev = await api(`/api/alerts/${encodeURIComponent(alertId)}/evidence`);
  if (selectedId !== alertId) return;
  renderTimeline(ev);
  const points = ev.track.map((f) => [f.lon, f.lat]);
  if (a.location) points.push([a.location.lon, a.location.lat]);
  map.update({ selected: { alertId, track: ev.track } });
  if (points.length) map.setFocus(contextBox(points, 8));
}

/** The points' bounding box widened to at least `minDeg` degrees, so the coast and ports around a track show. */
function contextBox(points, minDeg) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  let [w, e, s, n] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const cx = (w + e) / 2;
  const cy = (s + n) / 2;
  const hw = Math.max((e - w) / 2, minDeg / 2) * 1.1;
  const hh = Math.max((n - s) / 2, minDeg / 4) * 1.1;
  [w, e, s, n] = [cx - hw, cx + hw, Math.max(-89, cy - hh), Math.min(89, cy + hh)];
  return {
    type: 'MultiPoint',
    coordinates: [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
    ],
  };
}

async function act(action, disposition) {
  if (!selectedId) return;
  $('#action-msg').textContent = '';
  try {
    upsert(await api(`/api/alerts/${encodeURIComponent(selectedId)}/actions`, { method: 'POST', body: JSON.stringify(disposition ? { action, disposition } : { action }) }));
    await refreshPrecision();
  } catch (err) {
    $('#action-msg').textContent = err.status === 401 || err.status === 403 ? `${err.message}: paste a write token above` : err.message;
  }
}

function pct(p) {
  return p === null || p === undefined ? '–' : `${Math.round(p * 100)}%`;
}

/** The precision panel: per rule, the dispositions and confirmed / (confirmed + false alarms), with the weekly series as small bars. */
async function refreshPrecision() {
  const st = await api('/api/stats?bucket=week');
  const weeks = [...new Set(st.series.map((p) => p.start))].sort().slice(-8);
  $('#precision tbody').replaceChildren(
    ...st.rules.map((r) => {
      const tr = html('tr', { 'data-rule': r.rule, 'data-precision': r.precision ?? '', 'data-confirmed': r.dispositions['confirmed-breach'], 'data-false-alarms': r.dispositions['false-alarm'] });
      const d = r.dispositions;
      for (const [v, cls] of [
        [r.rule, 'rule'],
        [r.raised, 'raised'],
        [r.open + r.acknowledged, 'open'],
        [d['confirmed-breach'], 'confirmed'],
        [d['false-alarm'], 'false-alarm'],
        [d.duplicate, 'duplicate'],
        [d['not-our-jurisdiction'], 'not-ours'],
        [pct(r.precision), 'precision'],
      ])
        tr.append(html('td', { class: cls }, String(v)));
      const bars = html('td', { class: 'weeks' });
      for (const w of weeks) {
        const p = st.series.find((x) => x.start === w && x.rule === r.rule);
        const bar = html('span', { class: `bar${p?.precision === null || !p ? ' none' : ''}`, title: `week of ${w.slice(0, 10)}: ${p ? `${pct(p.precision)} of ${p.confirmed + p.falseAlarms} judged, ${p.raised} raised` : 'no alerts'}` });
        bar.style.height = `${p && p.precision !== null ? Math.max(2, Math.round(p.precision * 16)) : 2}px`;
        bars.append(bar);
      }
      tr.append(bars);
      return tr;
    }),
  );
  $('#precision').dataset.total = st.totals.precision ?? '';
}

/** Debounced: a burst of status events refetches the statistics once. */
function schedulePrecision() {
  clearTimeout(precisionTimer);
  precisionTimer = setTimeout(() => refreshPrecision().catch(() => undefined), 300);
}

/** Exports are fetched with the token (a plain link could not send it) and saved as the server names them. */
async function download(path) {
  const res = await fetch(withCentre(path), { headers: authHeaders() });
  if (!res.ok) {
    $('#action-msg').textContent = `export: HTTP ${res.status}`;
    return;
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export';
  const url = URL.createObjectURL(await res.blob());
  const a = html('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderCentre(me) {
  const v = me.view;
  const info = $('#centre-info');
  info.dataset.centre = v ? v.name : '';
  info.textContent = v ? `${v.label ?? v.name} · ${v.scope.join(', ')}` : me.centres.length ? 'all centres' : '';
  info.title = v ? `centre ${v.name}: containers whose plans start, end or transship in ${v.scope.join(', ')}` : 'every jurisdiction';
  const canPick = me.centre === null && me.centres.length > 0;
  $('#centre-pick').hidden = !canPick;
  if (canPick && $('#centre-picker').options.length === 0) {
    $('#centre-picker').replaceChildren(html('option', { value: '' }, 'all centres'), ...me.centres.map((c) => html('option', { value: c.name }, c.label ? `${c.label} (${c.name})` : c.name)));
  }
}

/** Everything the view shows, for the centre now chosen: alerts, the live stream from their sequence on, containers, zones, precision. */
async function loadView() {
  stream?.stop();
  renderCentre(await api('/api/me'));
  selectedId = null;
  $('#detail').hidden = true;
  map.update({ selected: null, tracks: new Map(), containers: [], zones: [] });
  map.setFocus(null);
  trackStamp.clear();
  const seq = await loadAlerts();
  stream = follow('/api/alerts/stream', seq, {
    state: (s) => {
      $('#conn').dataset.state = s;
      $('#conn').textContent = s;
    },
    event: (type, data) => {
      if (type === 'reset') loadAlerts().catch(() => undefined);
      else upsert(data);
      schedulePrecision();
    },
  });
  await Promise.all([refreshContainers(), refreshTrips(), refreshPrecision()]);
}

async function main() {
  const [land, countries] = await Promise.all([fetch('/vendor/land-50m.json').then((r) => r.json()), fetch('/vendor/countries-110m.json').then((r) => r.json())]);
  map = new WorldMap($('#map'), land, countries);
  map.render();
  $('#ack').addEventListener('click', () => act('acknowledge'));
  for (const b of document.querySelectorAll('button.close')) b.addEventListener('click', () => act('close', b.dataset.disposition));
  $('#reopen').addEventListener('click', () => act('reopen'));
  for (const a of document.querySelectorAll('.exports a[data-format]')) a.addEventListener('click', () => selectedId && download(`/api/alerts/${encodeURIComponent(selectedId)}/evidence?format=${a.dataset.format}`));
  $('#export-dcsa').addEventListener('click', () => {
    const a = alerts.get(selectedId);
    if (a) download(`/api/containers/${encodeURIComponent(a.containerId)}/dcsa-events`);
  });
  $('#show-world').addEventListener('click', () => map.setFocus(null));
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('#token').value.trim());
    $('#token').value = '';
    loadView().catch(() => undefined);
  });
  $('#centre-picker').addEventListener('change', () => {
    setCentre($('#centre-picker').value);
    loadView().catch((err) => {
      $('#conn').textContent = `error: ${err.message}`;
    });
  });
  await loadView();
  setInterval(() => refreshContainers().catch(() => undefined), 3000);
  setInterval(() => refreshTrips().catch(() => undefined), 15000);
}

main().catch((err) => {
  $('#conn').dataset.state = 'error';
  $('#conn').textContent = `error: ${err.message}`;
});
