import { describe, it, expect } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { CHARTED_ANCHORAGES } from '../../simulators/anchorages.js';
import { VENDORS } from '../../simulators/vendors.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { DoorReading, LightReading, Reading, TemperatureReading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { trackIndex } from '../../src/geo/point-index.js';
import { decodedCorpus, fixesOf, km, median, solarHour, stationaryRuns } from '../helpers/sim-corpus.js';

/**
 * The field's normal behaviour that looks like a breach, measured on what a
 * clean fleet's devices send (decoded by the real normaliser): vendors and
 * their habits, sparse trackers, reefer defrost, port multipath, GNSS
 * dropouts, vent light, detours, waits at sea and at anchor, outages and
 * store-and-forward backlogs. Every container here is clean.
 */

const START = Date.parse('2026-01-05T00:00:00Z');
const H = 3_600_000;
const MIN = 60_000;
const ports = defaultPorts();
const c = decodedCorpus({ seed: 11, containers: 60, start: START, voyageHours: 240, breachShare: 0 });
/** Longer voyages, more ships: for what happens a few times per voyage. */
const big = () => decodedCorpus({ seed: 12, containers: 90, start: START, voyageHours: 400, breachShare: 0 });
const ids = [...c.plans.keys()];
const vendorOf = (id: string): string => c.plans.get(id)!.deviceId.split('-')[0]!;
const plannedPorts = (p: TripPlan) => [p.origin, ...p.transshipments, p.destination].map((l) => ports.get(l)!);
const of = <K extends Reading['kind']>(id: string, kind: K) => (c.readings.get(id) ?? []).filter((r) => r.kind === kind) as Array<Extract<Reading, { kind: K }>>;
const steps = (ts: number[]): number[] => ts.slice(1).map((t, i) => t - ts[i]!);
/** Periodic fix interval of a device: the median step between fixes, leaving out the event-triggered ones (seconds after a door change). */
const fixInterval = (id: string): number => median(steps(fixesOf(c, id).map((f) => f.ts)).filter((d) => d > 2 * MIN));

