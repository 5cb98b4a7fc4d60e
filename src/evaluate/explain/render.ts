import type { Config } from '../../config/schema.js';
import { kmBetween } from '../../geo/distance.js';
import type { FixRow, ReadingsContext } from './context.js';
import type { Item, PlanSummary, Probed } from './diagnose.js';

/**
 * The diagnosis as text for a terminal: one block per item, the ranked probes
 * first (what an engineer tuning a rule reads first), then the readings in
 * time order, long runs of similar fixes folded into one line.
 */
export function renderItems(items: readonly Item[], rules: Config['rules']): string {
  return items.map((it) => renderItem(it, rules)).join('\n');
}

export function renderItem(it: Item, rules: Config['rules']): string {
  const out: string[] = [];
  if (it.kind === 'unmatched-alert') {
    const a = it.alert;
    out.push(`━━ UNMATCHED ALERT ${a.rule} (${a.severity}) · ${a.containerId} · trip ${a.tripId ?? '-'}`);
    out.push(`   started ${when(a.startedAt)}, detected ${when(a.detectedAt)} (${span(a.startedAt, a.detectedAt)}) · ${a.alertId}`);
    out.push(`   ${a.summary}`);
    out.push(...planLine(it.plan));
    out.push('   evidence:');
    for (const e of it.evidence) out.push(`      ${e.eventId}  ${e.reading ?? '(not among the decoded readings)'}`);
    out.push(
      it.nearestLabels.length
        ? `   nearest labels of this container: ${it.nearestLabels.map((l) => `${l.rule} ${when(l.from)} → ${when(l.to)} (${offset(l.offsetMin, 'the alert starts', 'its')})`).join('; ')}`
        : '   no label on this container',
    );
    if (it.probes.length) out.push(`   its rule's probe:`, ...it.probes.map(probeLine));
  } else {
    const l = it.label;
    out.push(`━━ ${it.kind === 'missed' ? 'MISSED' : 'WRONG RULE'} ${l.rule} · ${l.containerId} · trip ${l.tripId ?? '-'}`);
    out.push(`   label ${when(l.from)} → ${when(l.to)} (${span(l.from, l.to)})`);
    out.push(...planLine(it.plan));
    if (it.kind === 'wrong-rule') out.push(`   detected only by: ${it.alerts.map((a) => `${a.rule} from ${when(a.startedAt)}: ${a.summary}`).join('; ')}`);
    else
      out.push(
        it.nearbyAlerts.length ? `   nearest alerts of this container: ${it.nearbyAlerts.map((a) => `${a.rule} from ${when(a.startedAt)} (${offset(a.offsetMin, 'starts', 'the label')})`).join('; ')}` : '   no alert on this container',
      );
    out.push('   closest rules (score = quantity / threshold; 1 would fire):');
    // the label's own rule always with its reason: why it did not fire is the question
    const shown = (p: Probed) => p.rule === l.rule || (p.score !== null && p.score > 0);
    out.push(...it.probes.filter(shown).map(probeLine));
    const zero = it.probes.filter((p) => p.score === 0 && !shown(p)).map((p) => p.rule);
    const na = it.probes.filter((p) => p.score === null && !shown(p)).map((p) => `${p.rule} (${p.reason})`);
    if (zero.length) out.push(`      0     ${zero.join(', ')}`);
    if (na.length) out.push(`      n/a   ${na.join('; ')}`);
  }
  out.push(...readingLines(it.readings, rules));
  return out.join('\n') + '\n';
}

function planLine(p: PlanSummary | null): string[] {
  if (!p) return ['   no trip plan for this trip'];
  const via = p.transshipments.length ? ` via ${p.transshipments.join(', ')}` : '';
  const box = p.reefer ? `reefer ${p.reefer.setpointC} °C ±${p.reefer.toleranceC}` : 'dry box';
  return [
    `   plan ${p.origin}${via} → ${p.destination}, departs ${when(p.departure)}, eta ${when(p.eta)}, ${box}; ${p.arrivedAt ? `reached its destination zone ${when(p.arrivedAt)}` : `destination zone ${p.destinationZones.join(', ') || '(none)'} not reached in the data`}`,
  ];
}

