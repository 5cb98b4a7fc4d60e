import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_FILE, LABELS_FILE, readCorpus, TRIPS_DIR, writeCorpus } from '../../simulators/corpus.js';
import type { SimMessage } from '../../simulators/fleet.js';
import { buildRealTrackCorpora, MAX_BOXES, MIN_BOXES, type BuiltCorpora } from '../../simulators/real-tracks/build.js';
import { ensureRealTrackCorpus, ensureRealTrackData, VARIANTS, type RealTrackCorpus } from '../../simulators/real-tracks/cache.js';
import { cleanTrack } from '../../simulators/real-tracks/clean.js';
import { shapeTrip } from '../../simulators/real-tracks/trip.js';
import { deviceReadings, wakeUps, type DeviceProfile } from '../../simulators/real-tracks/device.js';
import { readTraj, type AisFix } from '../../simulators/real-tracks/source.js';
import { Rng } from '../../simulators/rng.js';
import { loadConfig } from '../../src/config/load.js';
import { score, type Label, type Score } from '../../src/evaluate/score.js';
import { SEVERITIES, type Alert } from '../../src/model/alert.js';
import { isValidContainerNumber } from '../../src/model/iso6346.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { TripPlanSchema, type TripPlan } from '../../src/trips/schema.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { replayCapture } from '../../src/replay/replay.js';
import type { AlertSink } from '../../src/sinks/sink.js';

/**
 * Issue 16, done-when: real vessel movement, turned into container trips as a
 * new user would (simulators/real-tracks/README.md), replayed through the real
 * path with the default configuration. On the voyages (2-6 containers a
 * vessel) with no injected breach: at most 1 alert per 1,000 container-days
 * and none high or critical (asserted; on 11 container-days one alert is 88
 * per 1,000, so the bar means none at all, and so few days cannot show a rate
 * as low as 1 per 1,000: simulators/real-tracks/README.md, Limits). With
 * breaches injected on the same containers: recall >= 0.99. On the harbour
 * craft (tracks that never leave their port's waters, harder than any
 * voyage): nothing high or critical, and no rise past today's rate.
 *
 * The corpus is built from the cached AIS data (fetched once with pip,
 * scripts/real-tracks/fetch.sh) into the cache, and rebuilt only when the
 * converter changes.
 */

/** Issue 16's bar: at most 1 alert per 1,000 container-days of real movement. */
const BAR_ALERTS_PER_1000_CONTAINER_DAYS = 1;
/**
 * The harbour craft (tugs, ferries, work boats: harder than any container's
 * voyage, and bounded only on severity by the issue) may not get worse than
 * today: 3 medium alerts on 103.8 container-days, 29 per 1,000 (a river
 * ferry's five-hour midday lay-up at its landing, a vessel stopped four hours
 * off Pacifica, a New York harbour craft silent for 2.8 days).
 */
const HARBOUR_CEILING_ALERTS_PER_1000_CONTAINER_DAYS = 30;
const MIN_RECALL = 0.99;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function replay(dir: string): Promise<{ alerts: Alert[]; trips: TripPlan[]; labels: Label[]; late: number }> {
  const config = loadConfig({ env: {} });
  const directory = newTripDirectory(config);
  const trips = readdirSync(join(dir, TRIPS_DIR))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, TRIPS_DIR, f), 'utf8')) as TripPlan);
  for (const t of trips) directory.upsert(t);
  const alerts: Alert[] = [];
  const sink: AlertSink = { name: 'collect', write: async (a) => void alerts.push(...a), close: async () => {} };
  const summary = await replayCapture(join(dir, CAPTURE_FILE), config, directory, defaultPorts(), sink, { speed: 'max' });
  const labels = readFileSync(join(dir, LABELS_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Label);
  return { alerts, trips, labels, late: summary.late };
}

function severityTable(alerts: readonly Alert[], containerDays: number): string {
  const rules = [...new Set(alerts.map((a) => a.rule))].sort();
  const sev = SEVERITIES.filter((s) => s !== 'info');
  const row = (name: string, list: readonly Alert[]): string =>
    `| ${name.padEnd(31)} | ${String(list.length).padStart(6)} | ${sev.map((s) => String(list.filter((a) => a.severity === s).length).padStart(s.length)).join(' | ')} | ${((1000 * list.length) / containerDays).toFixed(1).padStart(15)} | ${String(new Set(list.map((a) => a.containerId)).size).padStart(10)} |`;
  return [
    `| rule                            | alerts | ${sev.join(' | ')} | per 1000 c-days | containers |`,
    ...rules.map((r) =>
      row(
        r,
        alerts.filter((a) => a.rule === r),
      ),
    ),
    row('all', alerts),
  ].join('\n');
}

