import { swError } from '../errors.js';

/**
 * A JSON encoding of an object graph as the engine keeps it (rule states,
 * fixes, held readings), for lane snapshots (engine.ts: snapshotLane).
 * JSON cannot say everything the engine's state holds, so anything it cannot
 * say is tagged with a `$` member:
 *
 * - numbers JSON has no word for (NaN, +/-Infinity, -0): `{ $: 'n', v: 'NaN' }`;
 * - undefined: `{ $: 'u' }`; a bigint: `{ $: 'b', v: '123' }`;
 * - typed arrays: `{ $: 'ta', t: 'Int16Array', d: base64 of its bytes }`;
 * - Map and Set: `{ $: 'map', e: [[k, v], ...] }`, `{ $: 'set', e: [...] }`;
 * - an instance of a registered class (EngineFix, RollingBaseline):
 *   `{ $: 'c', c: name, v: own fields }`, rebuilt on the class's prototype,
 *   or for a class with save/load, `v` the encoding of what save gives,
 *   rebuilt by load;
 * - a plain object that has a `$` member of its own: `{ $: 'o', v: object }`;
 * - an object met before: `{ $: 'r', i: n }`, n counting objects (arrays
 *   included) in the order the encoder first met them. Shared references stay
 *   shared, which matters: rules compare fixes by identity (fix === view.fix).
 *
 * An object of any other class (or a function, or a symbol) is refused when
 * encoding: state the codec cannot rebuild must not be written silently wrong.
 */
export interface SnapshotClass {
  name: string;
  proto: object;
  /** Own fields not written (caches), set to these values when rebuilt. */
  skip?: Record<string, unknown>;
  /** For a class whose state is not its own fields (RollingBaseline's readings are in a shared slab): the instance as data the encoder can write (plain objects, arrays, typed arrays...), and the instance from that data as decoded. */
  save?(o: object): unknown;
  load?(data: unknown): object;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class GraphEncoder {
  private readonly seen = new Map<object, number>();
  private readonly byProto = new Map<object, SnapshotClass>();

  constructor(classes: readonly SnapshotClass[]) {
    for (const c of classes) this.byProto.set(c.proto, c);
  }

  encode(v: unknown, path = '$'): Json {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0) ? v : { $: 'n', v: Object.is(v, -0) ? '-0' : String(v) };
      case 'undefined':
        return { $: 'u' };
      case 'bigint':
        return { $: 'b', v: v.toString() };
      case 'object':
        break;
      default:
        throw new Error(`snapshot: cannot encode a ${typeof v} at ${path}`);
    }
    if (v === null) return null;
    const seen = this.seen.get(v);
    if (seen !== undefined) return { $: 'r', i: seen };
    this.seen.set(v, this.seen.size);
    if (Array.isArray(v)) return v.map((x, i) => this.encode(x, `${path}[${i}]`));
    if (ArrayBuffer.isView(v)) {
      if (v instanceof DataView) throw new Error(`snapshot: cannot encode a DataView at ${path}`);
      return { $: 'ta', t: v.constructor.name, d: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    if (v instanceof Map) return { $: 'map', e: [...v].map(([k, x], i) => [this.encode(k, `${path}.key${i}`), this.encode(x, `${path}.value${i}`)]) };
    if (v instanceof Set) return { $: 'set', e: [...v].map((x, i) => this.encode(x, `${path}.item${i}`)) };
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const out = this.fields(v as Record<string, unknown>, path, undefined);
      return Object.hasOwn(v, '$') ? { $: 'o', v: out } : out;
    }
    const cls = this.byProto.get(proto);
    if (!cls) throw new Error(`snapshot: cannot encode an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class'} at ${path} (not a registered class)`);
    if (cls.save) return { $: 'c', c: cls.name, v: this.encode(cls.save(v), `${path}.saved`) };
    return { $: 'c', c: cls.name, v: this.fields(v as Record<string, unknown>, path, cls.skip) };
  }

  private fields(o: Record<string, unknown>, path: string, skip: Record<string, unknown> | undefined): { [k: string]: Json } {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(o)) {
      if (skip && Object.hasOwn(skip, k)) continue;
      out[k] = this.encode(o[k], `${path}.${k}`);
    }
    return out;
  }
}