function probeLine(p: Probed): string {
  const s = p.score === null ? 'n/a' : p.score.toFixed(2);
  return `      ${s.padStart(5)} ${p.rule.padEnd(31)} ${p.reason}`;
}

type Event = { t: string; fix: FixRow } | { t: string; line: string };

function readingLines(c: ReadingsContext, rules: Config['rules']): string[] {
  const n = c.counts;
  const head = `   readings ${when(c.from)} → ${when(c.to)}: ${n.location} fixes, ${n.door} door, ${n.light} light, ${n.temperature} temperature; ${c.delayed.readings} arrived over 10 min after measurement${c.delayed.readings ? ` (up to ${c.delayed.maxMin} min)` : ''}; ${c.late} refused as late`;
  const events: Event[] = [
    ...c.fixes.map((f) => ({ t: f.t, fix: f })),
    ...c.doors.map((d) => ({ t: d.t, line: `door ${d.open ? 'OPEN' : 'closed'}${flag(d.seen)}` })),
    ...lightEpisodes(c.light),
    ...c.gaps.map((g) => ({ t: g.from, line: g.kind === 'silence' ? `── no reading for ${minutes(g.minutes)} (to ${hhmm(g.to)})` : `── no fix for ${minutes(g.minutes)} (to ${hhmm(g.to)}) while ${g.otherReadings} other readings came` })),
  ].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 'fix' in a ? -1 : 'fix' in b ? 1 : 0));
  const lines: string[] = [head];
  let run: FixRow[] = [];
  const flush = () => {
    for (const r of splitRuns(run, rules)) lines.push(...foldRun(r, rules));
    run = [];
  };
  for (const e of events) {
    if ('fix' in e) run.push(e.fix);
    else {
      flush();
      lines.push(`      ${when(e.t)}  ${e.line}`);
    }
  }
  flush();
  if (c.temperature.length) {
    const sp = c.temperature.find((b) => b.setpointC !== null)?.setpointC;
    const size = c.temperature.length > 1 ? Math.round((Date.parse(c.temperature[1]!.from) - Date.parse(c.temperature[0]!.from)) / 3_600_000) : 1;
    lines.push(`   temperature °C per ${size > 1 ? `${size} h` : 'hour'} (min/median/max${sp !== undefined ? `; setpoint ${sp}` : ''}):`);
    const cells = c.temperature.map((b) => `${when(b.from).slice(6, 8)}h ${b.min === b.max ? b.min : `${b.min}/${b.median}/${b.max}`}`);
    for (let i = 0; i < cells.length; i += 6) lines.push(`      ${cells.slice(i, i + 6).join(' · ')}`);
  }
  return lines;
}

/** Consecutive lit readings (under half an hour apart) as one line. */
function lightEpisodes(light: ReadingsContext['light']): Event[] {
  const out: Event[] = [];
  let ep: ReadingsContext['light'] = [];
  const flush = () => {
    if (!ep.length) return;
    const lux = ep.map((l) => Math.round(l.lux));
    const range = Math.min(...lux) === Math.max(...lux) ? `${lux[0]}` : `${Math.min(...lux)}–${Math.max(...lux)}`;
    out.push({ t: ep[0]!.t, line: `light ${range} lux${ep.length > 1 ? ` (${ep.length} readings to ${hhmm(ep[ep.length - 1]!.t)})` : ''}${flag(ep[0]!.seen)}` });
    ep = [];
  };
  for (const l of light) {
    if (ep.length && Date.parse(l.t) - Date.parse(ep[ep.length - 1]!.t) > 30 * 60_000) flush();
    ep.push(l);
  }
  flush();
  return out;
}

const speedOf = (f: FixRow) => f.speedKn ?? f.derivedKn ?? 0;

/** Runs of fixes alike enough to fold: all stationary near the first, or all under way, and on the same side of a zone's edge. */
function splitRuns(fixes: FixRow[], rules: Config['rules']): FixRow[][] {
  const st = rules.stationary;
  const runs: FixRow[][] = [];
  for (const f of fixes) {
    const run = runs[runs.length - 1];
    const first = run?.[0];
    const still = (x: FixRow) => speedOf(x) <= st.maxSpeedKn;
    const alike = first && still(first) === still(f) && (first.zone?.inside ?? false) === (f.zone?.inside ?? false) && f.seen === first.seen && (!still(f) || kmBetween(first, f) <= st.radiusKm);
    if (alike) run.push(f);
    else runs.push([f]);
  }
  return runs;
}

