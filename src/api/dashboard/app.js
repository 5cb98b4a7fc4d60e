import { api, setToken, takeTokenFromFragment } from './api.js';
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
  $('#detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [html('dt', {}, k), html('dd', { 'data-fact': k }, v)]));
  $('#history').replaceChildren(...a.history.map((h) => html('li', { 'data-action': h.action }, `${fmt(h.at)} ${h.by}: ${h.action} (${h.from} → ${h.to})${h.assignee ? ` to ${h.assignee}` : ''}${h.note ? ` — ${h.note}` : ''}`)));
  $('#ack').disabled = a.status !== 'open';
  $('#close').disabled = a.status === 'closed';
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

async function act(action) {
  if (!selectedId) return;
  $('#action-msg').textContent = '';
  try {
    upsert(await api(`/api/alerts/${encodeURIComponent(selectedId)}/actions`, { method: 'POST', body: JSON.stringify({ action }) }));
  } catch (err) {
    $('#action-msg').textContent = err.status === 401 || err.status === 403 ? `${err.message}: paste a write token above` : err.message;
  }
}

async function main() {
  const [land, countries] = await Promise.all([fetch('/vendor/land-50m.json').then((r) => r.json()), fetch('/vendor/countries-110m.json').then((r) => r.json())]);
  map = new WorldMap($('#map'), land, countries);
  map.render();
  $('#ack').addEventListener('click', () => act('acknowledge'));
  $('#close').addEventListener('click', () => act('close'));
  $('#reopen').addEventListener('click', () => act('reopen'));
  $('#show-world').addEventListener('click', () => map.setFocus(null));
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('#token').value.trim());
    $('#token').value = '';
  });
  const seq = await loadAlerts();
  follow('/api/alerts/stream', seq, {
    state: (s) => {
      $('#conn').dataset.state = s;
      $('#conn').textContent = s;
    },
    event: (type, data) => {
      if (type === 'reset') loadAlerts().catch(() => undefined);
      else upsert(data);
    },
  });
  await Promise.all([refreshContainers(), refreshTrips()]);
  setInterval(() => refreshContainers().catch(() => undefined), 3000);
  setInterval(() => refreshTrips().catch(() => undefined), 15000);
}

main().catch((err) => {
  $('#conn').dataset.state = 'error';
  $('#conn').textContent = `error: ${err.message}`;
});
