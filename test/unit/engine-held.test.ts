import { describe, expect, it } from 'vitest';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { RuleId } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { defineRule } from '../../src/rules/rule.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { HOUR, plan, reading, testConfig } from '../helpers/fixtures.js';

const SEC = 1000;

/**
 * Held readings: each container's readings wait out the reorder window and
 * are released in measurement-time order. The engine hands the arrays it
 * empties to the next container that holds a reading, so these check that a
 * container never sees another's readings, nor one of its own twice or not
 * at all, through whole and partial releases and out-of-order arrivals.
 */
// (an hour's lateness keeps the watermark behind the holds: what a hold releases is what its end allows, not more)
const config = testConfig(['engine.reorderWindowMs=60000', 'engine.allowedLatenessMs=3600000']);
const boxes = ['MSCU1234566', 'TGHU7654320', 'CAIU1000007'];
const plans = boxes.map((containerId, i) => plan({ tripId: `T-${i}`, containerId, deviceId: `dev-${i}` }));
const t0 = Date.parse(plan().departure) + HOUR;

/** Every reading a rule is handed, as "container event-id", in the order it is handed them. */
function engine(): { e: RuleEngine; seen: string[] } {
  const seen: string[] = [];
  const probe = defineRule<null>({
    id: 'LOCATION_GAP' as RuleId,
    initialState: () => null,
    onReading(_s, r) {
      seen.push(`${r.containerId.slice(0, 4)} ${r.eventId.split(':').at(-1)}`);
    },
  });
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  return { e: new RuleEngine({ config, trips, ports: defaultPorts(), rules: [probe], router: seaLaneRouter, output: { alert: () => {}, late: () => {} } }), seen };
}

/** Container i's reading measured at t0 + s seconds, arriving `delay` seconds later. */
const r = (i: number, s: number, delay = 5): Reading => reading(t0 + s * SEC, { kind: 'light', lux: 1 }, { containerId: boxes[i], tripId: `T-${i}`, deviceId: `dev-${i}`, id: `${i}@${s}`, delay: delay * SEC });

describe('held readings', () => {
  it('each container is handed its own readings, once each and in time order, whichever arrays they were held in', () => {
    const { e, seen } = engine();
    const arrivals: Reading[] = [
      // MSCU holds three, released together when the window has passed (its array emptied)
      r(0, 0),
      r(0, 2),
      r(0, 1, 7),
      // TGHU then holds two, one out of order, in whatever array it is given; CAIU holds one
      r(1, 100),
      r(1, 99, 10),
      r(2, 101),
      // MSCU again, two held: TGHU's reading moves the clock past the first's hold but not the second's (a partial release)
      r(0, 200),
      r(0, 250),
      r(1, 265),
      r(1, 300),
      r(2, 301),
      r(0, 302),
    ];
    for (const x of arrivals.sort((a, b) => a.receivedAt - b.receivedAt)) e.ingest(x);
    e.flush();
    const of = (c: string) => seen.filter((s) => s.startsWith(c)).map((s) => s.slice(5));
    expect(of('MSCU')).toEqual(['0@0', '0@1', '0@2', '0@200', '0@250', '0@302']);
    expect(of('TGHU')).toEqual(['1@99', '1@100', '1@265', '1@300']);
    // the partial release: MSCU's 200 was handed over before its 250 arrived in the rules, and TGHU's 265 after its 200
    expect(seen.indexOf('MSCU 0@200')).toBeLessThan(seen.indexOf('TGHU 1@265'));
    expect(seen.indexOf('MSCU 0@250')).toBeGreaterThan(seen.indexOf('MSCU 0@200'));
    expect(of('CAIU')).toEqual(['2@101', '2@301']);
    // every release before the last: MSCU's first three were handed over before TGHU's or CAIU's arrived
    expect(seen.slice(0, 3)).toEqual(['MSCU 0@0', 'MSCU 0@1', 'MSCU 0@2']);
    expect(e.stats.held).toBe(0);
    expect(e.stats.processed).toBe(arrivals.length);
  });

  it('many containers in turn, each holding a few readings: the same as one engine per container', () => {
    const { e, seen } = engine();
    const arrivals: Reading[] = [];
    for (let k = 0; k < 40; k++) {
      const i = k % 3;
      // 1-5 readings each turn, measured out of order, arriving within the window
      for (let j = (k * 7) % 5; j >= 0; j--) arrivals.push(r(i, k * 90 + j, 5 + ((j * 13) % 11)));
    }
    for (const x of [...arrivals].sort((a, b) => a.receivedAt - b.receivedAt)) e.ingest(x);
    e.flush();
    for (let i = 0; i < 3; i++) {
      const own = arrivals
        .filter((x) => x.containerId === boxes[i])
        .sort((a, b) => a.ts - b.ts)
        .map((x) => `${boxes[i]!.slice(0, 4)} ${x.eventId.split(':').at(-1)}`);
      expect(seen.filter((s) => s.startsWith(boxes[i]!.slice(0, 4)))).toEqual(own);
    }
    expect(seen).toHaveLength(arrivals.length);
  });
});
