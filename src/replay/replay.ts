import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { RuleTimeline } from '../config/rule-history.js';
import type { PortTable } from '../geo/ports.js';
import type { TripDirectory } from '../trips/directory.js';
import { DirectProcessor, type ProcessorCounts } from '../pipeline/processor.js';
import type { AlertSink } from '../sinks/sink.js';
import { readCaptureAhead } from './capture-ahead.js';

export interface ReplayOptions {
  /** 'max' as fast as possible; a number N replays at N times the recorded pace. */
  speed: 'max' | number;
  onProgress?: (messages: number, lastT: number) => void;
  /** Wall-clock sleep, injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  /** Rule thresholds by event time (a live run's history, `replay --rule-history`); absent: the configuration's rules as version 0. */
  ruleTimeline?: RuleTimeline;
}

export interface ReplaySummary extends ProcessorCounts {
  capture: string;
  speed: string;
  firstT: string | null;
  lastT: string | null;
}

/**
 * Feeds a capture through the same decode and rule path as the live pipeline.
 * The arrival time of each message is the recorded `t`, so the engine reasons
 * identically at any speed; speed only changes how long the caller waits.
 */
export async function replayCapture(file: string, config: Config, trips: TripDirectory, ports: PortTable, sink: AlertSink, opts: ReplayOptions, log?: Logger): Promise<ReplaySummary> {
  // a timeline even without changes: the alerts carry ruleVersion as the live pipeline's do
  const proc = new DirectProcessor(config, trips, ports, opts.ruleTimeline ?? new RuleTimeline(config.rules));
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let firstT: number | null = null;
  let lastT: number | null = null;
  const wallStart = Date.now();
  // the capture is read and parsed in a worker thread, ahead of the rules (capture-ahead.ts); a batch's messages are fed without a wait each
  reading: for await (const batch of readCaptureAhead(file)) {
    for (let i = 0; i < batch.length; i++) {
      if (opts.signal?.aborted) break reading;
      const t = batch.times[i]!;
      if (firstT === null) firstT = t;
      if (opts.speed !== 'max') {
        const due = (t - firstT) / opts.speed - (Date.now() - wallStart);
        if (due > 1) await sleep(due);
      }
      lastT = t;
      const out = proc.message(batch.topic(i), batch.payload(i), t);
      if (out.alerts.length) await sink.write(out.alerts);
      if (opts.onProgress && proc.counts.messages % 5000 === 0) opts.onProgress(proc.counts.messages, t);
    }
  }
  const end = proc.finish();
  if (end.alerts.length) await sink.write(end.alerts);
  log?.info({ capture: file, messages: proc.counts.messages, alerts: proc.counts.alerts }, 'replay.finished');
  return { capture: file, speed: String(opts.speed), firstT: firstT === null ? null : new Date(firstT).toISOString(), lastT: lastT === null ? null : new Date(lastT).toISOString(), ...proc.counts };
}
