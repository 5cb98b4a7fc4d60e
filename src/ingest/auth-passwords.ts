import { createHash, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { swError } from '../errors.js';

const pbkdf2Async = promisify(pbkdf2);

/**
 * One account of a Mosquitto password file. `$7$` is what mosquitto_passwd
 * (2.x) writes: PBKDF2-SHA512, `$7$iterations$base64(salt)$base64(hash)`;
 * `$6$` is the 1.x format, SHA-512 over password then salt.
 */
type PasswordHash = { kind: 7; iterations: number; salt: Buffer; hash: Buffer } | { kind: 6; salt: Buffer; hash: Buffer };

/** Mosquitto's own iteration count for `$7$` (mosquitto_passwd 2.0.x writes 101). */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const MAX_ITERATIONS = 10_000_000;

/**
 * Usernames and password hashes in Mosquitto's password-file format, so one
 * file serves both Mosquitto and the embedded aedes broker. Verification is
 * constant-time on the hash and costs the same for an unknown user, so a
 * refusal does not tell whether the account exists.
 */
export class CredentialStore {
  private readonly users = new Map<string, PasswordHash>();
  private readonly decoy: PasswordHash = { kind: 7, iterations: MOSQUITTO_PBKDF2_ITERATIONS, salt: randomBytes(12), hash: randomBytes(64) };

  /** Parses a password file's text; `source` names it in errors. */
  static parse(text: string, source: string): CredentialStore {
    const store = new CredentialStore();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '' || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const where = `${source} line ${i + 1}`;
      if (colon <= 0) throw swError('SW_ERR_PASSWORD_FILE', where, 'expected username:$7$iterations$salt$hash (as mosquitto_passwd writes it)');
      const username = line.slice(0, colon);
      const parsed = parseHash(line.slice(colon + 1).trim());
      if (typeof parsed === 'string') throw swError('SW_ERR_PASSWORD_FILE', where, `user ${JSON.stringify(username)}: ${parsed}`);
      store.users.set(username, parsed);
    }
    return store;
  }

  static fromFile(file: string): CredentialStore {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw swError('SW_ERR_PASSWORD_FILE', file, (err as Error).message);
    }
    return CredentialStore.parse(text, file);
  }

  /** Adds or replaces an account, hashed as mosquitto_passwd would. */
  add(username: string, password: string, iterations = MOSQUITTO_PBKDF2_ITERATIONS): this {
    const salt = randomBytes(12);
    this.users.set(username, { kind: 7, iterations, salt, hash: derive7(password, salt, iterations) });
    return this;
  }

  /** Every account of `other` over this one's (same name: other wins). */
  merge(other: CredentialStore): this {
    for (const [u, h] of other.users) this.users.set(u, h);
    return this;
  }

  has(username: string): boolean {
    return this.users.has(username);
  }

  get size(): number {
    return this.users.size;
  }

  usernames(): string[] {
    return [...this.users.keys()];
  }

  /** The file's text: `user:$7$...` lines, readable by Mosquitto. */
  toString(): string {
    return [...this.users].map(([u, h]) => `${u}:${formatHash(h)}\n`).join('');
  }

  async verify(username: string, password: Buffer | string): Promise<boolean> {
    const known = this.users.get(username);
    const h = known ?? this.decoy;
    const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
    const computed = h.kind === 7 ? await pbkdf2Async(pw, h.salt, h.iterations, h.hash.length, 'sha512') : createHash('sha512').update(pw).update(h.salt).digest();
    const same = computed.length === h.hash.length && timingSafeEqual(computed, h.hash);
    return same && known !== undefined;
  }
}

/** Only for add(): a handful of accounts at start-up. */
function derive7(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(password, salt, iterations, 64, 'sha512');
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseHash(s: string): PasswordHash | string {
  const parts = s.split('$');
  if (parts[0] !== '') return 'the hash must start with $7$ (PBKDF2-SHA512) or $6$ (SHA-512)';
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return `iterations ${JSON.stringify(parts[2])}: expected an integer 1..${MAX_ITERATIONS}`;
    if (!B64.test(parts[3]!) || !B64.test(parts[4]!)) return 'salt and hash must be base64';
    const hash = Buffer.from(parts[4]!, 'base64');
    if (hash.length !== 64) return `hash is ${hash.length} bytes, expected 64 (PBKDF2-SHA512)`;
    return { kind: 7, iterations, salt: Buffer.from(parts[3]!, 'base64'), hash };
  }
  if (parts[1] === '6' && parts.length === 4) {
    if (!B64.test(parts[2]!) || !B64.test(parts[3]!)) return 'salt and hash must be base64';
    const hash = Buffer.from(parts[3]!, 'base64');
    if (hash.length !== 64) return `hash is ${hash.length} bytes, expected 64 (SHA-512)`;
    return { kind: 6, salt: Buffer.from(parts[2]!, 'base64'), hash };
  }
  return 'expected $7$iterations$salt$hash or $6$salt$hash (as mosquitto_passwd writes them)';
}

function formatHash(h: PasswordHash): string {
  return h.kind === 7 ? `$7$${h.iterations}$${h.salt.toString('base64')}$${h.hash.toString('base64')}` : `$6$${h.salt.toString('base64')}$${h.hash.toString('base64')}`;
}