describe('vendors and their habits', () => {
  it('several vendors, fix intervals of 5, 15, 30, 60 and 120 min; satellite trackers fix once every 1-2 h', () => {
    expect(new Set(ids.map(vendorOf)).size).toBeGreaterThanOrEqual(4);
    const seen = new Set<number>();
    for (const id of ids) {
      const minutes = fixInterval(id) / MIN;
      const nominal = [5, 15, 30, 60, 120].find((n) => Math.abs(minutes - n) <= 0.12 * n);
      expect(nominal, `${c.plans.get(id)!.deviceId}: median fix step ${minutes.toFixed(1)} min`).toBeDefined();
      seen.add(nominal!);
      if (vendorOf(id) === 'sat') expect(nominal).toBeGreaterThanOrEqual(60);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([5, 15, 30, 60, 120]);
  });

  it('with or without speed and hdop, temperature every 15-60 min, as each vendor does', () => {
    for (const id of ids) {
      const v = VENDORS.find((x) => x.name === vendorOf(id))!;
      const fixes = fixesOf(c, id);
      if (v.hdop) expect(fixes.every((f) => f.hdop !== undefined)).toBe(true);
      else expect(fixes.some((f) => f.hdop !== undefined)).toBe(false);
      if (v.speedShare === 0) expect(fixes.some((f) => f.speedKn !== undefined)).toBe(false);
      const temp = median(steps(of(id, 'temperature').map((t) => t.ts))) / MIN;
      expect(temp).toBeGreaterThan(13);
      expect(temp).toBeLessThan(66);
    }
  });

  it('light on change: a device that sends light only when it changes decade sends far fewer, but at least every 6 h', () => {
    let onChange = 0;
    for (const id of ids) {
      if (VENDORS.find((x) => x.name === vendorOf(id))!.light !== 'onChange') continue;
      onChange++;
      const light = of(id, 'light').map((l) => l.ts);
      const days = (light[light.length - 1]! - light[0]!) / (24 * H);
      expect(light.length / days).toBeLessThan(60); // a 5-min sampler would send 288 a day
      expect(Math.max(...steps(light))).toBeLessThanOrEqual(6 * H + 10 * MIN);
    }
    expect(onChange).toBeGreaterThan(5);
  });

  it('clocks off by seconds to a minute: no reading is stamped more than a minute after it arrives, some several seconds', () => {
    let ahead = 0;
    for (const id of ids) {
      const lead = Math.max(...(c.readings.get(id) ?? []).map((r) => r.ts - r.receivedAt));
      expect(lead).toBeLessThanOrEqual(61_000);
      if (lead > 5_000) ahead++;
    }
    expect(ahead).toBeGreaterThan(3);
  });

  it('duplicate deliveries: a retrying vendor repeats a few per cent of its messages', () => {
    const share = (vendor: string): number => {
      const msgs = c.sim.messages.filter((m) => m.topic.includes(`/${vendor}-`));
      return msgs.filter((m) => m.fault === 'duplicate').length / msgs.length;
    };
    expect(share('kestrel')).toBeGreaterThan(0.025);
    expect(share('kestrel')).toBeLessThan(0.06);
    expect(share('acme')).toBeLessThan(0.025);
  });
});

describe('reefer defrost', () => {
  it('every 6-12 h the air lifts for no more than about 40 min (up to 6.5 C over the setpoint), then comes back', () => {
    const b = big();
    let reefers = 0;
    for (const id of b.sim.cleanContainers) {
      const reefer = b.plans.get(id)!.reefer;
      if (!reefer) continue;
      const temps = (b.readings.get(id) ?? []).filter((r): r is TemperatureReading => r.kind === 'temperature');
      const every = median(steps(temps.map((t) => t.ts)));
      if (every > 30 * MIN) continue; // too sparse to see a 20-40 min cycle
      // episodes: runs of readings more than 0.8 C over the setpoint (the noise is +/- 0.3)
      const episodes: TemperatureReading[][] = [];
      let run: TemperatureReading[] = [];
      for (const t of temps) {
        if (t.celsius - reefer.setpointC > 0.8) run.push(t);
        else if (run.length) {
          episodes.push(run);
          run = [];
        }
      }
      for (const e of episodes) {
        expect(e[e.length - 1]!.ts - e[0]!.ts).toBeLessThanOrEqual(40 * MIN);
        expect(Math.max(...e.map((t) => t.celsius)) - reefer.setpointC).toBeLessThan(6.5);
      }
      if (episodes.length < 3) continue;
      reefers++;
      // a short cycle between two samples can go unseen, so spacings are multiples of the period; the shortest is one period
      const spacing = steps(episodes.map((e) => e[0]!.ts));
      expect(Math.min(...spacing) + every).toBeGreaterThan(5.4 * H);
      expect(Math.min(...spacing) - every).toBeLessThan(13.2 * H);
    }
    expect(reefers).toBeGreaterThan(3);
  });
});

describe('GNSS in ports, below deck and behind steel', () => {
  it('multipath: bursts of several fixes hundreds of metres off with hdop 3-12, only in ports and yards', () => {
    const runs: number[] = [];
    let offsets = 0;
    for (const id of ids) {
      if (vendorOf(id) !== 'acme') continue;
      const fixes = fixesOf(c, id);
      let n = 0;
      for (let i = 0; i < fixes.length; i++) {
        const f = fixes[i]!;
        const bad = f.hdop! >= 3;
        if (bad) {
          n++;
          expect(ports.nearest(f.lat, f.lon)!.distanceKm, `${id} hdop ${f.hdop} at ${f.lat},${f.lon}`).toBeLessThan(4);
          // how far off: from the clean fixes around it (the box does not move in a yard or at a berth)
          const before = fixes
            .slice(0, i)
            .reverse()
            .find((g) => g.hdop! < 3);
          const after = fixes.slice(i + 1).find((g) => g.hdop! < 3);
          if (before && after && after.ts - before.ts < 3 * H) {
            const d = Math.min(km(before, f), km(after, f));
            expect(d).toBeLessThan(1.1);
            if (d > 0.09) offsets++;
          }
        } else if (n) {
          runs.push(n);
          n = 0;
        }
      }
      // at sea the dilution of precision stays low
      for (const f of fixes) if (ports.nearest(f.lat, f.lon)!.distanceKm > 30) expect(f.hdop!).toBeLessThanOrEqual(2.5);
    }
    expect(runs.length).toBeGreaterThan(10);
    expect(median(runs)).toBeGreaterThanOrEqual(3);
    expect(offsets).toBeGreaterThan(20);
  });

  it('dropouts: position gaps of half an hour to two hours while door, light and temperature go on; never much longer', () => {
    let dropouts = 0;
    for (const id of ids) {
      const fixes = fixesOf(c, id).map((f) => f.ts);
      const every = fixInterval(id);
      const others = (c.readings.get(id) ?? []).filter((r) => r.kind !== 'location').map((r) => r.ts);
      for (const [i, d] of steps(fixes).entries()) {
        expect(d, `${id} (fix every ${(every / MIN).toFixed(0)} min)`).toBeLessThanOrEqual(2 * H + 2.3 * every);
        if (every <= 15 * MIN && d >= 30 * MIN && others.some((t) => t > fixes[i]! && t < fixes[i + 1]!)) dropouts++;
      }
    }
    expect(dropouts).toBeGreaterThan(10);
  });
});

describe('vent and seal light', () => {
  it('a closed box reads single-digit lux at most, by day only; some boxes leak, most of the rest read dark', () => {
    let leaky = 0;
    for (const id of ids) {
      const door = of(id, 'door');
      const fixes = fixesOf(c, id);
      const openAt = (t: number): boolean => {
        let open = false;
        for (const d of door as DoorReading[]) {
          if (d.ts > t) break;
          open = d.open;
        }
        return open;
      };
      let lit = 0;
      let fi = 0;
      for (const l of of(id, 'light') as LightReading[]) {
        if (openAt(l.ts)) continue;
        expect(l.lux).toBeLessThan(10);
        while (fi + 1 < fixes.length && fixes[fi + 1]!.ts <= l.ts) fi++;
        const h = solarHour(l.ts, fixes[fi]?.lon ?? 0);
        if (h < 6 || h > 18) expect(l.lux, `${id} at local hour ${h.toFixed(1)}`).toBeLessThan(1);
        else if (l.lux >= 2) lit++;
      }
      if (lit > 0) leaky++;
    }
    expect(leaky).toBeGreaterThan(0.2 * ids.length);
    expect(leaky).toBeLessThan(0.7 * ids.length);
  });
});

describe('ships as they sail', () => {
  it('weather and traffic detours: hours 12-35 km off the planned track, never farther than 40 km', () => {
    let detours = 0;
    for (const id of ids) {
      const route = trackIndex(c.plans.get(id)!.route!, 1);
      const fixes = fixesOf(c, id);
      let since: number | null = null;
      let longest = 0;
      for (const f of fixes) {
        const off = route.nearest(f.lat, f.lon)!.km;
        expect(off, `${id} at ${f.lat},${f.lon}`).toBeLessThan(40);
        if (off > 12) {
          since ??= f.ts;
          longest = Math.max(longest, f.ts - since);
        } else since = null;
      }
      if (longest >= 3 * H) detours++;
    }
    expect(detours).toBeGreaterThanOrEqual(3);
  });

  it('waits at sea: the engine stopped for 30-70 min, far from any port, drifting a few hundred metres', () => {
    const b = big();
    let waits = 0;
    let drifted = 0;
    for (const id of b.sim.cleanContainers) {
      const fixes = fixesOf(b, id).filter((f) => ports.nearest(f.lat, f.lon)!.distanceKm > 40);
      for (const r of stationaryRuns(fixes, 1.5)) {
        const dwell = r.to.ts - r.from.ts;
        if (r.fixes.length < 3 || dwell < 20 * MIN) continue;
        // nothing stops for hours at sea but a ship at a charted anchorage
        const charted = CHARTED_ANCHORAGES.some((a) => km(r.from, { lat: a.at[1], lon: a.at[0] }) < a.radiusKm + 3);
        if (charted) continue;
        // within 1.5 km: the last and first quarter hour of slowing down and getting under way, and the wait itself
        expect(dwell, `${id} stopped at ${r.from.lat},${r.from.lon}`).toBeLessThan(110 * MIN);
        const still = r.fixes.filter((f) => f.speedKn !== undefined && f.speedKn < 1);
        if (still.length >= 2) expect(still[still.length - 1]!.ts - still[0]!.ts).toBeLessThanOrEqual(75 * MIN);
        // (slowing down and getting under way again at either end)
        if (median(r.fixes.map((f) => f.speedKn ?? 0)) < 1) waits++;
        let spread = 0;
        for (const x of still) for (const y of still) spread = Math.max(spread, km(x, y));
        if (spread > 0.1) drifted++;
      }
    }
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(drifted).toBeGreaterThanOrEqual(1);
  });

  it("anchorage waits: 2-20 h, 5-20 km off the planned port, or at the river port's charted anchorage; nowhere else for hours", () => {
    const b = big();
    let near = 0;
    let charted = 0;
    for (const id of b.sim.cleanContainers) {
      const plan = b.plans.get(id)!;
      for (const r of stationaryRuns(fixesOf(b, id), 2)) {
        const dwell = r.to.ts - r.from.ts;
        if (dwell < 2 * H) continue;
        const nearest = Math.min(...plannedPorts(plan).map((p) => km(r.from, p)));
        if (nearest < 3) continue; // the yard or the berth
        const area = CHARTED_ANCHORAGES.find((a) => km(r.from, { lat: a.at[1], lon: a.at[0] }) < a.radiusKm + 3);
        expect(dwell).toBeLessThan(21 * H);
        if (area) {
          charted++;
          expect(
            [plan.destination, ...plan.transshipments].some((l) => area.ports.includes(l)),
            `${id} waits at ${area.name}`,
          ).toBe(true);
        } else {
          near++;
          expect(nearest, `${id} stopped ${(dwell / H).toFixed(1)} h at ${r.from.lat},${r.from.lon}`).toBeGreaterThan(4.5);
          expect(nearest).toBeLessThan(21);
        }
      }
    }
    expect(near).toBeGreaterThan(3);
    expect(charted).toBeGreaterThan(0);
  });
});

describe('links that go down', () => {
  /** Measurement times in a raw message (the wire grammar of WIRE section 1). */
  const stamps = (topic: string, payload: Buffer): number[] => {
    if (!isUtf8(payload)) return [];
    const text = payload.toString('utf8');
    try {
      if (topic.includes('/csv/')) return [Number(text.split(';')[2]) * 1000];
      const doc = JSON.parse(text) as { ts?: string; events?: Array<{ eventDateTime: string }> };
      return doc.events ? doc.events.map((e) => Date.parse(e.eventDateTime)) : [Date.parse(doc.ts!)];
    } catch {
      return [];
    }
  };
  const device = (topic: string): string => topic.split('/').slice(0, 3).join('/');

  it('store-and-forward: backlogs up to 5 h late, oldest first within a device, interleaved with live traffic', () => {
    const backlog = c.sim.messages.filter((m) => m.fault === 'delayed');
    expect(backlog.length).toBeGreaterThan(100);
    let late = 0;
    for (const m of backlog) {
      for (const ts of stamps(m.topic, m.payload)) {
        expect(m.t - ts).toBeLessThan(5 * H + 15 * MIN + 61_000);
        if (m.t - ts > H) late++;
      }
    }
    expect(late).toBeGreaterThan(20);
    // per device (csv and json: a backlog is the device's own), in order of measurement
    const byDevice = new Map<string, number[]>();
    for (const m of backlog) if (!m.topic.includes('/batch/')) byDevice.set(device(m.topic), [...(byDevice.get(device(m.topic)) ?? []), ...stamps(m.topic, m.payload)]);
    for (const [dev, ts] of byDevice) for (let i = 1; i < ts.length; i++) expect(ts[i]!, dev).toBeGreaterThanOrEqual(ts[i - 1]!);
    // live messages of other devices arrive while a backlog drains
    let interleaved = 0;
    for (const [dev] of byDevice) {
      const mine = c.sim.messages.filter((m) => m.fault === 'delayed' && device(m.topic) === dev);
      const a = mine[0]!.t;
      const b = mine[mine.length - 1]!.t;
      if (c.sim.messages.some((m) => m.t > a && m.t < b && !m.fault && device(m.topic) !== dev)) interleaved++;
    }
    expect(interleaved).toBeGreaterThan(3);
  });

  it('outages: a device goes quiet for 5-75 min, then its backlog arrives', () => {
    let short = 0;
    let long = 0;
    const byDevice = new Map<string, typeof c.sim.messages>();
    for (const m of c.sim.messages) if (!m.topic.includes('/batch/') && m.fault !== 'duplicate' && m.fault !== 'garbage') byDevice.set(device(m.topic), [...(byDevice.get(device(m.topic)) ?? []), m]);
    for (const list of byDevice.values()) {
      for (let i = 1; i < list.length; i++) {
        if (list[i]!.fault !== 'delayed' || list[i - 1]!.fault === 'delayed') continue;
        // the quiet time before a backlog: the oldest reading in it was measured when the link went down
        const quiet = list[i]!.t - stamps(list[i]!.topic, list[i]!.payload)[0]!;
        expect(quiet).toBeLessThan(5 * H + 2 * MIN);
        if (quiet <= 76 * MIN) short++;
        else long++;
      }
    }
    expect(short).toBeGreaterThan(5);
    expect(long).toBeGreaterThan(2);
  });
});