function recallTable(s: Score): string {
  const f = (x: number | null): string => (x === null ? '-' : String(x));
  const row = (name: string, r: Score | Score['perRule'][string]): string =>
    `| ${name.padEnd(31)} | ${String(r.labels).padStart(6)} | ${f(r.recall).padStart(6)} | ${f(r.expectedRuleShare).padStart(13)} | ${String(r.alerts).padStart(6)} | ${f(r.precision).padStart(9)} | ${f(r.medianMinutesToDetect).padStart(11)} |`;
  return ['| rule                            | labels | recall | expected rule | alerts | precision | median min  |', ...Object.entries(s.perRule).map(([rule, r]) => row(rule, r)), row('all', s)].join('\n');
}

const describeAlert = (a: Alert): string => `${a.severity} ${a.rule} ${a.containerId} (${a.tripId}) at ${a.startedAt}${a.location ? ` [${a.location.lat.toFixed(4)}, ${a.location.lon.toFixed(4)}]` : ''}: ${a.summary}`;

/** Examples for a person to look at: the worst first, at most four of a rule, at most ten. */
function examples(alerts: readonly Alert[]): string {
  const out: Alert[] = [];
  for (const a of [...alerts].sort((x, y) => SEVERITIES.indexOf(y.severity) - SEVERITIES.indexOf(x.severity) || (x.startedAt < y.startedAt ? -1 : 1))) {
    if (out.length < 10 && out.filter((e) => e.rule === a.rule).length < 4) out.push(a);
  }
  return out.map((a) => `  ${describeAlert(a)}`).join('\n');
}

/** Every position a device sent, whatever its wire format: device id -> [ms, lat, lon]. */
function positionsByDevice(messages: readonly SimMessage[]): Map<string, Array<[number, number, number]>> {
  const out = new Map<string, Array<[number, number, number]>>();
  const add = (device: string, t: number, lat: number, lon: number): void => {
    let list = out.get(device);
    if (!list) out.set(device, (list = []));
    list.push([t, lat, lon]);
  };
  for (const m of messages) {
    const [, format, id, kind] = m.topic.split('/');
    const text = m.payload.toString('utf8');
    if (format === 'json' && kind === 'gps') {
      const p = JSON.parse(text) as { ts: string; lat: number; lon: number };
      add(id!, Date.parse(p.ts), p.lat, p.lon);
    } else if (format === 'csv' && text.split(';')[1] === 'G') {
      const f = text.split(';');
      add(id!, Number(f[2]) * 1000, Number(f[3]), Number(f[4]));
    } else if (format === 'batch') {
      for (const e of (JSON.parse(text) as { events: Array<{ deviceId: string; eventType: string; eventDateTime: string; latitude: number; longitude: number }> }).events) {
        if (e.eventType === 'LOCATION') add(e.deviceId, Date.parse(e.eventDateTime), e.latitude, e.longitude);
      }
    }
  }
  return out;
}

