#!/usr/bin/env node
import { Command, Option } from 'commander';
import { TOPICS } from './bus/topics.js';
import { SealwatchError } from './errors.js';
import type { GlobalOptions } from './cli/common.js';

const program = new Command();
program
  .name('sealwatch')
  .description('Container integrity monitoring: MQTT in, normalised events, event-time breach rules, alerts out')
  .option('-c, --config <file...>', 'configuration file(s) over config/default.yaml (YAML or JSON)')
  .option('-p, --profile <name>', 'a named profile from config/ (demo, stack)')
  .option('-s, --set <key=value...>', 'override one configuration key, e.g. --set rules.doorOpen.movingSpeedKn=4')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

program
  .command('demo')
  .description('embedded broker + pipeline + simulated fleet in one process; prints alerts as they come')
  .option('--duration <seconds>', 'stop by itself after this many seconds')
  .option('--alerts-out <file>', 'also write alerts as NDJSON')
  .option('--containers <n>', 'simulated containers', '24')
  .option('--seed <n>', 'simulation seed', '7')
  .option('--speed <x>', 'simulated seconds per wall second', '3600')
  .option('--port <port>', 'embedded broker TCP port (default: embeddedBroker.port, 1883)')
  .action(async (o) => (await import('./cli/demo-cmd.js')).demoCommand(o, globals()));

program
  .command('run')
  .description('the pipeline against the configured MQTT broker, bus and sinks (use --profile stack for Kafka + InfluxDB)')
  .option('--trips <dir>', 'directory of trip plans (JSON or YAML)')
  .option('--alerts-out <file>', 'also write alerts as NDJSON')
  .action(async (o) => (await import('./cli/run-cmd.js')).runCommand(o, globals()));

program
  .command('simulate')
  .description('a simulated fleet: write a labelled corpus (--out-dir) and/or publish it live (--broker)')
  .option('--out-dir <dir>', 'write capture.ndjson.gz, trips/ and labels.ndjson here')
  .option('--broker <url>', 'publish live to this MQTT broker')
  .option('--username <name>', 'MQTT username (password from SEALWATCH_SIMULATOR_PASSWORD)')
  .option('--ca-file <pem>', 'CA certificate that signs the broker\'s TLS certificate (mqtts:// URLs)')
  .option('--seed <n>', 'seed: the same seed gives the same files', '1')
  .option('--containers <n>', 'number of containers', '50')
  .option('--scenarios <list>', 'comma-separated rule ids to inject (default: all the simulator supports)')
  .option('--breach-share <fraction>', 'share of containers with an injected breach')
  .option('--no-faults', 'no field faults (duplicates, reordering, store-and-forward, skew, garbage)')
  .option('--speed <x>', 'live publishing: simulated seconds per wall second', '3600')
  .option('--start <iso>', 'simulated time of the first reading')
  .action(async (o) => (await import('./cli/simulate-cmd.js')).simulateCommand(o, globals()));

program
  .command('record')
  .description('write every message under the topic root to a capture file (WIRE section 4)')
  .requiredOption('--broker <url>', 'MQTT broker URL')
  .requiredOption('--out <file>', 'capture file (.ndjson or .ndjson.gz)')
  .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
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
  .action(async (capture, o) => (await import('./cli/replay-cmd.js')).replayCommand(capture, o, globals()));

program
  .command('evaluate')
  .description('score alerts against labels (WIRE section 5): recall, precision, time to detect, per rule')
  .requiredOption('--labels <file>', 'labels NDJSON')
  .requiredOption('--alerts <file>', 'alerts NDJSON')
  .option('--table', 'a Markdown table instead of JSON')
  .action(async (o) => (await import('./cli/evaluate-cmd.js')).evaluateCommand(o));

program
  .command('config')
  .description('print the effective configuration (secrets redacted), or the error that stops start-up')
  .action(async () => {
    const { context } = await import('./cli/common.js');
    const { redactConfig } = await import('./config/load.js');
    process.stdout.write(JSON.stringify(redactConfig(context(globals()).config), null, 2) + '\n');
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof SealwatchError) {
    process.stderr.write(`sealwatch: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sealwatch: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