function foldRun(run: FixRow[], rules: Config['rules']): string[] {
  if (run.length <= 3) return run.map(fixLine);
  const mid = run.slice(1, -1);
  const first = run[0]!;
  const speeds = mid.map(speedOf);
  const hdops = mid.flatMap((f) => (f.hdop === null ? [] : [f.hdop]));
  const hd = hdops.length ? `, hdop ${Math.min(...hdops)}–${Math.max(...hdops)}` : '';
  const sp = `${Math.min(...speeds).toFixed(1)}–${Math.max(...speeds).toFixed(1)} kn`;
  let what: string;
  if (speedOf(first) <= rules.stationary.maxSpeedKn) {
    const far = Math.max(...mid.map((f) => kmBetween(first, f)));
    what = `stationary within ${far.toFixed(2)} km of the first, ${sp}${hd}`;
  } else {
    let covered = 0;
    for (let i = 1; i < run.length; i++) covered += kmBetween(run[i - 1]!, run[i]!);
    const z = mid.flatMap((f) => (f.zone ? [f.zone.km] : []));
    what = `under way, ${sp}, ${Math.round(covered)} km covered${z.length ? `, ${Math.round(z[0]!)}→${Math.round(z[z.length - 1]!)} km from a zone` : ''}${hd}`;
  }
  return [fixLine(first), `      ${' '.repeat(11)}  ⋯ ${mid.length} fixes ${hhmm(mid[0]!.t)}–${hhmm(mid[mid.length - 1]!.t)} ${what}`, fixLine(run[run.length - 1]!)];
}

function fixLine(f: FixRow): string {
  const lat = `${Math.abs(f.lat).toFixed(4)}${f.lat >= 0 ? 'N' : 'S'}`;
  const lon = `${Math.abs(f.lon).toFixed(4)}${f.lon >= 0 ? 'E' : 'W'}`;
  const sog = f.speedKn === null ? '   -' : f.speedKn.toFixed(1).padStart(4);
  const calc = f.derivedKn === null ? '   -' : Number.isFinite(f.derivedKn) ? f.derivedKn.toFixed(1).padStart(4) : ' inf';
  const hdop = f.hdop === null ? '  -' : String(f.hdop).padStart(3);
  const zone = !f.zone ? 'no zone' : f.zone.inside ? `in ${f.zone.name}` : `${kmText(f.zone.km)} out of ${f.zone.name}`;
  const port = f.port ? ` · port ${f.port.name} ${kmText(f.port.km)}` : '';
  const late = f.delayMin > 10 ? ` · arrived +${f.delayMin} min` : '';
  return `      ${when(f.t)}  fix ${lat.padStart(8)} ${lon.padStart(9)}  sog ${sog} calc ${calc} kn  hdop ${hdop}  ${zone}${port}${late}${flag(f.seen)}`;
}

function flag(seen: FixRow['seen']): string {
  return seen === 'evaluated' ? '' : seen === 'learnt' ? ' · before departure' : seen === 'late' ? ' · LATE: refused by the engine' : ' · no trip under way';
}

function kmText(km: number): string {
  return km >= 10 ? `${Math.round(km)} km` : `${km.toFixed(1)} km`;
}

/** `03-06 10:22` from an ISO time. */
function when(isoTime: string): string {
  return isoTime.slice(5, 16).replace('T', ' ');
}

function hhmm(isoTime: string): string {
  return isoTime.slice(11, 16);
}

function span(a: string, b: string): string {
  return minutes(Math.round((Date.parse(b) - Date.parse(a)) / 60000));
}

function minutes(min: number): string {
  return min < 120 ? `${min} min` : min < 48 * 60 ? `${(min / 60).toFixed(1)} h` : `${(min / 1440).toFixed(1)} days`;
}

/** "starts 25 min after the label" / "... 2.0 h before ..." / "... inside ...". */
function offset(min: number, subject: string, ref: string): string {
  if (min === 0) return `${subject} inside ${ref} window`;
  return `${subject} ${minutes(Math.abs(min))} ${min < 0 ? 'before' : 'after'} ${ref} window`;
}
