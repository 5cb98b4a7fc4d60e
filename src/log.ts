import { pino, type Logger } from 'pino';

/**
 * Every log line is structured JSON on stderr (stdout is kept for alerts and
 * summaries a user may pipe). Known secret-bearing keys are redacted wherever
 * they appear in a logged object.
 */
// biome-ignore format: one line per kind of secret
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'token', '*.token', '*.*.token',
  'secret', '*.secret', '*.*.secret',
  'authorization', '*.authorization', 'headers.authorization',
  'sasl', '*.sasl',
];

export function createLogger(level: string = process.env.SEALWATCH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'sealwatch' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination({ fd: 2, sync: false }));
}

export type { Logger };
