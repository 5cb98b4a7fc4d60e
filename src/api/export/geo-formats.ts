import type { Alert } from '../../model/alert.js';
import type { WireReading } from '../../model/reading.js';
import type { Fix } from '../container-view.js';

/**
 * A container's track and an alert's evidence as GeoJSON (RFC 7946), CSV
 * (RFC 4180) and KML 2.2: what GIS tools, spreadsheets and Google Earth
 * open. Pure functions of what the JSON routes answer.
 */

export type EvidenceReading = WireReading & { evidence: boolean };

export interface TrackExport {
  containerId: string;
  points: readonly Fix[];
}

export interface EvidenceExport {
  alert: Alert;
  from: string;
  to: string;
  readings: readonly EvidenceReading[];
  track: readonly Fix[];
}

type Geometry = { type: 'Point'; coordinates: [number, number] } | { type: 'LineString'; coordinates: Array<[number, number]> } | null;
interface Feature {
  type: 'Feature';
  id?: string;
  geometry: Geometry;
  properties: Record<string, unknown>;
}

const point = (lon: number, lat: number): Geometry => ({ type: 'Point', coordinates: [lon, lat] });
const line = (fixes: readonly Fix[]): Geometry => (fixes.length >= 2 ? { type: 'LineString', coordinates: fixes.map((f) => [f.lon, f.lat]) } : null);

function fixFeature(f: Fix, extra: Record<string, unknown> = {}): Feature {
  return { type: 'Feature', ...(f.eventId ? { id: f.eventId } : {}), geometry: point(f.lon, f.lat), properties: { kind: 'fix', at: f.at, speedKn: f.speedKn, headingDeg: f.headingDeg, eventId: f.eventId || null, ...extra } };
}

export function trackGeoJson(t: TrackExport): string {
  const features: Feature[] = [];
  const l = line(t.points);
  if (l) features.push({ type: 'Feature', geometry: l, properties: { kind: 'track', containerId: t.containerId, from: t.points[0]!.at, to: t.points[t.points.length - 1]!.at, points: t.points.length } });
  for (const f of t.points) features.push(fixFeature(f, { containerId: t.containerId }));
  return JSON.stringify({ type: 'FeatureCollection', features });
}

/**
 * The alert where it happened, the track around it, and every reading of the
 * window: fixes where they were, other readings (door, light, temperature)
 * without a geometry, since no sensor placed them (RFC 7946 allows null).
 */
export function evidenceGeoJson(e: EvidenceExport): string {
  const a = e.alert;
  const features: Feature[] = [
    {
      type: 'Feature',
      id: a.alertId,
      geometry: a.location ? point(a.location.lon, a.location.lat) : null,
      properties: { kind: 'alert', alertId: a.alertId, rule: a.rule, severity: a.severity, containerId: a.containerId, tripId: a.tripId, startedAt: a.startedAt, detectedAt: a.detectedAt, summary: a.summary, evidence: a.evidence },
    },
  ];
  const l = line(e.track);
  if (l) features.push({ type: 'Feature', geometry: l, properties: { kind: 'track', containerId: a.containerId, from: e.from, to: e.to, points: e.track.length } });
  for (const r of e.readings) features.push({ type: 'Feature', id: r.eventId, geometry: r.kind === 'location' ? point(r.lon, r.lat) : null, properties: readingProperties(r) });
  return JSON.stringify({ type: 'FeatureCollection', features });
}

function readingProperties(r: EvidenceReading): Record<string, unknown> {
  const { kind, eventId, measuredAt, receivedAt, evidence, deviceId } = r;
  const base = { kind, eventId, measuredAt, receivedAt, deviceId, evidence };
  switch (r.kind) {
    case 'location':
      return { ...base, lat: r.lat, lon: r.lon, speedKn: r.speedKn ?? null, headingDeg: r.headingDeg ?? null };
    case 'door':
      return { ...base, open: r.open };
    case 'light':
      return { ...base, lux: r.lux };
    case 'temperature':
      return { ...base, celsius: r.celsius, setpointC: r.setpointC ?? null };
  }
}

/* ---------- CSV ---------- */

