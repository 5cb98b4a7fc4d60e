import type { FastifyReply, FastifyRequest } from 'fastify';

/** The shapes a track or an alert's evidence can be had in. */
export const EXPORT_FORMATS = ['json', 'geojson', 'csv', 'kml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const MEDIA_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  kml: 'application/vnd.google-earth.kml+xml; charset=utf-8',
};

const BY_MEDIA_TYPE: Record<string, ExportFormat> = {
  'application/json': 'json',
  'application/geo+json': 'geojson',
  'text/csv': 'csv',
  'application/vnd.google-earth.kml+xml': 'kml',
};

/** The `format` query property every exporting route declares. */
export const formatQuery = { type: 'string', enum: EXPORT_FORMATS, description: 'json (default), geojson, csv or kml; wins over the Accept header' } as const;

/**
 * `?format=` first (a link in a browser cannot set headers), else the
 * Accept header by its q-values; JSON when the client takes anything. Null
 * when the client accepts none of them (the route answers 406).
 */
export function pickFormat(req: FastifyRequest, query: ExportFormat | undefined): ExportFormat | null {
  if (query) return query;
  const accept = req.headers.accept;
  if (!accept) return 'json';
  const offers = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type!.trim(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((o) => o.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const o of offers) {
    if (BY_MEDIA_TYPE[o.type]) return BY_MEDIA_TYPE[o.type]!;
    if (o.type === '*/*' || o.type === 'application/*') return 'json';
  }
  return null;
}

export function notAcceptable(reply: FastifyReply) {
  return reply.code(406).send({
    statusCode: 406,
    error: 'Not Acceptable',
    message: `this resource is available as ${Object.values(MEDIA_TYPES)
      .map((t) => t.split(';')[0])
      .join(', ')} (or ?format=${EXPORT_FORMATS.join('|')})`,
  });
}

/** Sends an export as a download named after what it holds; a string, so no response schema reshapes it. */
export function sendExport(reply: FastifyReply, format: ExportFormat, name: string, body: string) {
  return reply
    .type(MEDIA_TYPES[format])
    .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}"`)
    .send(body);
}
