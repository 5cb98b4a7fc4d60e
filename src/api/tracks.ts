import { flux, fluxDateTime, fluxString, InfluxDB, type QueryApi } from '@influxdata/influxdb-client';
import type { Config } from '../config/schema.js';
import type { ContainerView, Fix } from './container-view.js';

/** Where a container's track comes from: memory (embedded) or InfluxDB (stack). */
export interface TrackSource {
  readonly name: 'memory' | 'influx';
  track(containerId: string, from: number, to: number, limit: number): Promise<Fix[]>;
}

export class MemoryTrackSource implements TrackSource {
  readonly name = 'memory' as const;
  constructor(private readonly view: ContainerView) {}
  async track(containerId: string, from: number, to: number, limit: number): Promise<Fix[]> {
    return this.view.track(containerId, from, to, limit);
  }
}

/** The Flux query for a track on measurement `location` (WIRE section 6), values escaped by the client's `flux` tag. */
export function trackQuery(bucket: string, containerId: string, from: number, to: number, limit: number) {
  return flux`from(bucket: ${fluxString(bucket)})
  |> range(start: ${fluxDateTime(new Date(from).toISOString())}, stop: ${fluxDateTime(new Date(to).toISOString())})
  |> filter(fn: (r) => r._measurement == "location" and r.container_id == ${fluxString(containerId)})
  |> filter(fn: (r) => r._field == "lat" or r._field == "lon" or r._field == "speed_kn" or r._field == "heading_deg")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: ${limit})`;
}

export class InfluxTrackSource implements TrackSource {
  readonly name = 'influx' as const;
  private readonly api: QueryApi;
  constructor(private readonly cfg: Config['influx']) {
    this.api = new InfluxDB({ url: cfg.url, ...(cfg.token ? { token: cfg.token } : {}), timeout: 10_000 }).getQueryApi(cfg.org);
  }
  async track(containerId: string, from: number, to: number, limit: number): Promise<Fix[]> {
    const rows = await this.api.collectRows<Record<string, unknown>>(trackQuery(this.cfg.bucket, containerId, from, to, limit));
    return rows
      .filter((r) => typeof r.lat === 'number' && typeof r.lon === 'number')
      .map((r) => ({
        at: new Date(String(r._time)).toISOString(),
        lat: r.lat as number,
        lon: r.lon as number,
        speedKn: typeof r.speed_kn === 'number' ? r.speed_kn : null,
        headingDeg: typeof r.heading_deg === 'number' ? r.heading_deg : null,
        eventId: '',
      }))
      .reverse();
  }
}
