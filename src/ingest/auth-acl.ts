import { readFileSync } from 'node:fs';
import { swError } from '../errors.js';

/**
 * Mosquitto's ACL file format, the part sealwatch needs, so one file holds
 * the policy of both brokers:
 *
 *   topic [read|write|readwrite|deny] FILTER    before any `user` line: anonymous clients
 *   user NAME                                    the following `topic` lines are NAME's
 *   pattern [read|write|readwrite|deny] FILTER   every client; %u = username, %c = client id
 *
 * Access defaults to readwrite, as in Mosquitto. A `deny` that matches wins.
 * Nothing is allowed that no line allows.
 */
export type Access = 'read' | 'write' | 'readwrite' | 'deny';

interface Entry {
  access: Access;
  filter: string[];
  /** pattern lines substitute %u and %c. */
  pattern: boolean;
}

const ACCESS = new Set<string>(['read', 'write', 'readwrite', 'deny']);

export class Acl {
  private readonly anonymous: Entry[] = [];
  private readonly byUser = new Map<string, Entry[]>();
  private readonly patterns: Entry[] = [];

  static parse(text: string, source: string): Acl {
    const acl = new Acl();
    let current: Entry[] = acl.anonymous;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const where = `${source} line ${i + 1}`;
      const [word] = line.split(/\s+/, 1) as [string];
      const rest = line.slice(word.length).trim();
      if (word === 'user') {
        if (!rest) throw swError('SW_ERR_ACL_FILE', where, 'user needs a name');
        current = acl.byUser.get(rest) ?? [];
        acl.byUser.set(rest, current);
        continue;
      }
      if (word !== 'topic' && word !== 'pattern') throw swError('SW_ERR_ACL_FILE', where, `${JSON.stringify(word)}: expected topic, pattern or user`);
      const [first = '', ...others] = rest.split(/\s+/);
      const hasAccess = ACCESS.has(first) && others.length > 0;
      const access = (hasAccess ? first : 'readwrite') as Access;
      const filter = hasAccess ? others.join(' ') : rest;
      const problem = checkFilter(filter);
      if (problem) throw swError('SW_ERR_ACL_FILE', where, `${JSON.stringify(filter)}: ${problem}`);
      const entry: Entry = { access, filter: filter.split('/'), pattern: word === 'pattern' };
      if (word === 'pattern') acl.patterns.push(entry);
      else current.push(entry);
    }
    return acl;
  }

  static fromFile(file: string): Acl {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw swError('SW_ERR_ACL_FILE', file, (err as Error).message);
    }
    return Acl.parse(text, file);
  }

  /** May this client publish to `topic`? */
  canPublish(username: string | null, clientId: string, topic: string): boolean {
    const levels = topic.split('/');
    return this.decide(username, clientId, (filter) => matches(filter, levels), 'write');
  }

  /**
   * May this client subscribe to `filter`? Only when a read line covers every
   * topic the filter can match (`ssd/#` covers `ssd/json/+/door`, not `#`),
   * and no deny line overlaps it: then every message the subscription brings
   * is one the client may read, and delivery needs no second check.
   */
  canSubscribe(username: string | null, clientId: string, filter: string): boolean {
    const levels = filter.split('/');
    return this.decide(username, clientId, (acl, isDeny) => (isDeny ? overlaps(acl, levels) : covers(acl, levels)), 'read');
  }

  private decide(username: string | null, clientId: string, test: (filter: string[], isDeny: boolean) => boolean, need: 'read' | 'write'): boolean {
    let allowed = false;
    const visit = (e: Entry, filter: string[] | null): boolean => {
      if (!filter) return false;
      if (e.access === 'deny') return test(filter, true);
      if (!allowed && (e.access === 'readwrite' || e.access === need) && test(filter, false)) allowed = true;
      return false;
    };
    for (const e of username === null ? this.anonymous : (this.byUser.get(username) ?? [])) if (visit(e, e.filter)) return false;
    for (const e of this.patterns) if (visit(e, substitute(e.filter, username, clientId))) return false;
    return allowed;
  }
}

/**
 * The policy sealwatch ships (the same as deploy/mosquitto/acl for the root
 * `ssd`): the service accounts read and write the whole topic root, the fleet
 * accounts (simulators, gateways that relay for many devices) publish anywhere
 * under it, and every other account is a device that publishes only under its
 * own id. With `anonymous`, clients without a username may read and write
 * the whole root (the broker as it was before accounts).
 */
export function builtinAclText(topicRoot: string, serviceAccounts: readonly string[], fleetAccounts: readonly string[], anonymous = false): string {
  const out: string[] = [];
  // Anonymous clients, when let in at all, get the old open broker under the root: local experiments only.
  if (anonymous) out.push('# anonymous clients (allowAnonymous): read and write anything under the topic root', `topic readwrite ${topicRoot}/#`, '');
  for (const u of serviceAccounts) out.push(`# service account: the pipeline reads everything under the topic root (and replays into it)`, `user ${u}`, `topic readwrite ${topicRoot}/#`, '');
  for (const u of fleetAccounts) out.push(`# fleet account: publishes for a whole simulated fleet`, `user ${u}`, `topic write ${topicRoot}/#`, '');
  out.push('# every other account is a device (or a batch gateway): its own topics only', `pattern write ${topicRoot}/json/%u/#`, `pattern write ${topicRoot}/csv/%u`, `pattern write ${topicRoot}/batch/%u`);
  return out.join('\n') + '\n';
}

function checkFilter(filter: string): string | null {
  if (filter === '') return 'empty topic filter';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l === '#' && i !== levels.length - 1) return "'#' must be the last level";
    if (l !== '#' && l !== '+' && (l.includes('#') || l.includes('+'))) return "'+' and '#' must fill a whole level";
  }
  return null;
}

/**
 * %u and %c become the username and client id. A name holding '/', '+' or '#'
 * would reach into other levels (`victim/gps` in `ssd/json/%u/#`): such a
 * client matches no pattern at all, as an anonymous one matches none with %u.
 */
function substitute(filter: string[], username: string | null, clientId: string): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < filter.length; i++) {
    const l = filter[i]!;
    if (!l.includes('%')) continue;
    if (l.includes('%u') && (username === null || unsafe(username))) return null;
    if (l.includes('%c') && unsafe(clientId)) return null;
    out ??= filter.slice();
    out[i] = l.replaceAll('%u', username ?? '').replaceAll('%c', clientId);
  }
  return out ?? filter;
}

function unsafe(name: string): boolean {
  return name === '' || /[/+#]/.test(name);
}

/** Does the filter match the topic (MQTT 3.1.1 section 4.7)? `a/#` matches `a` too. */
function matches(filter: string[], topic: string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#') return i > 0 || !topic[0]?.startsWith('$');
    if (i >= topic.length) return false;
    if (f === '+') {
      if (i === 0 && topic[0]!.startsWith('$')) return false;
      continue;
    }
    if (f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Does every topic the subscription `sub` can match also match `acl`? */
function covers(acl: string[], sub: string[]): boolean {
  for (let i = 0; i < acl.length; i++) {
    const a = acl[i]!;
    if (a === '#') return true;
    if (i >= sub.length) return false;
    const s = sub[i]!;
    if (s === '#') return false;
    if (a === '+') continue;
    if (s === '+' || s !== a) return false;
  }
  return acl.length === sub.length;
}

/** Could some topic match both filters? */
function overlaps(a: string[], b: string[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === '#' || y === '#') return true;
    if (x === undefined || y === undefined) return x === y;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
}
