import { z } from 'zod';
import { checkContainerNumber } from '../model/iso6346.js';
import { ISO_TIME } from '../model/reading.js';

const locode = z.string().regex(/^[A-Z]{2}[A-Z2-9]{3}$/, 'a UN/LOCODE such as NLRTM');
const isoTime = z
  .string()
  .regex(ISO_TIME, 'an ISO time ending in Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'a real date');
const lonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);

const circleByPort = z.object({ name: z.string().min(1), locode, radiusKm: z.number().positive().max(500) }).strict();
const circleByPoint = z.object({ name: z.string().min(1), lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), radiusKm: z.number().positive().max(500) }).strict();
const polygon = z
  .object({ name: z.string().min(1), polygon: z.array(lonLat).min(4, 'a closed ring of at least 4 [lon, lat] points') })
  .strict()
  .refine((z0) => {
    const first = z0.polygon[0]!;
    const last = z0.polygon[z0.polygon.length - 1]!;
    return first[0] === last[0] && first[1] === last[1];
  }, 'polygon ring must be closed (first point equals last)');

export const ZoneSchema = z.union([circleByPort, circleByPoint, polygon]);
export type Zone = z.infer<typeof ZoneSchema>;

export const TripPlanSchema = z
  .object({
    tripId: z.string().min(1).max(200),
    containerId: z.string().superRefine((v, ctx) => {
      const problem = checkContainerNumber(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem === 'shape' ? 'an ISO 6346 container number' : 'ISO 6346 check digit is wrong' });
    }),
    deviceId: z.string().min(1).max(200),
    origin: locode,
    destination: locode,
    transshipments: z.array(locode).default([]),
    departure: isoTime,
    eta: isoTime,
    reefer: z
      .object({ setpointC: z.number().min(-60).max(40), toleranceC: z.number().positive().max(20).default(2) })
      .nullable()
      .optional(),
    route: z.array(lonLat).min(2).optional(),
    authorisedZones: z.array(ZoneSchema).optional(),
    /**
     * Beyond the contract: the device's reporting profile as its vendor declares it (or the
     * targeting centre knows it), so LOCATION_GAP need not learn it first: fix interval under
     * way and standing still, and the longest it may be quiet (cellular trackers lose coverage
     * at sea for hours; a daily heartbeat while parked).
     */
    reporting: z
      .object({
        fixIntervalMinutes: z
          .number()
          .positive()
          .max(24 * 60)
          .optional(),
        stationaryFixIntervalMinutes: z
          .number()
          .positive()
          .max(7 * 24 * 60)
          .optional(),
        maxQuietHours: z
          .number()
          .positive()
          .max(30 * 24)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough()
  .refine((p) => Date.parse(p.eta) > Date.parse(p.departure), { message: 'eta must be after departure', path: ['eta'] });

export type TripPlan = z.infer<typeof TripPlanSchema>;

/** Formats a zod error as `path: message; path: message` for a human. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
