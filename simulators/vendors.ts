import type { DeviceProfile } from './container.js';
import type { WireFormat } from './encoders.js';
import type { Rng } from './rng.js';

/**
 * Device vendors and their habits. Trackers in the field differ more than
 * their wire format says: a cellular tracker on mains-like power fixes every
 * 5-15 min, a battery tracker on a low-power network every 30-60 min, a
 * satellite tracker once an hour or two (each fix costs airtime); some report
 * speed and dilution of precision, some only the position; temperature every
 * 15-60 min; light sampled often but sent only when it changes, or sent on a
 * timer; clocks a few seconds to a minute off; some resend a message whose
 * acknowledgement they missed. The names are made up; the habits are the
 * field's.
 */
export interface Vendor {
  /** Device id prefix. */
  name: string;
  format: WireFormat;
  /** Share of the fleet, relative to the other vendors. */
  weight: number;
  /** Position fix intervals this vendor's devices are configured with, minutes. */
  fixEveryMin: readonly number[];
  /** Share of devices that report speed and course over ground. */
  speedShare: number;
  /** Whether the device reports hdop (only json-v1 carries it). */
  hdop: boolean;
  tempEveryMin: readonly [number, number];
  /** `periodic`: every lightEveryMin; `onChange`: sampled every 5 min, sent when the level changes decade (and every 6 h). */
  light: 'periodic' | 'onChange';
  lightEveryMin: readonly [number, number];
  /** Clock offset from true time, ms (either sign). */
  skewMs: readonly [number, number];
  /** Share of messages the device sends twice (a missed acknowledgement). */
  duplicateShare: number;
}

export const VENDORS: readonly Vendor[] = [
  // cellular, externally powered: frequent fixes, everything reported, a good clock
  { name: 'acme', format: 'json-v1', weight: 25, fixEveryMin: [5, 15], speedShare: 0.9, hdop: true, tempEveryMin: [15, 30], light: 'periodic', lightEveryMin: [15, 30], skewMs: [200, 3_000], duplicateShare: 0.005 },
  // battery tracker on a low-power network: sparse fixes, position only, light on change, a drifting clock, retries
  { name: 'kestrel', format: 'json-v1', weight: 20, fixEveryMin: [30, 60], speedShare: 0, hdop: false, tempEveryMin: [30, 60], light: 'onChange', lightEveryMin: [5, 5], skewMs: [2_000, 60_000], duplicateShare: 0.03 },
  // satellite: a fix an hour or two, light on change
  { name: 'sat', format: 'csv-v1', weight: 15, fixEveryMin: [60, 120], speedShare: 0.7, hdop: false, tempEveryMin: [60, 60], light: 'onChange', lightEveryMin: [5, 5], skewMs: [5_000, 60_000], duplicateShare: 0.01 },
  // NB-IoT compact text
  { name: 'orbit', format: 'csv-v1', weight: 10, fixEveryMin: [15, 30], speedShare: 1, hdop: false, tempEveryMin: [15, 30], light: 'periodic', lightEveryMin: [30, 60], skewMs: [1_000, 20_000], duplicateShare: 0.01 },
  // reports through the ship's or terminal's gateway (which keeps time by NTP)
  { name: 'seal', format: 'batch-v1', weight: 30, fixEveryMin: [5, 15, 30], speedShare: 0.85, hdop: false, tempEveryMin: [15, 30], light: 'periodic', lightEveryMin: [15, 30], skewMs: [100, 2_000], duplicateShare: 0 },
];

const MIN = 60_000;
const H = 3_600_000;

/** One device of a vendor drawn from the fleet's mix; `faults` off: no clock skew, no duplicates. */
export function drawDevice(r: Rng, faults: boolean): DeviceProfile & { vendor: string } {
  const v = r.weighted(VENDORS.map((x) => [x, x.weight] as const));
  const skew = r.uniform(v.skewMs[0], v.skewMs[1]) * (r.chance(0.5) ? 1 : -1);
  return {
    vendor: v.name,
    format: v.format,
    gpsEveryMs: r.pick(v.fixEveryMin) * MIN,
    reportsSpeed: r.chance(v.speedShare),
    reportsHdop: v.hdop,
    hdopMean: r.uniform(0.9, 1.8),
    doorEveryMs: r.uniform(1, 6) * H,
    lightEveryMs: r.uniform(v.lightEveryMin[0], v.lightEveryMin[1]) * MIN,
    lightOnChange: v.light === 'onChange',
    tempEveryMs: r.uniform(v.tempEveryMin[0], v.tempEveryMin[1]) * MIN,
    skewMs: faults ? Math.round(skew) : 0,
    duplicateShare: faults ? v.duplicateShare : 0,
  };
}
