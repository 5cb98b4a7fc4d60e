import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SealwatchError } from '../../src/errors.js';
import { packagePath } from '../../src/paths.js';

function failure(fn: () => unknown): SealwatchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealwatchError);
    return err as SealwatchError;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('the shipped default file equals the built-in defaults', () => {
    expect(loadConfig({ files: [packagePath('config', 'default.yaml')], env: {} })).toEqual(loadConfig({ env: {} }));
  });

  it('layers file < environment < overrides < --set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'mqtt:\n  topicRoot: fleet\nrules:\n  doorOpen:\n    movingSpeedKn: 4\n');
    const c = loadConfig({ files: [file], env: { SEALWATCH_RULES_DOOR_OPEN_MOVING_SPEED_KN: '5', SEALWATCH_KAFKA_BROKERS: 'a:9092,b:9093', SEALWATCH_INFLUX_ENABLED: 'true' }, sets: ['engine.reorderWindowMs=1000'] });
    expect(c.mqtt.topicRoot).toBe('fleet');
    expect(c.rules.doorOpen.movingSpeedKn).toBe(5);
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.influx.enabled).toBe(true);
    expect(c.engine.reorderWindowMs).toBe(1000);
  });

  it('a wrong value names the key, the value, its source and what was expected', () => {
    const e = failure(() => loadConfig({ env: { SEALWATCH_RULES_DOOR_OPEN_MOVING_SPEED_KN: 'fast' } }));
    expect(e.code).toBe('SW_ERR_CONFIG_INVALID');
    expect(e.message).toContain('rules.doorOpen.movingSpeedKn = "fast"');
    expect(e.message).toContain('SEALWATCH_RULES_DOOR_OPEN_MOVING_SPEED_KN');
    expect(e.message).toMatch(/expected number/);
    const range = failure(() => loadConfig({ env: {}, sets: ['embeddedBroker.port=70000'] }));
    expect(range.message).toMatch(/embeddedBroker\.port = 70000 \(from --set embeddedBroker\.port\): .*65535/);
    const url = failure(() => loadConfig({ env: { SEALWATCH_MQTT_URL: 'localhost:1883' } }));
    expect(url.message).toMatch(/mqtt\.url = "localhost:1883".*a broker URL/);
  });

  it('pipeline.stages: all three by default; a subset only with Kafka; a wrong stage is named', () => {
    expect(loadConfig({ env: {} }).pipeline.stages).toEqual(['ingest', 'rules', 'telemetry']);
    const memory = failure(() => loadConfig({ env: {}, sets: ['pipeline.stages=ingest'] }));
    expect(memory.message).toMatch(/pipeline\.stages = \["ingest"\] \(from --set pipeline\.stages\): expected all of ingest,rules,telemetry with bus\.kind memory/);
    expect(loadConfig({ env: {}, sets: ['bus.kind=kafka', 'pipeline.stages=ingest'] }).pipeline.stages).toEqual(['ingest']);
    expect(loadConfig({ env: { SEALWATCH_PIPELINE_STAGES: 'rules,telemetry', SEALWATCH_BUS_KIND: 'kafka', SEALWATCH_INFLUX_ENABLED: 'true' } }).pipeline.stages).toEqual(['rules', 'telemetry']);
    const typo = failure(() => loadConfig({ env: {}, sets: ['bus.kind=kafka', 'pipeline.stages=ingest,rulez'] }));
    expect(typo.message).toMatch(/pipeline\.stages\.1 = "rulez" \(from --set pipeline\.stages\): .*"ingest"\|"rules"\|"telemetry"/);
    expect(failure(() => loadConfig({ env: {}, sets: ['bus.kind=kafka', 'pipeline.stages=rules,rules'] })).message).toMatch(/pipeline\.stages = \["rules","rules"\].*each stage at most once/);
    expect(failure(() => loadConfig({ env: {}, overrides: { bus: { kind: 'kafka' }, pipeline: { stages: [] } } })).message).toMatch(/pipeline\.stages = \[\] \(from command line\)/);
    // the telemetry stage alone writes nowhere without InfluxDB
    expect(failure(() => loadConfig({ env: {}, sets: ['bus.kind=kafka', 'pipeline.stages=telemetry'] })).message).toMatch(/pipeline\.stages = \["telemetry"\].*influx\.enabled/);
  });

  it('bus.compression: none by default, gzip on request, anything else named', () => {
    expect(loadConfig({ env: {} }).bus.compression).toBe('none');
    expect(loadConfig({ env: { SEALWATCH_BUS_COMPRESSION: 'gzip' } }).bus.compression).toBe('gzip');
    expect(failure(() => loadConfig({ env: {}, sets: ['bus.compression=zstd'] })).message).toMatch(/bus\.compression = "zstd" \(from --set bus\.compression\): .*"none"\|"gzip"/);
  });

  it('mqtt.sharedGroup: none by default, a group name on request, anything else named', () => {
    expect(loadConfig({ env: {} }).mqtt.sharedGroup).toBeNull();
    expect(loadConfig({ env: { SEALWATCH_MQTT_SHARED_GROUP: 'sealwatch-ingest' } }).mqtt.sharedGroup).toBe('sealwatch-ingest');
    expect(failure(() => loadConfig({ env: {}, sets: ['mqtt.sharedGroup=a/b'] })).message).toMatch(/mqtt\.sharedGroup = "a\/b" \(from --set mqtt\.sharedGroup\): a group name of 1-64 letters/);
  });

  it('kafka.sessionTimeoutMs: 30 s by default, within 6 s and 30 min, anything else named', () => {
    expect(loadConfig({ env: {} }).kafka.sessionTimeoutMs).toBe(30_000);
    expect(loadConfig({ env: { SEALWATCH_KAFKA_SESSION_TIMEOUT_MS: '10000' } }).kafka.sessionTimeoutMs).toBe(10_000);
    expect(failure(() => loadConfig({ env: {}, sets: ['kafka.sessionTimeoutMs=1000'] })).message).toMatch(/kafka\.sessionTimeoutMs = 1000 \(from --set kafka\.sessionTimeoutMs\): .*6000/);
  });

  it('an unknown key in a file is refused, by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'rules:\n  doorOpen:\n    movingSpeed: 4\n');
    expect(failure(() => loadConfig({ files: [file], env: {} })).message).toMatch(/rules\.doorOpen: unknown key\(s\) "movingSpeed"/);
  });

  it('never echoes a secret', () => {
    const e = failure(() => loadConfig({ env: {}, overrides: { influx: { token: 12345 } } }));
    expect(e.message).toContain('influx.token = [redacted]');
    expect(e.message).not.toContain('12345');
  });

  it('a secret comes from SEALWATCH_<KEY>_FILE, and never from --set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cfg-'));
    writeFileSync(join(dir, 'token'), 's3cr3t-from-file\n');
    const c = loadConfig({ env: { SEALWATCH_INFLUX_TOKEN: 'from-env', SEALWATCH_INFLUX_TOKEN_FILE: join(dir, 'token') } });
    expect(c.influx.token).toBe('s3cr3t-from-file');
    const missing = failure(() => loadConfig({ env: { SEALWATCH_KAFKA_PASSWORD_FILE: join(dir, 'nope') } }));
    expect(missing.code).toBe('SW_ERR_CONFIG_FILE');
    expect(missing.message).toContain('SEALWATCH_KAFKA_PASSWORD_FILE');
    const viaSet = failure(() => loadConfig({ env: {}, sets: ['mqtt.password=hunter2'] }));
    expect(viaSet.code).toBe('SW_ERR_CONFIG_INVALID');
    expect(viaSet.message).toContain('SEALWATCH_MQTT_PASSWORD');
    expect(viaSet.message).not.toContain('hunter2');
  });

  it('an unreadable or malformed file is named', () => {
    expect(failure(() => loadConfig({ files: ['/nonexistent/sw.yaml'], env: {} })).code).toBe('SW_ERR_CONFIG_FILE');
    const dir = mkdtempSync(join(tmpdir(), 'sw-cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), 'mqtt: [unclosed');
    expect(failure(() => loadConfig({ files: [join(dir, 'bad.yaml')], env: {} })).message).toContain('bad.yaml');
  });
});
