import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Centre, Jurisdictions } from '../trips/jurisdiction.js';

/** admin implies read and write, and adds every centre and rule changes. */
export type Scope = 'read' | 'write' | 'admin';

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** The centre the token belongs to; null: every centre. */
  centre: string | null;
}

export interface TokenEntry {
  name: string;
  /** sha256 hex of the token. */
  sha256: string;
  scopes: readonly Scope[];
  centre?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The centre whose jurisdiction this request sees (the token's, or the one an unbound token picked with ?centre=); null: everything. */
    view: Centre | null;
  }
}

/** The sha256 hex of a token: what the configuration stores (`api.tokens[].sha256`). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (LOOPBACK.has(address) || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

/**
 * Bearer tokens with `read` and `write` scopes. Only hashes are held; a
 * presented token is hashed and compared in constant time against each.
 * With no token configured at all, reads need no token from loopback
 * clients (the embedded demo on 127.0.0.1); writes always need a token.
 */
export class TokenTable {
  private readonly entries: Array<{ name: string; hash: Buffer; scopes: ReadonlySet<Scope>; centre: string | null }>;
  readonly anonymousLoopbackRead: boolean;

  constructor(
    configured: readonly TokenEntry[],
    extra: readonly TokenEntry[] = [],
    private readonly centres: Jurisdictions | null = null,
  ) {
    this.anonymousLoopbackRead = configured.length === 0;
    this.entries = [...configured, ...extra].map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, 'hex'), scopes: withImplied(t.scopes), centre: t.centre ?? null }));
  }

  lookup(token: string): Principal | null {
    const h = Buffer.from(hashToken(token), 'hex');
    let found: Principal | null = null;
    for (const e of this.entries) if (e.hash.length === h.length && timingSafeEqual(e.hash, h) && !found) found = { name: e.name, scopes: e.scopes, centre: e.centre };
    return found;
  }

  /**
   * An onRequest hook that lets the request through only with the scope, and
   * settles which centre's jurisdiction it sees: a token's own centre, or for
   * a token of every centre the one `?centre=` names (taken out of the query
   * here, so every route accepts it).
   */
  require(scope: Scope): onRequestHookHandler {
    return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const header = request.headers.authorization;
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (header && !m) return deny(reply, 401, 'malformed Authorization header: expected "Bearer <token>"');
      if (m) {
        const p = this.lookup(m[1]!);
        if (!p) return deny(reply, 401, 'unknown token');
        request.principal = p;
        if (!p.scopes.has(scope)) return deny(reply, 403, `token "${p.name}" lacks the ${scope} scope`);
        return this.settleView(request, reply, done);
      }
      if (scope === 'read' && this.anonymousLoopbackRead && isLoopback(request.socket.remoteAddress)) {
        request.principal = { name: 'anonymous', scopes: new Set(['read']), centre: null };
        return this.settleView(request, reply, done);
      }
      return deny(reply, 401, `a bearer token with the ${scope} scope is required`);
    };
  }

  private settleView(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const refusal = this.resolveView(request);
    if (refusal === null) done();
    else if (refusal.status === 400) void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: refusal.message, field: 'centre' });
    else deny(reply, refusal.status, refusal.message);
  }

  /** Sets `request.view`; null when the request may go on, else why not. */
  private resolveView(request: FastifyRequest): { status: 400 | 403; message: string } | null {
    const p = request.principal!;
    const query = request.query as Record<string, unknown> | undefined;
    const wanted = typeof query?.centre === 'string' ? query.centre : undefined;
    if (query && 'centre' in query) delete query.centre;
    if (p.centre !== null) {
      if (wanted !== undefined && wanted !== p.centre) return { status: 403, message: `token "${p.name}" belongs to centre ${p.centre}: it cannot view centre ${wanted}` };
      request.view = this.centres?.get(p.centre) ?? null;
      // a token naming a centre the table lacks sees nothing rather than everything (the configuration check forbids it)
      return request.view ? null : { status: 403, message: `token "${p.name}" names centre ${p.centre}, which is not configured` };
    }
    if (wanted === undefined || wanted === '') {
      request.view = null;
      return null;
    }
    const c = this.centres?.get(wanted);
    if (!c) return { status: 400, message: `centre: no centre ${JSON.stringify(wanted)}` };
    request.view = c;
    return null;
  }
}

function withImplied(scopes: readonly Scope[]): ReadonlySet<Scope> {
  const s = new Set<Scope>(scopes);
  if (s.has('admin')) {
    s.add('read');
    s.add('write');
  }
  return s;
}

function deny(reply: FastifyReply, status: 401 | 403, message: string): void {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="sealwatch"');
  void reply.code(status).send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message });
}
