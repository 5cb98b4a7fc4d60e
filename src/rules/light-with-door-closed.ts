import { fmtDuration, fmtKm } from './door-opening.js';
import { defineRule } from './rule.js';

/**
 * LIGHT_WITH_DOOR_CLOSED: light inside a container whose door is closed, the
 * sign of a cut wall or roof. A closed steel box reads ~0 lux; seal leakage in
 * daylight stays in single digits, so the threshold (20 lux) sits above
 * leakage and below a torch or daylight through a hole. Two consecutive
 * readings over the threshold (or one very bright) make an incident, so one
 * glitch does not; the door must have been closed for a grace period first.
 */
interface State {
  episode: { startTs: number; startEventId: string; count: number; maxLux: number; evidence: string[]; raised: boolean } | null;
}

export const lightWithDoorClosed = defineRule<State>({
  id: 'LIGHT_WITH_DOOR_CLOSED',
  initialState: () => ({ episode: null }),
  onReading(state, r, ctx) {
    const cfg = ctx.rules.lightWithDoorClosed;
    const v = ctx.view;
    if (r.kind === 'door') {
      if (r.open) state.episode = null;
      return;
    }
    if (r.kind !== 'light') return;
    if (v.door !== 'closed' || r.ts - v.doorSince < cfg.doorClosedGraceMs || r.lux < cfg.luxThreshold) {
      state.episode = null;
      return;
    }
    const ep = (state.episode ??= { startTs: r.ts, startEventId: r.eventId, count: 0, maxLux: 0, evidence: [], raised: false });
    ep.count++;
    ep.maxLux = Math.max(ep.maxLux, r.lux);
    if (ep.evidence.length < 20) ep.evidence.push(r.eventId);
    if (ep.raised || (ep.count < 2 && r.lux < cfg.strongLuxThreshold)) return;
    ep.raised = true;
    const fix = v.fix;
    const zones = fix ? ctx.zones(fix) : null;
    const where = zones && zones.nearest ? (zones.inside ? `inside ${zones.inside.name}` : `${fmtKm(zones.nearestKm)} from the nearest authorised zone (${zones.nearest.name})`) : 'position unknown';
    ctx.raise({
      severity: 'high',
      incidentKey: ep.startEventId,
      startedAt: ep.startTs,
      detectedAt: r.ts,
      location: fix ? { lat: fix.lat, lon: fix.lon } : null,
      summary: `Light of ${Math.round(ep.maxLux)} lux inside the container while its door has been closed for ${fmtDuration(ep.startTs - v.doorSince)} (${ep.count} reading${ep.count > 1 ? 's' : ''} over ${cfg.luxThreshold} lux), ${where}: possible cut wall or roof`,
      evidence: [...ep.evidence, ...(v.doorEventId ? [v.doorEventId] : [])],
      details: { maxLux: Math.round(ep.maxLux), readings: ep.count, doorClosedMin: Math.round((ep.startTs - v.doorSince) / 60000) },
    });
  },
});
