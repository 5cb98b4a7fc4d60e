import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTripPlans, parseTripPlan } from '../../src/trips/load.js';
import type { SealwatchError } from '../../src/errors.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { compilePlan } from '../../src/trips/compile.js';
import { harness, HOUR, MIN, plan, reading, T0, track } from '../helpers/fixtures.js';

const opts = { defaultZoneRadiusKm: 15, activeAfterEtaMs: 72 * HOUR };

describe('trip plans', () => {
  it('loads JSON and YAML plans from a directory and names the file and field of a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-trips-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(plan()));
    writeFileSync(
      join(dir, 'b.yaml'),
      `tripId: T-YAML-1\ncontainerId: TGHU7654320\ndeviceId: dev-7\norigin: ESALG\ndestination: BRSSZ\ndeparture: "2026-01-07T10:00:00Z"\neta: "2026-01-20T10:00:00Z"\nreefer: { setpointC: -18, toleranceC: 2 }\n`,
    );
    expect(loadTripPlans(dir, defaultPorts(), opts).map((p) => p.tripId)).toEqual(['T-2026-000123', 'T-YAML-1']);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...plan({ tripId: 'T-BAD' }), eta: '2026-01-01T00:00:00Z' }));
    expect(() => loadTripPlans(dir, defaultPorts(), opts)).toThrow(/c\.json: eta: eta must be after departure/);
  });

  it('a port the table lacks: the API refuses the plan, a recorded-trip directory loads with a warning and the rules go on', () => {
    const odd = plan({ tripId: 'T-ODD', transshipments: ['XXZZZ'] });
    try {
      parseTripPlan(odd, 'PUT', defaultPorts(), opts);
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as SealwatchError).code).toBe('SW_ERR_TRIP_UNKNOWN_PORT');
      expect((err as Error).message).toContain('XXZZZ');
    }
    const dir = mkdtempSync(join(tmpdir(), 'sw-trips-'));
    writeFileSync(join(dir, 'odd.json'), JSON.stringify(odd));
    const warned: string[][] = [];
    expect(loadTripPlans(dir, defaultPorts(), opts, (_t, locodes) => warned.push(locodes)).map((p) => p.tripId)).toEqual(['T-ODD']);
    expect(warned).toEqual([['XXZZZ']]);
    // the known ports still have their zones: an opening in Rotterdam raises nothing; one at sea still does
    const day = T0 + 24 * HOUR;
    const alerts = harness([odd]).feed([
      ...track([51.95, 4.05], [51.951, 4.051], day, 20, 5, 0, { tripId: 'T-ODD' }),
      reading(day + 10 * MIN, { kind: 'door', open: true }, { tripId: 'T-ODD' }),
      reading(day + 15 * MIN, { kind: 'door', open: false }, { tripId: 'T-ODD' }),
      ...track([45.5, -8], [45.3, -8.2], day + 2 * HOUR, 30, 5, 16, { tripId: 'T-ODD' }),
      reading(day + 2 * HOUR + 12 * MIN, { kind: 'door', open: true }, { tripId: 'T-ODD' }),
    ]);
    expect(alerts.filter((a) => a.rule.startsWith('DOOR')).map((a) => a.rule)).toEqual(['DOOR_OPEN_IN_TRANSIT']);
  });

  it("a compiled plan's times and trip id are the plan's: departure, eta, and active until eta plus the grace", () => {
    const p = plan({ tripId: 'T-TIMES', departure: '2026-02-01T06:30:00Z', eta: '2026-02-20T18:00:00.250Z' });
    const c = compilePlan(p, defaultPorts(), opts);
    expect({ tripId: c.tripId, departure: c.departure, eta: c.eta, activeUntil: c.activeUntil }).toEqual({
      tripId: 'T-TIMES',
      departure: Date.parse('2026-02-01T06:30:00Z'),
      eta: Date.parse('2026-02-20T18:00:00.250Z'),
      activeUntil: Date.parse('2026-02-20T18:00:00.250Z') + 72 * HOUR,
    });
  });
});
