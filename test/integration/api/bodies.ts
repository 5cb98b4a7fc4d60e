import type { AlertView, Page } from '../../../src/api/alert-store.js';
import type { ContainerSummary, Fix } from '../../../src/api/container-view.js';
import type { ZoneView } from '../../../src/api/trips.js';
import type { Alert } from '../../../src/model/alert.js';
import type { WireReading } from '../../../src/model/reading.js';
import type { DeadDelivery, Delivery } from '../../../src/sinks/webhook.js';
import type { TripPlan } from '../../../src/trips/schema.js';

// The JSON bodies the API answers with, as its response schemas (src/api)
// declare them, for the tests that read them through getJson<T>. They are
// built from the code's own types where it exports them, so a test that reads
// a field the API no longer has stops compiling.

/** Every 4xx and 5xx (schemas.ts, `Error#`). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code?: string;
  message: string;
  /** The request field at fault, on validation errors. */
  field?: string;
}

/** GET /api/alerts. */
export interface AlertPage extends Page {
  streamSeq: number;
}

/** GET /api/alerts/:alertId/evidence. */
export interface EvidenceBody {
  alert: Alert;
  from: string;
  to: string;
  readings: Array<WireReading & { evidence: boolean }>;
  track: Fix[];
  trackSource: string;
}

/** GET /api/containers/:containerId and each item of GET /api/containers. */
export interface ContainerBody extends ContainerSummary {
  openAlerts: number;
}

/** GET /api/containers/:containerId/track. */
export interface TrackBody {
  containerId: string;
  source: string;
  points: Fix[];
}

/** PUT and GET /api/trips/:tripId. */
export interface TripBody {
  plan: TripPlan;
  zones: ZoneView[];
}

/** GET /readyz. */
export interface ReadyBody {
  status: string;
  checks: Record<string, { ok: boolean; detail: string }>;
}

/** GET /api/webhooks/deliveries. */
export interface DeliveriesBody {
  targets: string[];
  items: Delivery[];
}

/** GET /api/webhooks/dead. */
export interface DeadBody {
  items: Array<DeadDelivery & { partition: number; offset: string }>;
}

/** The parts of GET /openapi.json the auth tests read. */
export interface OpenApiBody {
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, { security?: unknown }>>;
}

export type { AlertView };

/** A centre as GET /api/me shows it. */
export interface CentreBody {
  name: string;
  label: string | null;
  scope: string[];
}

/** GET /api/me. */
export interface MeBody {
  name: string;
  scopes: string[];
  centre: string | null;
  view: CentreBody | null;
  centres: CentreBody[];
}
