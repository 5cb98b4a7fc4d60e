import type { WireFormat } from '../../../src/model/reading.js';
import { batchV1 } from './batch-v1.js';
import type { WireFormatDecoder } from './context.js';
import { csvV1 } from './csv-v1.js';
import { jsonV1 } from './json-v1.js';

/**
 * The wire formats sealwatch reads, one line each. A new format is a decoder
 * file exporting a WireFormatDecoder and its line here; the type checker then
 * asks for its id in WIRE_FORMATS (src/model/reading.ts: readings name their
 * format on the telemetry topic) and its payload limit in
 * `ingest.maxPayloadBytes`. The order is the order topics are listed in.
 */
export const WIRE_DECODERS: readonly WireFormatDecoder[] = [jsonV1, csvV1, batchV1];

const BY_FORMAT = new Map<WireFormat, WireFormatDecoder>(WIRE_DECODERS.map((d) => [d.format, d]));

export function decoderFor(format: WireFormat): WireFormatDecoder {
  const d = BY_FORMAT.get(format);
  if (!d) throw new Error(`no decoder registered for wire format ${format}`);
  return d;
}