describe('real-track converter', () => {
  const H = 3_600_000;
  const fix = (t: number, lon: number, lat: number): AisFix => ({ t, lon, lat });

  it('reads tracktable trajectories per MMSI and names the line of a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-traj-'));
    try {
      const good = join(dir, 'good.traj');
      writeFileSync(
        good,
        '*T*,u1,terrestrial,2,0,*P*,terrestrial,2,1,1,0,111,2020-06-30 00:00:05,-74.1,40.6,111,2020-06-30 00:01:05,-74.2,40.7\n*T*,u2,terrestrial,1,0,*P*,terrestrial,2,1,1,0,222,2020-06-30 00:02:00,-70,41\n*T*,u3,terrestrial,1,0,*P*,terrestrial,2,1,1,0,111,2020-06-30 03:00:00,-74.3,40.8\n',
      );
      const v = readTraj(good);
      expect([...v.keys()]).toEqual(['111', '222']);
      expect(v.get('111')).toEqual([fix(Date.parse('2020-06-30T00:00:05Z'), -74.1, 40.6), fix(Date.parse('2020-06-30T00:01:05Z'), -74.2, 40.7), fix(Date.parse('2020-06-30T03:00:00Z'), -74.3, 40.8)]);
      const bad = join(dir, 'bad.traj');
      writeFileSync(bad, '*T*,u1,terrestrial,1,0,*P*,terrestrial,2,1,1,0,111,2020-06-30 00:00:05,-74.1,40.6\n*T*,u2,terrestrial,2,0,*P*,terrestrial,2,1,1,0,222,2020-06-30 00:02:00,-70,141\n');
      expect(() => readTraj(bad)).toThrow(/bad\.traj line 2: .*announced|bad\.traj line 2: point/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops AIS glitches (a fix or a short burst), keeps real gaps, and refuses a track two transponders share', () => {
    // 9.3 kn northward (0.0257 deg of latitude per 10 min), one glitch 300 km east, then a 5 h gap
    const base = Array.from({ length: 40 }, (_, i) => fix(i * 10 * 60_000 + (i >= 30 ? 5 * H : 0), -70, 40 + i * 0.0257));
    const track = base.map((f, i) => (i === 12 ? fix(f.t, -66.5, f.lat) : f));
    const r = cleanTrack(track, 10);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.glitches).toBe(1);
    expect(r.fixes.length).toBe(39);
    expect(r.fixes.some((f) => f.lon === -66.5)).toBe(false);
    expect(r.fixes[29]!.t - r.fixes[28]!.t).toBe(5 * H + 10 * 60_000);
    expect(r.fixes[5]!.sogKn).toBeCloseTo(9.3, 1);
    expect(r.fixes[29]!.sogKn).toBeNull();
    // a burst of three garbled reports is one glitch too
    const burst = base.map((f, i) => (i >= 20 && i < 23 ? fix(f.t, -66.5, f.lat) : f));
    const b = cleanTrack(burst, 10);
    expect(b.ok && [b.glitches, b.glitchFixes, b.fixes.length]).toEqual([1, 3, 37]);
    // from the 20th fix on the same MMSI reports from another ship 300 km away
    const shared = base.map((f, i) => (i >= 20 ? fix(f.t, -66.5, f.lat) : f));
    expect(cleanTrack(shared, 10)).toEqual({ ok: false, reason: 'two-vessels-one-mmsi' });
    // a glitch as the very first fix: the track starts after it
    const first = [fix(base[0]!.t, -66.5, 40), ...base.slice(1, 12)];
    const f = cleanTrack(first, 10);
    expect(f.ok && f.fixes[0]!.t).toBe(base[1]!.t);
  });

  it('wakes the tracker every 5-10 min under way and every 30-60 min at rest, and always at a forced fix', () => {
    const p: DeviceProfile = { format: 'json-v1', movingEveryMs: 6 * 60_000, stationaryEveryMs: 40 * 60_000, sensorEveryMs: 20 * 60_000, doorEveryMs: 3 * H, reportsSpeed: true, delayMs: { min: 500, max: 900 } };
    // one AIS fix a minute: 2 h under way at 12 kn, then 4 h at anchor
    const fixes = Array.from({ length: 360 }, (_, i) => ({ t: i * 60_000, lon: -70, lat: 40 + Math.min(i, 120) * 0.00333, sogKn: i === 0 ? null : i <= 120 ? 12 : 0.2, cogDeg: null }));
    const wake = wakeUps(fixes, p, new Set([200 * 60_000]));
    const gaps = wake.slice(1).map((w, k) => fixes[w]!.t - fixes[wake[k]!]!.t);
    expect(gaps.slice(0, 15).every((g) => g === 6 * 60_000)).toBe(true);
    expect(wake).toContain(200);
    expect(gaps.filter((g) => g === 40 * 60_000).length).toBeGreaterThanOrEqual(3);
    const readings = deviceReadings(fixes, wake, p, { reefer: null, meanC: 20, swingC: 3 }, null, new Rng(1));
    expect(readings.filter((r) => r.kind === 'gps').length).toBe(wake.length);
    expect(readings.filter((r) => r.kind === 'door').every((r) => r.kind === 'door' && !r.open)).toBe(true);
    expect(readings.filter((r) => r.kind === 'light').every((r) => r.kind === 'light' && r.lux < 1)).toBe(true);
    const temps = readings.filter((r) => r.kind === 'temp').length;
    // a sensor reading at the first wake-up 20 min or more after the last: every 24 min under way, every 40 min at anchor
    expect(temps).toBeGreaterThanOrEqual(10);
    expect(temps).toBeLessThanOrEqual(13);
  });

  it('takes a track for a voyage only when it leaves both its port and the waters where it was first seen', () => {
    const ports = defaultPorts();
    const norfolk = ports.ports.find((p) => p.locode === 'USORF')!;
    const baltimore = ports.ports.find((p) => p.locode === 'USBAL')!;
    const fix = (i: number, lat: number, lon: number) => ({ t: i * 120_000, lat, lon, sogKn: null, cogDeg: null });
    // a river ferry 51 km from Norfolk, shuttling 4 km between its landings for 14 h: always 40 km from the port, never away from its waters
    const ferry = Array.from({ length: 420 }, (_, i) => {
      const k = Math.abs((i % 30) / 15 - 1);
      return fix(i, 37.1856 + k * (37.2195 - 37.1856), -76.784 + k * (-76.7916 + 76.784));
    });
    // a ship leaving Norfolk up the bay towards Baltimore: 14 h at 8 kn
    const ship = Array.from({ length: 420 }, (_, i) => {
      const k = (0.6 * i) / 420;
      return fix(i, norfolk.lat + k * (baltimore.lat - norfolk.lat), norfolk.lon + k * (baltimore.lon - norfolk.lon));
    });
    const ferryTrip = shapeTrip(ferry, ferry.at(-1)!.t, ports);
    const shipTrip = shapeTrip(ship, ship.at(-1)!.t, ports);
    expect(ferryTrip.ok && ferryTrip.trip.origin.locode).toBe('USORF');
    expect(ferryTrip.ok && ferryTrip.trip.leavesPort).toBe(false);
    expect(shipTrip.ok && shipTrip.trip.origin.locode).toBe('USORF');
    expect(shipTrip.ok && shipTrip.trip.leavesPort).toBe(true);
  });
});

