/** An RFC 3339 UTC time: date, time, optional fraction of up to nine digits, `Z`. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Parses an RFC 3339 UTC time (`Z` suffix, optional fraction) to ms, or NaN. */
export function parseIsoTime(value: unknown): number {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) return Number.NaN;
  return Date.parse(value);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
