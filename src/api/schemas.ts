import { RULE_IDS, SEVERITIES } from '../model/alert.js';
import { ALERT_ACTIONS, ALERT_STATUSES, DISPOSITIONS } from './lifecycle.js';

/**
 * JSON schemas shared by the routes, registered once with `addSchema` so the
 * OpenAPI document names them as components. Response schemas keep
 * `additionalProperties` open: the document describes, it does not strip.
 */
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const SCHEMAS = [
  {
    $id: 'Error',
    type: 'object',
    properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
    required: ['message'],
  },
  {
    $id: 'HistoryEntry',
    type: 'object',
    properties: {
      action: { type: 'string', enum: ALERT_ACTIONS },
      at: isoTime,
      by: { type: 'string', description: 'name of the token that acted' },
      from: { type: 'string', enum: ALERT_STATUSES },
      to: { type: 'string', enum: ALERT_STATUSES },
      note: nullableString,
      assignee: nullableString,
      disposition: { type: ['string', 'null'], enum: [...DISPOSITIONS, null] },
    },
  },
  {
    $id: 'Alert',
    type: 'object',
    description: 'An alert of WIRE section 3 with its lifecycle (status, assignee, history) and stream sequence number.',
    additionalProperties: true,
    properties: {
      alertId: { type: 'string' },
      seq: { type: 'integer', description: 'id of the stream event that announced it' },
      rule: { type: 'string', enum: RULE_IDS },
      severity: { type: 'string', enum: SEVERITIES },
      containerId: { type: 'string' },
      tripId: nullableString,
      deviceId: { type: 'string' },
      startedAt: isoTime,
      detectedAt: isoTime,
      location: { type: ['object', 'null'], properties: { lat: { type: 'number' }, lon: { type: 'number' } } },
      summary: { type: 'string' },
      evidence: { type: 'array', items: { type: 'string' } },
      details: { type: 'object', additionalProperties: true },
      ruleVersion: { type: 'integer', description: 'the rule-threshold version that raised it (0: the configuration; beyond WIRE)' },
      status: { type: 'string', enum: ALERT_STATUSES },
      assignee: nullableString,
      disposition: { type: ['string', 'null'], enum: [...DISPOSITIONS, null], description: 'what the closing analyst found' },
      history: { type: 'array', items: { $ref: 'HistoryEntry#' } },
    },
  },
  {
    $id: 'Readiness',
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ready', 'not ready'] },
      checks: { type: 'object', additionalProperties: { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } },
    },
  },
  {
    $id: 'Fix',
    type: 'object',
    properties: { at: isoTime, lat: { type: 'number' }, lon: { type: 'number' }, speedKn: { type: ['number', 'null'] }, headingDeg: { type: ['number', 'null'] }, eventId: { type: 'string' } },
  },
] as const;

export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));

export const bearer = [{ bearerAuth: [] as string[] }];
