import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { packagePath } from '../paths.js';
import type { ApiContext } from './context.js';

/**
 * The dashboard's files are served from the source tree
 * (`src/api/dashboard`, found through the package root whether we run from
 * src/ or dist/): plain HTML and JS modules need no build step. Map and
 * geometry libraries come from node_modules: nothing is fetched from the
 * network, and a Content-Security-Policy of 'self' makes sure of it.
 */
export const DASHBOARD_DIR = packagePath('src', 'api', 'dashboard');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml' };
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const d3geo = require.resolve('d3-geo');
  const d3array = require.resolve('d3-array', { paths: [dirname(d3geo)] });
  const topo = require.resolve('topojson-client');
  const atlas = dirname(require.resolve('world-atlas/package.json'));
  return {
    'd3-array.js': join(dirname(d3array), 'd3-array.min.js'),
    'd3-geo.js': join(dirname(d3geo), 'd3-geo.min.js'),
    'topojson-client.js': join(dirname(topo), 'topojson-client.min.js'),
    'land-50m.json': join(atlas, 'land-50m.json'),
    'countries-110m.json': join(atlas, 'countries-110m.json'),
  };
}

function extOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i);
}

export const dashboardPlugin: FastifyPluginAsync<ApiContext> = async (app) => {
  // A fixed list read at start: no path from a request ever reaches the file system.
  const own = new Map(
    readdirSync(DASHBOARD_DIR)
      .filter((f) => /^[a-z0-9-]+\.(html|js|css|svg)$/.test(f))
      .map((f) => [f, join(DASHBOARD_DIR, f)]),
  );
  const vendor = new Map(Object.entries(vendorFiles()));
  const cache = new Map<string, Buffer>();
  const load = (path: string) => {
    let b = cache.get(path);
    if (!b) {
      b = readFileSync(path);
      cache.set(path, b);
    }
    return b;
  };
  const hide = { hide: true } as const;

  app.get('/', { schema: hide }, async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard', { schema: hide }, async (_req, reply) => reply.redirect('/dashboard/'));
  const serveOwn = async (name: string, reply: FastifyReply) => {
    const path = own.get(name);
    if (!path) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no dashboard file ${name}` });
    // Read afresh each time (no cache): editing the dashboard needs no restart.
    return reply
      .type(TYPES[extOf(name)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(readFileSync(path));
  };
  app.get('/dashboard/', { schema: hide }, async (_req, reply) => serveOwn('index.html', reply));
  app.get<{ Params: { file: string } }>('/dashboard/:file', { schema: hide }, async (req, reply) => serveOwn(req.params.file, reply));
  app.get<{ Params: { file: string } }>('/vendor/:file', { schema: hide }, async (req, reply) => {
    const path = vendor.get(req.params.file);
    if (!path) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no vendor file ${req.params.file}` });
    return reply
      .type(TYPES[extOf(req.params.file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(load(path));
  });
};
