/**
 * One registry of every error sealwatch raises on purpose. Each code is stable:
 * a retired code is never reused. `retriable` tells the retry helper whether a
 * second attempt can succeed; programmer and configuration errors never are.
 */
export interface ErrorSpec {
  readonly message: string;
  readonly retriable: boolean;
}

export const ERRORS = {
  SW_ERR_CONFIG_INVALID: { message: 'invalid configuration: %s', retriable: false },
  SW_ERR_CONFIG_FILE: { message: 'cannot read configuration file %s: %s', retriable: false },
  SW_ERR_TRIP_INVALID: { message: 'invalid trip plan %s: %s', retriable: false },
  SW_ERR_TRIP_UNKNOWN_PORT: { message: 'trip plan %s names port %s, which is not in the port table', retriable: false },
  SW_ERR_CAPTURE_LINE: { message: 'capture %s line %s: %s', retriable: false },
  SW_ERR_LABELS_LINE: { message: 'labels %s line %s: %s', retriable: false },
  SW_ERR_ALERTS_LINE: { message: 'alerts %s line %s: %s', retriable: false },
  SW_ERR_BUS_CLOSED: { message: 'bus is closed', retriable: false },
  SW_ERR_BUS_PRODUCE: { message: 'bus produce to %s failed: %s', retriable: true },
  SW_ERR_BUS_GROUP_ACTIVE: { message: 'consumer group %s has running members (state %s): its offsets are not set', retriable: false },
  SW_ERR_MQTT_CONNECT: { message: 'cannot connect to MQTT broker %s: %s', retriable: true },
  SW_ERR_INFLUX_WRITE: { message: 'InfluxDB write failed: %s', retriable: true },
  SW_ERR_USAGE: { message: '%s', retriable: false },
  SW_ERR_PASSWORD_FILE: { message: 'MQTT password file %s: %s', retriable: false },
  SW_ERR_ACL_FILE: { message: 'MQTT ACL file %s: %s', retriable: false },
  SW_ERR_SNAPSHOT_UNREADABLE: { message: '%s', retriable: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class SealwatchError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, args: ReadonlyArray<string | number>, options?: { cause?: unknown }) {
    super(format(ERRORS[code].message, args), options);
    this.name = 'SealwatchError';
    this.code = code;
    this.retriable = ERRORS[code].retriable;
  }
}

export function swError(code: ErrorCode, ...args: Array<string | number>): SealwatchError {
  return new SealwatchError(code, args);
}

function format(template: string, args: ReadonlyArray<string | number>): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}
