import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagePath } from '../../../src/paths.js';

/**
 * docker-compose.yml cannot run here (no Docker engine); Debian's
 * docker-compose validates it (installed by scripts/test.sh when missing).
 */
describe('docker-compose.yml', () => {
  it('is valid for docker-compose config', () => {
    const out = execFileSync('docker-compose', ['-f', packagePath('docker-compose.yml'), 'config'], { encoding: 'utf8', cwd: packagePath() });
    const cfg = parse(out) as { services: Record<string, unknown> };
    expect(Object.keys(cfg.services).sort()).toEqual(['grafana', 'influxdb', 'kafka', 'mosquitto', 'sealwatch', 'simulator']);
  });

  it('provisions a Grafana dashboard whose panels read the WIRE measurements', () => {
    const dash = JSON.parse(readFileSync(packagePath('deploy', 'grafana', 'dashboards', 'sealwatch.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ query: string }> }> };
    const queries = dash.panels.map((p) => p.targets[0]!.query).join('\n');
    for (const m of ['"alert"', '"location"', '"temperature"', '"deadletter"']) expect(queries).toContain(`_measurement == ${m}`);
    const ds = readFileSync(packagePath('deploy', 'grafana', 'provisioning', 'datasources', 'influxdb.yaml'), 'utf8');
    expect(ds).toMatch(/version: Flux/);
  });
});