const TYPED: Record<string, { new (b: ArrayBuffer, offset: number, length: number): ArrayBufferView; readonly BYTES_PER_ELEMENT: number }> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** Bytes of the blocks a decoder's typed arrays are written into. */
const ARENA_BYTES = 1 << 20;

export class GraphDecoder {
  private readonly objects: unknown[] = [];
  private readonly byName = new Map<string, SnapshotClass>();
  /**
   * The typed arrays decoded are views into blocks of this decoder's own
   * (never written again once given out), not an ArrayBuffer each: a lane
   * snapshot holds two or three small arrays per container, which load
   * hooks copy and drop (RollingBaseline's into its slab), and an
   * ArrayBuffer of its own each is memory outside the heap that the
   * collector must account for and free one by one. A state that keeps a
   * decoded array keeps its block alive.
   */
  private arena: Buffer | null = null;
  private arenaAt = 0;

  constructor(classes: readonly SnapshotClass[]) {
    for (const c of classes) this.byName.set(c.name, c);
  }

  decode(j: Json): unknown {
    if (j === null || typeof j !== 'object') return j;
    if (Array.isArray(j)) {
      const out: unknown[] = [];
      this.objects.push(out);
      for (const x of j) out.push(this.decode(x));
      return out;
    }
    const tag = j.$;
    if (tag === undefined) return this.fill({}, j);
    switch (tag) {
      case 'n':
        return Number(j.v === '-0' ? '-0' : j.v);
      case 'u':
        return undefined;
      case 'b':
        return BigInt(j.v as string);
      case 'r': {
        const i = j.i as number;
        if (!(i >= 0 && i < this.objects.length)) throw corrupt(`a reference to object ${i}, of ${this.objects.length} read`);
        return this.objects[i];
      }
      case 'ta': {
        const Ctor = TYPED[j.t as string];
        if (!Ctor) throw corrupt(`an unknown typed array ${String(j.t)}`);
        const text = j.d as string;
        if (typeof text !== 'string') throw corrupt(`a typed array ${String(j.t)} without its bytes`);
        const most = Math.ceil((text.length * 3) / 4);
        if (this.arena === null || this.arenaAt + most > this.arena.length) {
          this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, most));
          this.arenaAt = 0;
        }
        const bytes = this.arena.write(text, this.arenaAt, 'base64');
        if (bytes % Ctor.BYTES_PER_ELEMENT !== 0) throw corrupt(`a typed array ${String(j.t)} of ${bytes} bytes`);
        const out = new Ctor(this.arena.buffer as ArrayBuffer, this.arena.byteOffset + this.arenaAt, bytes / Ctor.BYTES_PER_ELEMENT);
        this.arenaAt += (bytes + 7) & ~7; // (the next array's offset a multiple of 8, as Float64Array needs)
        this.objects.push(out);
        return out;
      }
      case 'map': {
        const out = new Map<unknown, unknown>();
        this.objects.push(out);
        for (const [k, v] of j.e as Json[][]) out.set(this.decode(k!), this.decode(v!));
        return out;
      }
      case 'set': {
        const out = new Set<unknown>();
        this.objects.push(out);
        for (const x of j.e as Json[]) out.add(this.decode(x));
        return out;
      }
      case 'o':
        return this.fill({}, j.v as { [k: string]: Json });
      case 'c': {
        const cls = this.byName.get(j.c as string);
        if (!cls) throw corrupt(`an unknown class ${String(j.c)}`);
        if (cls.load) {
          // numbered before what it holds, as the encoder met them
          const at = this.objects.length;
          this.objects.push(undefined);
          const loaded = cls.load(this.decode(j.v!));
          this.objects[at] = loaded;
          return loaded;
        }
        const out = Object.create(cls.proto) as Record<string, unknown>;
        this.fill(out, j.v as { [k: string]: Json });
        if (cls.skip) for (const [k, v] of Object.entries(cls.skip)) out[k] = v;
        return out;
      }
      default:
        throw corrupt(`an unknown tag ${JSON.stringify(tag)}`);
    }
  }

  private fill(out: Record<string, unknown>, j: { [k: string]: Json }): Record<string, unknown> {
    this.objects.push(out);
    for (const k of Object.keys(j)) out[k] = this.decode(j[k]!);
    return out;
  }
}

function corrupt(what: string): Error {
  return swError('SW_ERR_SNAPSHOT_UNREADABLE', `engine snapshot holds ${what}`);
}
