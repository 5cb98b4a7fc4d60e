/**
 * The three device wire formats of WIRE section 1, one encoder each. An
 * encoder holds the per-device counters the format needs (json-v1 msgId,
 * csv-v1 seq), so one encoder instance belongs to one device.
 */
export type WireFormat = 'json-v1' | 'csv-v1' | 'batch-v1';

/** One simulated reading as the device measured it; ts is the device's own clock (ms). */
export type SimReading =
  | { kind: 'door'; ts: number; open: boolean }
  | { kind: 'gps'; ts: number; lat: number; lon: number; speedKn?: number; headingDeg?: number; hdop?: number }
  | { kind: 'light'; ts: number; lux: number }
  | { kind: 'temp'; ts: number; celsius: number; setpointC?: number };

export interface Encoded {
  topic: string;
  payload: Buffer;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Heading as a whole number of degrees in 0..359. */
const wholeHeading = (h: number): number => ((Math.round(h) % 360) + 360) % 360;

let isoDay = NaN;
let isoDayPrefix = '';

/**
 * `new Date(ms).toISOString()`, faster for the millions of timestamps a
 * fleet produces: the date part is cached per UTC day.
 */
export function isoTime(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== isoDay) {
    const full = new Date(day * 86_400_000).toISOString();
    if (full.length !== 24) return new Date(ms).toISOString(); // years outside 0000-9999
    isoDay = day;
    isoDayPrefix = full.slice(0, 11);
  }
  let rest = ms - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const f = rest - s * 1000;
  return `${isoDayPrefix}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}.${f < 10 ? '00' : f < 100 ? '0' : ''}${f}Z`;
}

/** json-v1: `{root}/json/{deviceId}/{door|gps|light|temp}`, one JSON object per reading. */
export class JsonV1Encoder {
  private n = 0;
  private readonly topics: Record<SimReading['kind'], string>;
  private readonly quotedContainer: string;

  constructor(
    readonly topicRoot: string,
    readonly deviceId: string,
    readonly containerId: string,
    /** Prefix of this device's message ids, e.g. `a1b2` -> `a1b2-000017`. */
    readonly msgTag: string,
    firstMsgNumber = 1,
  ) {
    this.n = firstMsgNumber - 1;
    const base = `${topicRoot}/json/${deviceId}/`;
    this.topics = { door: `${base}door`, gps: `${base}gps`, light: `${base}light`, temp: `${base}temp` };
    this.quotedContainer = JSON.stringify(containerId);
  }

  nextMsgId(): string {
    this.n++;
    return `${this.msgTag}-${String(this.n).padStart(6, '0')}`;
  }

  encode(r: SimReading): Encoded {
    // built by hand (the ids are plain ASCII): this runs for every simulated reading
    let s = `{"msgId":${JSON.stringify(this.nextMsgId())},"containerId":${this.quotedContainer},"ts":"${isoTime(r.ts)}"`;
    switch (r.kind) {
      case 'door':
        s += r.open ? ',"state":"open"}' : ',"state":"closed"}';
        break;
      case 'gps':
        s += `,"lat":${round(r.lat, 6)},"lon":${round(r.lon, 6)}`;
        if (r.speedKn !== undefined) s += `,"speedKn":${round(Math.max(0, r.speedKn), 1)}`;
        if (r.headingDeg !== undefined) s += `,"headingDeg":${wholeHeading(r.headingDeg)}`;
        if (r.hdop !== undefined) s += `,"hdop":${round(Math.max(0.1, r.hdop), 1)}`;
        s += '}';
        break;
      case 'light':
        s += `,"lux":${round(Math.max(0, r.lux), 1)}}`;
        break;
      case 'temp':
        s += `,"celsius":${round(r.celsius, 1)}`;
        if (r.setpointC !== undefined) s += `,"setpointC":${round(r.setpointC, 1)}`;
        s += '}';
        break;
    }
    return { topic: this.topics[r.kind], payload: Buffer.from(s) };
  }
}

