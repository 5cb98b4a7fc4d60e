import { readAlerts, readLabels, score } from '../evaluate/score.js';

export function evaluateCommand(opts: { labels: string; alerts: string; table?: boolean }): void {
  const result = score(readLabels(opts.labels), readAlerts(opts.alerts));
  if (opts.table) {
    const rows = Object.entries(result.perRule).map(([rule, r]) => `| ${rule} | ${r.labels} | ${r.recall ?? '-'} | ${r.expectedRuleShare ?? '-'} | ${r.alerts} | ${r.precision ?? '-'} | ${r.medianMinutesToDetect ?? '-'} | ${r.p90MinutesToDetect ?? '-'} |`);
    process.stdout.write(['| rule | labels | recall | expected rule | alerts | precision | median min to detect | p90 min |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows, `| **all** | ${result.labels} | ${result.recall ?? '-'} | ${result.expectedRuleShare ?? '-'} | ${result.alerts} | ${result.precision ?? '-'} | ${result.medianMinutesToDetect ?? '-'} | ${result.p90MinutesToDetect ?? '-'} |`].join('\n') + '\n');
    return;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}
