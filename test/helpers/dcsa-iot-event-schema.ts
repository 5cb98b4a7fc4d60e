import { z } from 'zod';

/*
 * The DCSA IoT event, transcribed into zod to check what sealwatch exports.
 *
 * Sources (public, dcsaorg/DCSA-OpenAPI on GitHub):
 * - iot/v1/iot_v1.0.0-Beta-1.yaml: `GET /v1/events` answers an array of
 *   EVENT_DOMAIN 3.1.0 `iotEvent`; IoT 1.0.0-Beta-1 extends Track & Trace
 *   3.0.0-Beta-1 (tnt/v3/tnt_v3.0.0-Beta-1.yaml), whose events share the
 *   metadata/payload structure and `retractedEventID`.
 * - domain/event/event_domain_v3.1.0.yaml: `iotEvent`, `metadata`,
 *   `baseEvent`, `baseIoTEvent`, `publisher`, `tntPublisherRole`,
 *   `iotEventTypeCode`, `iotEventCode`, `retractedEventID`, `eventID`,
 *   `eventCreatedDateTime`, `eventDateTime`, `relatedDocumentReferences`.
 * - domain/location/dcsa_location_v2.0.2.yaml `geoLocation` (what
 *   `baseIoTEvent` refers to), with latitude and longitude of
 *   domain/dcsa/dcsa_domain_v2.0.2.yaml; `partyName`, `carrierCode`,
 *   `carrierCodeListProvider` and `equipmentReference` of
 *   domain/dcsa/dcsa_domain_v3.0.0.yaml.
 * - The codes DRC (door closed) and LOC (location update): DCSA's T&T 3.0
 *   design, `IotEventCode` in dcsaorg/DCSA-Information-Model
 *   (src/main/java/org/dcsa/standards/specifications/standards/tnt/v300/types/IotEventCode.java,
 *   commit 57ee1bbc9d440f6d010b8a7de7af4bd5e1080ea0). Event Domain 3.1.0
 *   lists only DRO: `IotEventSchema` takes the three, `IotEventSchemaDomain31`
 *   DRO alone.
 *
 * Where the YAML composes objects with allOf and does not forbid other
 * properties, these objects are strict all the same, so that a misspelt or
 * invented field fails here. The conditions the YAML states in prose are
 * checked too: a retraction (retractedEventID) carries no payload, any other
 * event must.
 */

const dateTime = z.iso.datetime({ offset: true });
/** DCSA_DOMAIN 3.0.0: `^\S+(\s+\S+)*$` on its strings. */
const trimmed = /^\S+(\s+\S+)*$/;

const publisher = z
  .object({
    partyName: z.string().max(100).regex(trimmed).optional(),
    carrierCode: z.string().max(4).regex(trimmed),
    carrierCodeListProvider: z.enum(['SMDG', 'NMFTA']),
  })
  .strict();

const metadata = z
  .object({
    eventID: z.string().max(100),
    eventCreatedDateTime: dateTime,
    retractedEventID: z.string().max(100).nullable().optional(),
    publisher,
    publisherRole: z.enum(['CA', 'AG', 'VSP', 'SVP']),
    eventType: z.literal('IOT'),
  })
  .strict();

const geoLocation = z
  .object({
    locationName: z.string().max(100).optional(),
    latitude: z.string().max(10),
    longitude: z.string().max(11),
  })
  .strict();

const DOCUMENT_TYPES = ['CBR', 'BKG', 'SHI', 'TRD', 'DEI', 'DEO', 'TRO', 'CRO', 'ARN', 'VGM', 'CAS', 'CUC', 'DGD', 'OOG', 'CQU', 'INV', 'HCE', 'PCE', 'VCE', 'FCE', 'ICE', 'CEA', 'CEO'] as const;

function payload(codes: readonly [string, ...string[]]) {
  return z
    .object({
      eventClassifierCode: z.literal('ACT'),
      eventDateTime: dateTime,
      iotEventTypeCode: z.literal('DETC'),
      iotEventCode: z.enum(codes).refine((c) => c.length <= 3, 'iotEventCode: at most 3 characters'),
      geoLocation: geoLocation.optional(),
      equipmentReference: z.string().max(11).regex(trimmed),
      relatedDocumentReferences: z.array(z.object({ type: z.enum(DOCUMENT_TYPES), value: z.string() }).strict()).optional(),
    })
    .strict();
}

function iotEvent(codes: readonly [string, ...string[]]) {
  return z
    .object({ metadata, payload: payload(codes).optional() })
    .strict()
    .superRefine((e, ctx) => {
      const retraction = e.metadata.retractedEventID !== undefined && e.metadata.retractedEventID !== null;
      if (retraction && e.payload) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'a retraction (retractedEventID) must not include a payload' });
      if (!retraction && !e.payload) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'payload is mandatory unless retractedEventID is provided' });
    });
}

/** An IoT event with the codes of DCSA's T&T 3.0 design (DRO, DRC, LOC). */
export const IotEventSchema = iotEvent(['DRO', 'DRC', 'LOC']);
/** An IoT event exactly as Event Domain 3.1.0 lists its codes (DRO). */
export const IotEventSchemaDomain31 = iotEvent(['DRO']);
/** The body of `GET /v1/events`: an array of events. */
export const IotEventsSchema = z.array(IotEventSchema);
export const IotEventsSchemaDomain31 = z.array(IotEventSchemaDomain31);