/** One CSV field: quoted when it holds a separator, a quote or a line break; a text a spreadsheet would run as a formula is defused. */
function field(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return `${[header, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

export function trackCsv(t: TrackExport): string {
  return csv(
    ['containerId', 'at', 'lat', 'lon', 'speedKn', 'headingDeg', 'eventId'],
    t.points.map((f) => [t.containerId, f.at, f.lat, f.lon, f.speedKn, f.headingDeg, f.eventId]),
  );
}

/** One row per reading of the window, in measurement order; `evidence` marks those the alert names. */
export function evidenceCsv(e: EvidenceExport): string {
  const a = e.alert;
  return csv(
    ['alertId', 'rule', 'containerId', 'measuredAt', 'receivedAt', 'kind', 'eventId', 'evidence', 'lat', 'lon', 'speedKn', 'headingDeg', 'doorOpen', 'lux', 'celsius', 'setpointC'],
    e.readings.map((r) => [
      a.alertId,
      a.rule,
      a.containerId,
      r.measuredAt,
      r.receivedAt,
      r.kind,
      r.eventId,
      r.evidence,
      r.kind === 'location' ? r.lat : null,
      r.kind === 'location' ? r.lon : null,
      r.kind === 'location' ? r.speedKn : null,
      r.kind === 'location' ? r.headingDeg : null,
      r.kind === 'door' ? r.open : null,
      r.kind === 'light' ? r.lux : null,
      r.kind === 'temperature' ? r.celsius : null,
      r.kind === 'temperature' ? r.setpointC : null,
    ]),
  );
}

/* ---------- KML ---------- */

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const coord = (lon: number, lat: number) => `${lon},${lat},0`;

function kmlDocument(name: string, placemarks: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<kml xmlns="http://www.opengis.net/kml/2.2">',
    '<Document>',
    `<name>${xml(name)}</name>`,
    '<Style id="track"><LineStyle><color>ffc06515</color><width>2</width></LineStyle></Style>',
    '<Style id="alert"><IconStyle><color>ff1c1cb7</color><scale>1.3</scale></IconStyle></Style>',
    '<Style id="evidence"><IconStyle><color>ff00abff</color></IconStyle></Style>',
    ...placemarks,
    '</Document>',
    '</kml>',
    '',
  ].join('\n');
}

function trackPlacemark(name: string, fixes: readonly Fix[]): string[] {
  if (fixes.length < 2) return [];
  return [`<Placemark><name>${xml(name)}</name><styleUrl>#track</styleUrl><LineString><tessellate>1</tessellate><coordinates>${fixes.map((f) => coord(f.lon, f.lat)).join(' ')}</coordinates></LineString></Placemark>`];
}

function fixPlacemark(f: Fix, label: string, style = ''): string {
  const speed = f.speedKn === null ? '' : `, ${f.speedKn} kn`;
  return `<Placemark><name>${xml(label)}</name>${style}<description>${xml(`${f.at} ${f.lat}, ${f.lon}${speed}`)}</description><TimeStamp><when>${f.at}</when></TimeStamp><Point><coordinates>${coord(f.lon, f.lat)}</coordinates></Point></Placemark>`;
}

export function trackKml(t: TrackExport): string {
  return kmlDocument(`Track of ${t.containerId}`, [...trackPlacemark(t.containerId, t.points), ...t.points.map((f) => fixPlacemark(f, f.at))]);
}

/**
 * The alert, the track, and each reading of the window. KML has no place for
 * a reading without a position, so a door, light or temperature reading is
 * put at the fix nearest to it in time, and its description says so.
 */
export function evidenceKml(e: EvidenceExport): string {
  const a = e.alert;
  const marks: string[] = [];
  if (a.location)
    marks.push(
      `<Placemark><name>${xml(`${a.rule} ${a.severity}`)}</name><styleUrl>#alert</styleUrl><description>${xml(`${a.summary} [alert ${a.alertId}, started ${a.startedAt}, detected ${a.detectedAt}]`)}</description><TimeStamp><when>${a.startedAt}</when></TimeStamp><Point><coordinates>${coord(a.location.lon, a.location.lat)}</coordinates></Point></Placemark>`,
    );
  marks.push(...trackPlacemark(`Track of ${a.containerId}`, e.track));
  const fixes = e.readings.filter((r): r is EvidenceReading & { kind: 'location' } => r.kind === 'location');
  for (const r of e.readings) {
    const style = r.evidence ? '<styleUrl>#evidence</styleUrl>' : '';
    if (r.kind === 'location') {
      marks.push(fixPlacemark({ at: r.measuredAt, lat: r.lat, lon: r.lon, speedKn: r.speedKn ?? null, headingDeg: r.headingDeg ?? null, eventId: r.eventId }, `${r.evidence ? 'evidence: ' : ''}fix ${r.measuredAt}`, style));
      continue;
    }
    const near = nearestInTime(fixes, Date.parse(r.measuredAt));
    if (!near) continue;
    const what = r.kind === 'door' ? (r.open ? 'door open' : 'door closed') : r.kind === 'light' ? `light ${r.lux} lux` : `temperature ${r.celsius} °C`;
    marks.push(
      `<Placemark><name>${xml(`${r.evidence ? 'evidence: ' : ''}${what}`)}</name>${style}<description>${xml(`${r.measuredAt} ${what} (${r.eventId}); placed at the fix of ${near.measuredAt}`)}</description><TimeStamp><when>${r.measuredAt}</when></TimeStamp><Point><coordinates>${coord(near.lon, near.lat)}</coordinates></Point></Placemark>`,
    );
  }
  return kmlDocument(`Alert ${a.rule} ${a.containerId} ${a.startedAt}`, marks);
}

function nearestInTime<T extends { measuredAt: string }>(list: readonly T[], t: number): T | null {
  let best: T | null = null;
  let bestD = Infinity;
  for (const x of list) {
    const d = Math.abs(Date.parse(x.measuredAt) - t);
    if (d < bestD) {
      best = x;
      bestD = d;
    }
  }
  return best;
}
