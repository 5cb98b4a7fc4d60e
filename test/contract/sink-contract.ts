import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertId, type Alert } from '../../src/model/alert.js';
import type { AlertSink } from '../../src/sinks/sink.js';

/** An alert sink under test and a way to look into what it wrote to. */
export interface SinkHarness {
  sink: AlertSink;
  /**
   * What the sink's medium holds of these alerts, one entry per copy held:
   * the alert id as the medium shows it and, where the medium keeps the whole
   * alert, the alert as read back.
   */
  held(written: readonly Alert[]): Promise<Array<{ id: string; alert?: unknown }>>;
  /** Releases what the harness started (receivers, files), after `sink.close()`. */
  stop?(): Promise<void>;
}

export interface SinkContractOptions {
  /** true: `write` resolves once the alerts are held; false: it only hands them on (a sink whose medium lags behind its write). */
  durableOnWrite: boolean;
  timeoutMs: number;
  /** How the medium names an alert (default its id; the console prints the first 12 characters). */
  idOf?: (a: Alert) => string;
}

/** Alerts unique to this run (ids, containers), of several rules, one without trip or location. */
export function contractAlerts(n: number): Alert[] {
  const run = randomUUID().slice(0, 8);
  // within the last day, on the minute: inside any bucket retention the stack's InfluxDB may have
  const t0 = Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000;
  const rules = ['DOOR_OPEN_IN_TRANSIT', 'TEMPERATURE_EXCURSION', 'DEVICE_CONTAINER_MISMATCH'] as const;
  return Array.from({ length: n }, (_, i) => {
    const rule = rules[i % rules.length]!;
    const containerId = `CTR${run}${i}`;
    const tripId = i % 3 === 2 ? null : `T-${run}-${i}`;
    return {
      alertId: alertId(rule, containerId, tripId, `contract-${run}-${i}`),
      rule,
      severity: i % 2 ? 'high' : 'critical',
      containerId,
      tripId,
      deviceId: `dev-${run}-${i}`,
      startedAt: new Date(t0 + i * 60_000).toISOString(),
      detectedAt: new Date(t0 + 300_000 + i * 60_000).toISOString(),
      location: i % 3 === 2 ? null : { lat: 10 + i / 10, lon: -20 - i / 10 },
      summary: `contract alert ${i} of run ${run}`,
      evidence: [`json-v1:dev-${run}-${i}:m${i}`],
      details: { i },
    };
  });
}

/**
 * The contract every alert sink passes (NDJSON file, console, bus and
 * fan-out in unit tests; InfluxDB and the bus on Kafka in the stack
 * suite), like the bus adapters' contract: what a sink is handed it holds,
 * each alert as written, and a write that comes again (a redelivered batch:
 * the rules stage commits only after its sinks wrote) does no harm.
 */
export function sinkContract(name: string, make: () => Promise<SinkHarness>, opts: SinkContractOptions): void {
  const idOf = opts.idOf ?? ((a: Alert) => a.alertId);

  describe(`alert sink contract: ${name}`, () => {
    let h: SinkHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.sink.close();
      await h.stop?.();
    });

    /** What the medium holds once it holds `expected` ids (at once for a durable write), or by the timeout. */
    async function heldWhen(written: readonly Alert[], expected: number): Promise<Array<{ id: string; alert?: unknown }>> {
      if (opts.durableOnWrite) return h.held(written);
      const deadline = Date.now() + opts.timeoutMs;
      for (;;) {
        const got = await h.held(written);
        if (new Set(got.map((g) => g.id)).size >= expected || Date.now() > deadline) return got;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    function expectAsWritten(got: Array<{ id: string; alert?: unknown }>, written: readonly Alert[]): void {
      const byId = new Map(written.map((a) => [idOf(a), a]));
      for (const g of got) {
        expect(byId.has(g.id), `held ${g.id}, which was not written`).toBe(true);
        if (g.alert !== undefined) expect(g.alert).toEqual(byId.get(g.id));
      }
    }

    it('holds every alert of a batch once the write resolves, each as written', async () => {
      const alerts = contractAlerts(5);
      await h.sink.write(alerts);
      const got = await heldWhen(alerts, alerts.length);
      expect(new Set(got.map((g) => g.id))).toEqual(new Set(alerts.map(idOf)));
      expectAsWritten(got, alerts);
    });

    it('an empty write holds nothing', async () => {
      const alerts = contractAlerts(2);
      await h.sink.write([]);
      if (!opts.durableOnWrite) await new Promise((r) => setTimeout(r, 200));
      expect(await h.held(alerts)).toEqual([]);
    });

    it('a batch written again, alone or with new alerts, does no harm: every alert held, any copy identical', async () => {
      const alerts = contractAlerts(6);
      const first = alerts.slice(0, 4);
      await h.sink.write(first);
      await heldWhen(first, first.length);
      await h.sink.write(first);
      await h.sink.write(alerts.slice(2));
      const got = await heldWhen(alerts, alerts.length);
      expect(new Set(got.map((g) => g.id))).toEqual(new Set(alerts.map(idOf)));
      expectAsWritten(got, alerts);
    });

    it('alerts written one at a time are all held', async () => {
      const alerts = contractAlerts(3);
      for (const a of alerts) await h.sink.write([a]);
      const got = await heldWhen(alerts, alerts.length);
      expect(new Set(got.map((g) => g.id))).toEqual(new Set(alerts.map(idOf)));
    });
  });
}
