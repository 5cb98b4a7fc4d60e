import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

const cli = packagePath('dist', 'src', 'cli.js');
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, SEALWATCH_LOG_LEVEL: 'warn', ...env }, timeout: 120_000 });

describe('the sealwatch command', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [packagePath('scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
  }, 300_000);

  it('--help lists the subcommands', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['demo', 'run', 'simulate', 'record', 'replay', 'evaluate', 'config']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('a wrong configuration value stops start-up with exit 2, naming key, value and expectation', () => {
    const r = run(['config'], { SEALWATCH_ENGINE_REORDER_WINDOW_MS: 'soon' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SW_ERR_CONFIG_INVALID: invalid configuration: engine\.reorderWindowMs = "soon" \(from environment SEALWATCH_ENGINE_REORDER_WINDOW_MS\): .*number/);
    const ok = run(['config', '--set', 'engine.reorderWindowMs=2000']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).engine.reorderWindowMs).toBe(2000);
  });

  it('run --stages: a subset with the memory bus stops start-up, naming pipeline.stages; a wrong stage is named', () => {
    const r = run(['run', '--stages', 'ingest', '--set', 'api.enabled=false']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SW_ERR_CONFIG_INVALID: invalid configuration: pipeline\.stages = \["ingest"\] \(from command line\): expected all of ingest,rules,telemetry with bus\.kind memory/);
    const typo = run(['run', '--stages', 'ingest,rule', '--set', 'bus.kind=kafka']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/pipeline\.stages\.1 = "rule" \(from command line\)/);
  });

  it('simulate -> replay -> evaluate on a small corpus, with one-line JSON summaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
    const sim = run(['simulate', '--out-dir', dir, '--seed', '5', '--containers', '6', '--breach-share', '1', '--scenarios', 'DOOR_OPEN_IN_TRANSIT,LOCATION_JUMP']);
    expect(sim.status, sim.stderr).toBe(0);
    expect(JSON.parse(sim.stdout)).toMatchObject({ trips: 6, labels: 6 });
    for (const f of ['capture.ndjson.gz', 'labels.ndjson', 'trips']) expect(existsSync(join(dir, f))).toBe(true);
    const rep = run(['replay', join(dir, 'capture.ndjson.gz'), '--trips', join(dir, 'trips'), '--alerts-out', join(dir, 'alerts.ndjson')]);
    expect(rep.status, rep.stderr).toBe(0);
    const summary = JSON.parse(rep.stdout.trim().split('\n').pop()!);
    expect(summary.messages).toBeGreaterThan(1000);
    expect(summary.trips).toBe(6);
    expect(readFileSync(join(dir, 'alerts.ndjson'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(6);
    const ev = run(['evaluate', '--labels', join(dir, 'labels.ndjson'), '--alerts', join(dir, 'alerts.ndjson')]);
    expect(ev.status).toBe(0);
    const score = JSON.parse(ev.stdout);
    expect(score.recall).toBe(1);
    expect(score.perRule.DOOR_OPEN_IN_TRANSIT.recall).toBe(1);
    expect(score.perRule.LOCATION_JUMP.recall).toBe(1);
  });

  it('follows the usual conventions: --version, global options before or after the subcommand, repeatable -c/-s', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).version);
    const dir = mkdtempSync(join(tmpdir(), 'sw-cli-conf-'));
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, 'engine:\n  reorderWindowMs: 1000\n');
    writeFileSync(b, 'engine:\n  allowedLatenessMs: 7200000\n');
    for (const args of [
      ['-c', a, '-c', b, '--set', 'rules.doorOpen.movingSpeedKn=4', '-s', 'rules.doorOpen.fixMaxAgeMs=120000', 'config'],
      ['config', '-c', a, '--config', b, '-s', 'rules.doorOpen.movingSpeedKn=4', '--set', 'rules.doorOpen.fixMaxAgeMs=120000'],
    ]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(0);
      const c = JSON.parse(r.stdout);
      expect([c.engine.reorderWindowMs, c.engine.allowedLatenessMs, c.rules.doorOpen.movingSpeedKn, c.rules.doorOpen.fixMaxAgeMs]).toEqual([1000, 7_200_000, 4, 120_000]);
    }
  });

  it('every usage error exits 2 with one line and no stack trace; numbers are checked where they are parsed', () => {
    const cases: Array<[string[], RegExp]> = [
      [['bogus'], /unknown command 'bogus'/],
      [['config', '--nope'], /unknown option '--nope'/],
      [['replay'], /missing required argument 'capture'/],
      [['evaluate', '--labels', 'x'], /required option '--alerts <file>' not specified/],
      [['simulate', '--containers', 'many'], /--containers "many": expected a whole number >= 1/],
      [['simulate', '--breach-share', '1.5'], /--breach-share "1.5": expected a fraction from 0 to 1/],
      [['demo', '--port', '70000'], /--port "70000": expected a TCP port, 0-65535/],
      [['record', '--broker', 'mqtt://127.0.0.1:1', '--out', 'x', '--duration', '-3'], /--duration "-3": expected a number > 0/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('demo refuses an MQTT shared subscription group: its embedded broker has none', () => {
    const r = run(['demo', '--duration', '1', '--port', '0', '--set', 'api.port=0', '--set', 'mqtt.sharedGroup=g1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/mqtt\.sharedGroup "g1": the demo's embedded broker \(aedes\) has no shared subscriptions; expected null/);
  });

  it('warns by name about SEALWATCH_* variables that name no configuration key, and not about those that do', () => {
    const r = run(['config'], { SEALWATCH_RULES_DOOR_OPEN_MOVNG_SPEED_KN: '4', SEALWATCH_ENGINE_REORDER_WINDOW_MS: '2000' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/config\.unknown_env: SEALWATCH_RULES_DOOR_OPEN_MOVNG_SPEED_KN names no configuration key/);
    expect(r.stderr).not.toMatch(/SEALWATCH_ENGINE_REORDER_WINDOW_MS/);
  });

  it('a missing trip directory or a bad speed is a clear usage error', () => {
    const r = run(['replay', '/nonexistent.ndjson', '--speed', 'fast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SW_ERR_USAGE: --speed "fast": expected "max" or a positive number/);
    const t = run(['replay', '/nonexistent.ndjson', '--trips', '/nonexistent-dir']);
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/SW_ERR_TRIP_INVALID: invalid trip plan \/nonexistent-dir/);
  });
});

describe('sealwatch demo', () => {
  it('runs the embedded broker, pipeline, API and simulated fleet, raises alerts, and stops by itself', () => {
    const r = run(['demo', '--duration', '12', '--port', '0', '--containers', '12', '--set', 'api.port=0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/embedded MQTT broker on mqtt:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).toMatch(/dashboard http:\/\/127\.0\.0\.1:\d+\/dashboard\//);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.messages).toBeGreaterThan(500);
    // The fleet is paced against the wall clock: on a loaded machine a store-and-forward backlog can
    // reach the pipeline after its hold and is then counted late (correctly); never more than a few.
    expect(summary.late).toBeLessThanOrEqual(Math.ceil(summary.readings * 0.005));
    expect(Object.values(summary.alerts as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});

describe('console colour', () => {
  it('colours alerts on a terminal unless NO_COLOR is set', async () => {
    const { useColour } = await import('../../src/sinks/console.js');
    const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
    const pipe = {} as NodeJS.WritableStream;
    expect(useColour(tty, {})).toBe(true);
    expect(useColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(pipe, {})).toBe(false);
  });
});
