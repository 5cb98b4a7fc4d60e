#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TOPICS } from './bus/topics.js';
import { SealwatchError } from './errors.js';
import type { GlobalOptions } from './cli/common.js';
import { packagePath } from './paths.js';

/** Repeatable options (`-c a.yaml -c b.yaml`): each use adds one value, none swallows what follows. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Number arguments checked where they are parsed: a usage error (exit 2) names the flag, the value and what is expected. */
function numberArg(flag: string, check: (n: number) => boolean, expected: string): (value: string) => string {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)}: expected ${expected}`);
    return value;
  };
}
const positive = (flag: string) => numberArg(flag, (n) => n > 0, 'a number > 0');
const count = (flag: string) => numberArg(flag, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
const integer = (flag: string) => numberArg(flag, (n) => Number.isInteger(n), 'a whole number');

const version = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

const program = new Command();
program
  .name('sealwatch')
  .description('Container integrity monitoring: MQTT in, normalised events, event-time breach rules, alerts out')
  .version(version, '-V, --version', 'print the version')
  .option('-c, --config <file>', 'a configuration file over config/default.yaml (YAML or JSON); repeatable, later files win', collect, [])
  .option('-p, --profile <name>', 'a named profile from config/ (demo, stack)')
  .option('-s, --set <key=value>', 'override one configuration key, e.g. --set rules.doorOpen.movingSpeedKn=4; repeatable', collect, [])
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .showSuggestionAfterError()
  .exitOverride()
  // one line per usage error, no help dump and no stack trace
  .configureOutput({
    outputError: (text, write) =>
      write(
        `sealwatch: ${text
          .trim()
          .split('\n')[0]!
          .replace(/^error: /, '')} (see sealwatch --help)\n`,
      ),
  });

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

program
  .command('demo')
  .description('embedded broker + pipeline + simulated fleet in one process; prints alerts as they come')
  .option('--duration <seconds>', 'stop by itself after this many seconds', positive('--duration'))
  .option('--alerts-out <file>', 'also write alerts as NDJSON')
  .option('--containers <n>', 'simulated containers', count('--containers'), '24')
  .option('--seed <n>', 'simulation seed', integer('--seed'), '7')
  .option('--speed <x>', 'simulated seconds per wall second', positive('--speed'), '3600')
  .option(
    '--port <port>',
    'embedded broker TCP port (default: embeddedBroker.port, 1883)',
    numberArg('--port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a TCP port, 0-65535'),
  )
  .action(async (o) => (await import('./cli/demo-cmd.js')).demoCommand(o, globals()));

program
  .command('run')
  .description('the pipeline against the configured MQTT broker, bus and sinks (use --profile stack for Kafka + InfluxDB)')
  .option('--trips <dir>', 'directory of trip plans (JSON or YAML)')
  .option('--alerts-out <file>', 'also write alerts as NDJSON')
  .option('--stages <list>', 'the stages this process runs, comma-separated: ingest,rules,telemetry (default all three, pipeline.stages; a subset needs bus.kind kafka)')
  .action(async (o) => (await import('./cli/run-cmd.js')).runCommand(o, globals()));

program
  .command('simulate')
  .description('a simulated fleet: write a labelled corpus (--out-dir) and/or publish it live (--broker)')
  .option('--out-dir <dir>', 'write capture.ndjson.gz, trips/ and labels.ndjson here')
  .option('--broker <url>', 'publish live to this MQTT broker')
  .option('--username <name>', 'MQTT username (password from SEALWATCH_SIMULATOR_PASSWORD)')
  .option('--ca-file <pem>', "CA certificate that signs the broker's TLS certificate (mqtts:// URLs)")
  .option('--seed <n>', 'seed: the same seed gives the same files', integer('--seed'), '1')
  .option('--containers <n>', 'number of containers', count('--containers'), '50')
  .option('--scenarios <list>', 'comma-separated rule ids to inject (default: all the simulator supports)')
  .option(
    '--breach-share <fraction>',
    'share of containers with an injected breach',
    numberArg('--breach-share', (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1'),
  )
  .option('--no-faults', 'no field faults (duplicates, reordering, store-and-forward, skew, garbage)')
  .option('--speed <x>', 'live publishing: simulated seconds per wall second', positive('--speed'), '3600')
  .option('--start <iso>', 'simulated time of the first reading')
  .action(async (o) => (await import('./cli/simulate-cmd.js')).simulateCommand(o, globals()));

program
  .command('record')
  .description('write every message under the topic root to a capture file (WIRE section 4)')
  .requiredOption('--broker <url>', 'MQTT broker URL')
  .requiredOption('--out <file>', 'capture file (.ndjson or .ndjson.gz)')
  .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)', positive('--duration'))
  .option('--username <name>', 'MQTT username (password from SEALWATCH_RECORD_PASSWORD)')
  .action(async (o) => (await import('./cli/record-cmd.js')).recordCommand(o, globals()));

program
  .command('replay')
  .description('feed a capture through the same decode and rule path; prints a one-line JSON summary')
  .argument('<capture>', 'capture file (.ndjson or .ndjson.gz)')
  .option('--trips <dir>', 'directory of trip plans')
  .option('--alerts-out <file>', 'write alerts as NDJSON (replaced)')
  .addOption(new Option('--speed <max|N>', '"max" or N times the recorded pace').default('max'))
  .option('--print', 'print alerts readably on stderr')
  .option('--stack', `through the local stack: publish into Mosquitto, pipeline on Kafka + InfluxDB, alerts read back from ${TOPICS.alerts}`)
  .option('--rule-history <file>', 'rule thresholds changed at given event times, as GET /api/rules/history gives them: the replay applies each from its time on')
  .action(async (capture, o) => (await import('./cli/replay-cmd.js')).replayCommand(capture, o, globals()));

program
  .command('evaluate')
  .description('score alerts against labels (WIRE section 5): recall, precision, time to detect, per rule')
  .requiredOption('--labels <file>', 'labels NDJSON')
  .requiredOption('--alerts <file>', 'alerts NDJSON')
  .option('--table', 'a Markdown table instead of JSON')
  .option(
    '--explain',
    'diagnose instead of scoring: for each missed label and each label found only by another rule, the readings around it and how close each rule came (ranked); for each alert matching no label, the readings behind it. Needs --capture and --trips, and the configuration the replay ran with (docs/evaluate.md)',
  )
  .option('--capture <file>', 'with --explain: the capture the alerts were replayed from')
  .option('--trips <dir>', 'with --explain: the trip plans of that replay (default: trips.dir)')
  .option('--context-min <n>', 'with --explain: readings shown this many minutes before and after each label or alert (default 60)')
  .option('--json', 'with --explain: one JSON object per diagnosed item (NDJSON) instead of text')
  .action(async (o) => (await import('./cli/evaluate-cmd.js')).evaluateCommand(o, globals()));

program
  .command('config')
  .description('print the effective configuration (secrets redacted), or the error that stops start-up')
  .action(async () => {
    const { context } = await import('./cli/common.js');
    const { redactConfig } = await import('./config/load.js');
    process.stdout.write(JSON.stringify(redactConfig(context(globals()).config), null, 2) + '\n');
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2); // commander has printed its one line (or the help, or the version)
  if (err instanceof SealwatchError) {
    process.stderr.write(`sealwatch: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sealwatch: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