describe('real-track corpus (issue 16)', () => {
  let corpus: RealTrackCorpus;
  let built: BuiltCorpora;
  beforeAll(async () => {
    corpus = await ensureRealTrackCorpus({ log });
    // the same conversion again, in memory: the determinism check, and the devices behind the capture
    built = buildRealTrackCorpora(ensureRealTrackData(log));
  }, 600_000);

  it('is deterministic: converting the same data again gives byte-identical corpora', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-real-tracks-'));
    try {
      for (const variant of VARIANTS) {
        await writeCorpus(join(dir, variant), built[variant]);
        const files = [CAPTURE_FILE, LABELS_FILE, ...readdirSync(join(corpus[variant], TRIPS_DIR)).map((f) => join(TRIPS_DIR, f))];
        expect(readdirSync(join(dir, variant, TRIPS_DIR)).length).toBe(readdirSync(join(corpus[variant], TRIPS_DIR)).length);
        for (const f of files) expect(readFileSync(join(dir, variant, f)).equals(readFileSync(join(corpus[variant], f))), `${variant}/${f}`).toBe(true);
      }
      expect(built.stats).toEqual(corpus.stats);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('holds real voyages as a new user plans them: valid plans without route or zones, 2-6 containers a vessel, every wire format, about half with one labelled breach', async () => {
    const clean = await readCorpus(corpus.clean);
    const breaches = await readCorpus(corpus.breaches);
    const s = corpus.stats;
    console.log(
      `real-track voyages: ${s.vessels} vessels carrying ${s.containers} containers (per vessel ${JSON.stringify(s.containersPerVessel)}), ${s.containerDays} container-days, ${s.arrived} vessels reaching their destination, ${s.reefers} reefers, formats ${JSON.stringify(s.formats)}; ${s.messages.clean} messages; labels ${JSON.stringify(s.labels)}\n` +
        `harbour craft: ${s.harbour.containers} containers, ${s.harbour.containerDays} container-days, ${s.messages.harbour} messages\n` +
        s.sources
          .map(
            (x) =>
              `  ${x.tag} ${x.file}: ${x.vessels} vessels -> ${x.trips} voyages (${x.containers} containers, ${x.containerDays} container-days), ${x.harbour} harbour craft (${x.harbourDays} container-days) (shifted ${x.shiftDays} days); rejected ${JSON.stringify(x.rejected)}`,
          )
          .join('\n'),
    );
    expect(s.vessels).toBeGreaterThanOrEqual(5);
    expect(s.containers).toBeGreaterThanOrEqual(20);
    expect(s.containerDays).toBeGreaterThanOrEqual(10);
    expect(clean.trips.length).toBe(s.containers);
    expect(clean.labels).toEqual([]);
    for (const p of clean.trips) {
      expect(TripPlanSchema.safeParse(p).success, p.tripId).toBe(true);
      expect(isValidContainerNumber(p.containerId)).toBe(true);
      expect(p.origin).not.toBe(p.destination);
      expect(p).not.toHaveProperty('route');
      expect(p).not.toHaveProperty('authorisedZones');
    }
    expect(new Set(clean.trips.map((p) => p.containerId)).size).toBe(clean.trips.length);
    expect(new Set(clean.trips.map((p) => p.deviceId)).size).toBe(clean.trips.length);
    // the containers of one vessel (RT-{tag}-{MMSI}-{n}): 2-6 of them, one voyage
    const byVessel = new Map<string, TripPlan[]>();
    for (const p of clean.trips) {
      const v = p.tripId.replace(/-\d+$/, '');
      byVessel.set(v, [...(byVessel.get(v) ?? []), p]);
    }
    expect(byVessel.size).toBe(s.vessels);
    for (const [v, plans] of byVessel) {
      expect(plans.length, v).toBeGreaterThanOrEqual(MIN_BOXES);
      expect(plans.length, v).toBeLessThanOrEqual(MAX_BOXES);
      expect(new Set(plans.map((p) => `${p.origin}>${p.destination} ${p.departure}`)).size, v).toBe(1);
    }
    expect(new Set([...byVessel.values()].map((p) => p.length)).size).toBeGreaterThan(1);
    const topics = new Set(clean.messages.map((m) => m.topic.split('/')[1]));
    expect([...topics].sort()).toEqual(['batch', 'csv', 'json']);
    // the same containers in both variants; one label per breach container, about half of them
    expect(breaches.trips).toEqual(clean.trips);
    const labelled = new Set(breaches.labels.map((l) => l.containerId));
    expect(labelled.size).toBe(breaches.labels.length);
    expect(labelled.size).toBeGreaterThanOrEqual(Math.floor(0.4 * s.containers));
    expect(labelled.size).toBeLessThanOrEqual(Math.ceil(0.6 * s.containers));
    expect(new Set(breaches.labels.map((l) => l.rule)).size).toBe(5);
    // shielding that matters lasts hours: 4-8 h without a fix (up to the next wake-up after)
    const gaps = breaches.labels.filter((l) => l.rule === 'LOCATION_GAP').map((l) => (Date.parse(l.to) - Date.parse(l.from)) / 3_600_000);
    expect(gaps.length).toBeGreaterThan(0);
    for (const h of gaps) {
      expect(h).toBeGreaterThanOrEqual(4);
      expect(h).toBeLessThanOrEqual(8.5);
    }
  }, 60_000);

  it("gives every container on a vessel its own device, all following the vessel's recorded positions, the batch-v1 ones through the vessel's gateway", async () => {
    const clean = await readCorpus(corpus.clean);
    const sent = positionsByDevice(clean.messages);
    const vessels = new Set(built.trips.map((t) => t.vessel));
    for (const v of vessels) {
      const boxes = built.trips.filter((t) => t.vessel === v);
      const at = new Map(v.shape.fixes.map((f) => [f.t, f]));
      const times: string[] = [];
      for (const t of boxes) {
        const positions = sent.get(t.plan.deviceId) ?? [];
        expect(positions.length, t.plan.deviceId).toBeGreaterThan(10);
        // every position is one of the vessel's AIS fixes, at its time and place (csv-v1 has 5 decimals)
        for (const [ms, lat, lon] of positions) {
          const f = at.get(ms);
          expect(f && Math.abs(f.lat - lat) < 1e-5 && Math.abs(f.lon - lon) < 1e-5, `${t.plan.deviceId} ${new Date(ms).toISOString()}`).toBe(true);
        }
        times.push(positions.map((p) => p[0]).join(','));
      }
      // each device wakes on its own schedule (where the AIS is sparse, two may still land on the same fixes)
      expect(new Set(boxes.map((t) => t.profile.movingEveryMs)).size, v.mmsi).toBe(boxes.length);
      expect(new Set(times).size, v.mmsi).toBeGreaterThan(1);
      if (boxes.length >= 3) expect(new Set(boxes.map((t) => t.profile.format)).size).toBe(3);
    }
    // one gateway a vessel, carrying all its batch-v1 boxes
    const gatewayDevices = new Map<string, Set<string>>();
    for (const m of clean.messages.filter((x) => x.topic.split('/')[1] === 'batch')) {
      const b = JSON.parse(m.payload.toString('utf8')) as { gatewayId: string; events: Array<{ deviceId: string }> };
      for (const e of b.events) gatewayDevices.set(b.gatewayId, (gatewayDevices.get(b.gatewayId) ?? new Set()).add(e.deviceId));
    }
    for (const [g, devices] of gatewayDevices) {
      const expected = built.trips.filter((t) => t.vessel.gatewayId === g && t.profile.format === 'batch-v1').map((t) => t.plan.deviceId);
      expect([...devices].sort(), g).toEqual(expected.sort());
    }
    expect([...gatewayDevices.values()].some((d) => d.size >= 2)).toBe(true);
  }, 60_000);

  it(`clean real voyages: none high or critical; at most ${BAR_ALERTS_PER_1000_CONTAINER_DAYS} alert per 1,000 container-days`, async () => {
    const { alerts, late } = await replay(corpus.clean);
    const days = corpus.stats.containerDays;
    console.log(
      `clean real voyages: ${corpus.stats.containers} containers on ${corpus.stats.vessels} vessels, ${days} container-days, ${alerts.length} alerts on ${new Set(alerts.map((a) => a.containerId)).size} containers\n${severityTable(alerts, days)}\nexamples:\n${examples(alerts)}`,
    );
    expect(late).toBe(0);
    expect(alerts.filter((a) => a.severity === 'high' || a.severity === 'critical').map(describeAlert)).toEqual([]);
    const rate = (1000 * alerts.length) / days;
    console.log(`clean real voyages: ${Math.round(rate)} alerts per 1,000 container-days (issue 16's bar: ${BAR_ALERTS_PER_1000_CONTAINER_DAYS}; ${rate <= BAR_ALERTS_PER_1000_CONTAINER_DAYS ? 'met' : 'not met'})`);
    expect(rate).toBeLessThanOrEqual(BAR_ALERTS_PER_1000_CONTAINER_DAYS);
  }, 60_000);

  it(`harbour craft (never leave their port's waters): nothing high or critical, no more than today's ${HARBOUR_CEILING_ALERTS_PER_1000_CONTAINER_DAYS} alerts per 1,000 container-days`, async () => {
    const harbour = await readCorpus(corpus.harbour);
    const h = corpus.stats.harbour;
    expect(h.containers).toBeGreaterThanOrEqual(20);
    expect(harbour.trips.length).toBe(h.containers);
    expect(harbour.labels).toEqual([]);
    // one container a vessel, planned as the voyages are
    expect(new Set(harbour.trips.map((p) => p.tripId.split('-').slice(0, 3).join('-'))).size).toBe(harbour.trips.length);
    for (const p of harbour.trips) expect(TripPlanSchema.safeParse(p).success, p.tripId).toBe(true);
    const { alerts, late } = await replay(corpus.harbour);
    console.log(
      `harbour craft: ${h.containers} containers, ${h.containerDays} container-days, ${alerts.length} alerts on ${new Set(alerts.map((a) => a.containerId)).size} containers\n${severityTable(alerts, h.containerDays)}\nexamples:\n${examples(alerts)}`,
    );
    expect(late).toBe(0);
    expect(alerts.filter((a) => a.severity === 'high' || a.severity === 'critical').map(describeAlert)).toEqual([]);
    expect((1000 * alerts.length) / h.containerDays).toBeLessThanOrEqual(HARBOUR_CEILING_ALERTS_PER_1000_CONTAINER_DAYS);
  }, 60_000);

  it(`breaches injected on the same real voyages: recall >= ${MIN_RECALL}`, async () => {
    const { alerts, labels, late } = await replay(corpus.breaches);
    const result = score(labels, alerts);
    const missed = labels.filter((l) => {
      const from = Date.parse(l.from) - 600_000;
      const to = Date.parse(l.to) + 600_000;
      return !alerts.some((a) => a.containerId === l.containerId && Date.parse(a.startedAt) >= from && Date.parse(a.startedAt) <= to);
    });
    console.log(
      `real voyages with breaches: ${labels.length} labels, ${alerts.length} alerts\n${recallTable(result)}${missed.length ? `\nmissed:\n${missed.map((l) => `  ${l.rule} ${l.containerId} (${l.tripId}) ${l.from} .. ${l.to}`).join('\n')}` : ''}`,
    );
    expect(late).toBe(0);
    expect(labels.length).toBeGreaterThanOrEqual(10);
    expect(result.recall).toBeGreaterThanOrEqual(MIN_RECALL);
  }, 60_000);
});