/** csv-v1: `{root}/csv/{deviceId}`, `seq;type;epochSeconds;values`, seq wrapping at 65536. */
export class CsvV1Encoder {
  private seq: number;
  readonly topic: string;

  constructor(
    readonly topicRoot: string,
    readonly deviceId: string,
    /** The seq of the first message (devices do not start at 0 after a reboot). */
    firstSeq = 0,
  ) {
    this.seq = ((firstSeq % 65536) + 65536 - 1) % 65536;
    this.topic = `${topicRoot}/csv/${deviceId}`;
  }

  encode(r: SimReading): Encoded {
    this.seq = (this.seq + 1) % 65536;
    return { topic: this.topic, payload: Buffer.from(csvLine(this.seq, r)) };
  }
}

export function csvLine(seq: number, r: SimReading): string {
  const epoch = Math.floor(r.ts / 1000);
  switch (r.kind) {
    case 'door':
      return `${seq};D;${epoch};${r.open ? 1 : 0}`;
    case 'gps': {
      const speed = r.speedKn === undefined ? '' : Math.max(0, r.speedKn).toFixed(1);
      const heading = r.headingDeg === undefined ? '' : String(wholeHeading(r.headingDeg));
      return `${seq};G;${epoch};${r.lat.toFixed(5)};${r.lon.toFixed(5)};${speed};${heading}`;
    }
    case 'light':
      return `${seq};L;${epoch};${Math.max(0, Math.round(r.lux))}`;
    case 'temp':
      return r.setpointC === undefined ? `${seq};T;${epoch};${Math.round(r.celsius * 10)}` : `${seq};T;${epoch};${Math.round(r.celsius * 10)};${Math.round(r.setpointC * 10)}`;
  }
}

/** One reading of one container inside a gateway batch. */
export interface BatchEvent {
  eventId: string;
  deviceId: string;
  containerId: string;
  reading: SimReading;
}

/** One event of a batch as JSON text. */
export function batchEventJson(e: BatchEvent): string {
  const r = e.reading;
  let s = `{"eventId":${JSON.stringify(e.eventId)},"equipmentReference":${JSON.stringify(e.containerId)},"deviceId":${JSON.stringify(e.deviceId)},"eventDateTime":"${isoTime(r.ts)}"`;
  switch (r.kind) {
    case 'door':
      return s + (r.open ? ',"eventType":"DOOR_OPENED"}' : ',"eventType":"DOOR_CLOSED"}');
    case 'gps':
      s += `,"eventType":"LOCATION","latitude":${round(r.lat, 6)},"longitude":${round(r.lon, 6)}`;
      if (r.speedKn !== undefined) s += `,"speedKnots":${round(Math.max(0, r.speedKn), 1)}`;
      if (r.headingDeg !== undefined) s += `,"headingDegrees":${wholeHeading(r.headingDeg)}`;
      return s + '}';
    case 'light':
      return s + `,"eventType":"LIGHT","lux":${round(Math.max(0, r.lux), 1)}}`;
    case 'temp':
      s += `,"eventType":"TEMPERATURE","temperatureCelsius":${round(r.celsius, 1)}`;
      if (r.setpointC !== undefined) s += `,"setpointCelsius":${round(r.setpointC, 1)}`;
      return s + '}';
  }
}

/** batch-v1: `{root}/batch/{gatewayId}`, many containers' readings in one JSON object. */
export function encodeBatch(topicRoot: string, gatewayId: string, sentAt: number, events: readonly BatchEvent[]): Encoded {
  let s = `{"gatewayId":${JSON.stringify(gatewayId)},"sentAt":"${isoTime(sentAt)}","events":[`;
  for (let i = 0; i < events.length; i++) s += (i ? ',' : '') + batchEventJson(events[i]!);
  return { topic: `${topicRoot}/batch/${gatewayId}`, payload: Buffer.from(s + ']}') };
}
