import type { MqttClient } from 'mqtt';

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/** One received message, from handleMessage until its PUBACK is sent (or the connection is gone). */
export interface AckTicket {
  readonly generation: number;
  readonly needsAck: boolean;
  ready: boolean;
  ack: { packet: { cmd: string; messageId?: number }; rest: unknown[] } | null;
}

/**
 * Several messages of one connection on their way to the bus at once, each
 * still acknowledged only after the bus has it, and in the order received
 * (MQTT 3.1.1 section 4.6).
 *
 * mqtt.js gives a connection's messages to `handleMessage` one at a time and
 * writes the PUBACK when its callback runs; awaiting the bus before calling
 * back allows one message per bus round trip. Here the callback runs at once,
 * so mqtt.js reads on, while the PUBACK it then writes is held back and sent
 * when the message (and every earlier one) is on the bus. Up to `max` messages
 * are in flight; beyond that the callback waits, and mqtt.js stops reading
 * (TCP back-pressure on the broker). A connection that closes drops its held
 * PUBACKs: the broker delivers those messages again (persistent session).
 *
 * Holding the PUBACK goes through mqtt.js's packet writer (`_sendPacket`,
 * internal to mqtt.js 5): `attach` returns null when it is not there, and the
 * listener then acknowledges one message at a time as before.
 */
export class AckWindow {
  private queue: AckTicket[] = [];
  private head = 0;
  private inFlight = 0;
  private capturing: AckTicket | null = null;
  private waiting: (() => void) | null = null;
  private drained: Array<() => void> = [];
  private generation = 0;
  /** PUBACKs mqtt.js wrote itself (so not after the bus): non-zero means this mqtt.js version defeats the window. */
  unexpectedAcks = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly send: SendPacket,
    private readonly max: number,
  ) {}

  static attach(client: MqttClient, max: number): AckWindow | null {
    const internal = client as unknown as { _sendPacket?: SendPacket };
    const original = internal._sendPacket;
    if (typeof original !== 'function' || max < 2) return null;
    const window = new AckWindow(client, original.bind(client), max);
    internal._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback') {
        const t = window.capturing;
        if (t?.needsAck && !t.ack) {
          t.ack = { packet, rest };
          cb?.(); // mqtt.js goes on to the next message; the PUBACK itself waits for the bus
          window.flush();
          return;
        }
        window.unexpectedAcks++;
      }
      original.call(client, packet, cb, ...rest);
    };
    return window;
  }

  /** A message received: its ticket, to `pass` mqtt.js's callback with and to mark `done` once on the bus. */
  open(needsAck: boolean): AckTicket {
    const t: AckTicket = { generation: this.generation, needsAck, ready: false, ack: null };
    this.queue.push(t);
    this.inFlight++;
    return t;
  }

  /** Runs mqtt.js's handleMessage callback now, or once the window has room. */
  pass(t: AckTicket, callback: () => void): void {
    const run = () => {
      if (t.generation !== this.generation) return; // the connection is gone; so is this callback's pump
      this.capturing = t;
      try {
        callback();
      } finally {
        this.capturing = null;
      }
      this.flush();
    };
    if (this.inFlight <= this.max) run();
    else this.waiting = run;
  }

  /** The bus has the message. */
  done(t: AckTicket): void {
    if (t.generation !== this.generation) return;
    t.ready = true;
    this.inFlight--;
    this.flush();
    if (this.waiting && this.inFlight <= this.max) {
      const run = this.waiting;
      this.waiting = null;
      run();
    }
  }

  /** Sends the PUBACKs of the longest prefix of received messages that are all on the bus. */
  private flush(): void {
    let corked = false;
    while (this.head < this.queue.length) {
      const t = this.queue[this.head]!;
      if (!t.ready || (t.needsAck && !t.ack)) break;
      this.head++;
      if (!t.ack) continue;
      if (!corked) {
        // a batch's PUBACKs leave in one socket write, not one each
        const stream = this.client.stream as { cork?: () => void; uncork?: () => void } | undefined;
        if (stream?.cork && stream.uncork) {
          stream.cork();
          process.nextTick(() => stream.uncork!());
        }
        corked = true;
      }
      this.send(t.ack.packet, undefined, ...t.ack.rest);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length && this.drained.length) for (const r of this.drained.splice(0)) r();
  }

  /** Tickets of an earlier connection are stale. */
  get generationNow(): number {
    return this.generation;
  }

  /** Messages received and not yet acknowledged. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Resolves once every message received so far is acknowledged (or dropped by `reset`). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.drained.push(resolve));
  }

  /** The connection is gone (or is being dropped): held PUBACKs are forgotten; the broker redelivers. */
  reset(): void {
    this.generation++;
    this.queue = [];
    this.head = 0;
    this.inFlight = 0;
    this.waiting = null;
    for (const r of this.drained.splice(0)) r();
  }
}
