import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signing of the Standard Webhooks scheme (standardwebhooks.com), which the
 * webhook deliveries use: three headers,
 *
 * - `webhook-id`: the message's id, the same on every attempt and after a
 *   restart (receivers deduplicate on it);
 * - `webhook-timestamp`: when this attempt was signed, in unix seconds;
 * - `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
 *   `${webhook-id}.${webhook-timestamp}.${raw body}` under the target's key
 *   (several space-separated `v1,...` entries may come during a key change).
 *
 * The key: a secret written `whsec_<base64>` is the base64-decoded bytes
 * after the prefix (what the Standard Webhooks libraries take); any other
 * string is its own UTF-8 bytes (a raw secret).
 */

export const SECRET_PREFIX = 'whsec_';
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** How far a receiver lets `webhook-timestamp` stray from its clock, either way (the libraries' default). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The HMAC key a secret stands for. Throws (without showing the secret) when
 * a `whsec_` secret is not base64 or is empty, or a raw secret is empty.
 */
export function webhookKey(secret: string): Buffer {
  if (secret.startsWith(SECRET_PREFIX)) {
    const b64 = secret.slice(SECRET_PREFIX.length);
    // padding may be left out (as some generators do), but no other character may be in it
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) throw new Error(`a secret that starts with ${SECRET_PREFIX} must go on in standard base64`);
    return Buffer.from(b64, 'base64');
  }
  if (secret.length === 0) throw new Error('the secret is empty');
  return Buffer.from(secret, 'utf8');
}

/**
 * A webhook id that is the same for the same alert and target in every
 * process: `msg_` and the first 128 bits of SHA-256 over target and alert id,
 * in hex.
 */
export function webhookId(target: string, alertId: string): string {
  return `msg_${createHash('sha256').update(`${target}\u0000${alertId}`).digest('hex').slice(0, 32)}`;
}

/** `v1,<base64 HMAC-SHA256 over "${id}.${timestamp}.${body}">`. */
export function signStandardWebhook(secret: string | Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  const key = typeof secret === 'string' ? webhookKey(secret) : secret;
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one attempt. */
export function standardWebhookHeaders(secret: string | Buffer, id: string, timestampSeconds: number, body: string | Buffer): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestampSeconds),
    [WEBHOOK_SIGNATURE_HEADER]: signStandardWebhook(secret, id, timestampSeconds, body),
  };
}

export type VerifyResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

export interface VerifyOptions {
  /** The receiver's clock in unix seconds (default now). */
  nowSeconds?: number;
  toleranceSeconds?: number;
}

/**
 * What a receiver does with a delivery: the three headers present, the
 * timestamp within the tolerance of its clock (a replayed old request is
 * refused), and one `v1` signature equal, in constant time, to the one
 * computed over the raw body. Header names are matched in any case; a
 * header given as an array (node's IncomingHttpHeaders) counts by its first value.
 */
export function verifyStandardWebhook(secret: string | Buffer, headers: Record<string, string | string[] | undefined>, body: string | Buffer, opts: VerifyOptions = {}): VerifyResult {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lower[k.toLowerCase()] = Array.isArray(v) ? (v[0] ?? '') : v;
  const id = lower[WEBHOOK_ID_HEADER];
  const ts = lower[WEBHOOK_TIMESTAMP_HEADER];
  const sig = lower[WEBHOOK_SIGNATURE_HEADER];
  if (!id || !ts || !sig) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const timestamp = Number(ts);
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `webhook-timestamp is more than ${tolerance} s from now` };
  let expected: Buffer;
  try {
    expected = Buffer.from(signStandardWebhook(secret, id, timestamp, body).slice(3), 'base64');
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  for (const entry of sig.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'no v1 signature matches' };
}
