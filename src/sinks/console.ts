import type { Alert } from '../model/alert.js';
import type { AlertSink } from './sink.js';

const COLOURS: Record<string, string> = { critical: '\x1b[41;97m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[37m' };

/** Prints alerts for a person at a terminal: one line each, the summary in words. */
export class ConsoleAlertSink implements AlertSink {
  readonly name = 'console';
  private readonly seen = new Set<string>();
  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly colour = useColour(out),
  ) {}
  async write(alerts: readonly Alert[]): Promise<void> {
    for (const a of alerts) {
      if (this.seen.has(a.alertId)) continue;
      this.seen.add(a.alertId);
      this.out.write(formatAlert(a, this.colour) + '\n');
    }
  }
  async close(): Promise<void> {}
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function useColour(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean((out as { isTTY?: boolean }).isTTY) && !env.NO_COLOR;
}

export function formatAlert(a: Alert, colour = false): string {
  const sev = a.severity.toUpperCase().padEnd(8);
  const tag = colour ? `${COLOURS[a.severity] ?? ''}${sev}\x1b[0m` : sev;
  const where = a.location ? ` @ ${a.location.lat.toFixed(3)},${a.location.lon.toFixed(3)}` : '';
  return `${tag} ${a.rule.padEnd(32)} ${a.containerId} trip ${a.tripId ?? '-'} ${a.startedAt}${where}\n         ${a.summary} [alert ${a.alertId.slice(0, 12)}, evidence ${a.evidence.length}]`;
}
