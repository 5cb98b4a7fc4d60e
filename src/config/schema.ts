import { z } from 'zod';
import { RULE_IDS, SEVERITIES } from '../model/alert.js';
import { HOUR, MINUTE, DAY } from '../model/time.js';

const port = z.number().int().min(0).max(65535);
const positive = z.number().positive();
const ms = z.number().int().min(0);

/** The stages `sealwatch run` can run, in pipeline order. */
export const STAGES = ['ingest', 'rules', 'telemetry'] as const;
export type StageName = (typeof STAGES)[number];

/**
 * The one schema for every setting. Every key has a default here, so the
 * defaults file only documents them; the numbers are reasoned in
 * docs/configuration.md ("Rule thresholds and why").
 */
export const ConfigSchema = z
  .object({
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
    mqtt: z
      .object({
        url: z
          .string()
          .regex(/^(mqtts?|wss?|tcp):\/\/[^\s]+$/, 'a broker URL such as mqtt://127.0.0.1:1883')
          .default('mqtt://127.0.0.1:1883'),
        topicRoot: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels without wildcards')
          .default('ssd'),
        username: z.string().nullable().default(null),
        password: z.string().nullable().default(null),
        clientId: z.string().min(1).default('sealwatch-ingest'),
        qos: z.union([z.literal(0), z.literal(1)]).default(1),
        /** 4 = MQTT 3.1.1 (every broker, aedes included); 5 = MQTT 5 (Mosquitto, EMQX, HiveMQ; user properties). */
        protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
        /** A persistent session, so a restart of the pipeline misses nothing the broker kept. */
        cleanSession: z.boolean().default(false),
        /**
         * MQTT 5, persistent session: how long the broker keeps the session and queues for it after the
         * listener goes away (a restart or an outage shorter than this loses nothing). A client id that
         * never comes back costs the broker this long a queue of every device message.
         */
        sessionExpirySeconds: z
          .number()
          .int()
          .min(1)
          .max(4_294_967_294)
          .default(7 * 24 * 3600),
        /** Honour the MQTT 5 user property `received-at` (set by `replay --stack`) as arrival time. */
        trustReceivedAtProperty: z.boolean().default(false),
        /** PEM CA certificate(s) that sign the broker's TLS certificate (mqtts:// URLs), besides the system's. */
        caFile: z.string().min(1).nullable().default(null),
        /**
         * MQTT shared subscription group (`$share/{group}/{topicRoot}/#`): ingest processes with the
         * same group share the device topics, each message going to one of them (Mosquitto, EMQX,
         * HiveMQ; not the embedded aedes). Null: a plain subscription (one ingest process per broker).
         */
        sharedGroup: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a group name of 1-64 letters, digits, _ or -')
          .nullable()
          .default(null),
      })
      .strict()
      .prefault({}),
    embeddedBroker: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(1883),
        /** Off: only the TLS listener (embeddedBroker.tls) accepts clients. */
        plainListener: z.boolean().default(true),
        /** Accounts in Mosquitto's password-file format (`user:$7$...`, as mosquitto_passwd writes it): one file for both brokers. */
        passwordFile: z.string().min(1).nullable().default(null),
        /** Clients without a username are let in (with the ACL's anonymous lines). */
        allowAnonymous: z.boolean().default(false),
        /** Mosquitto ACL file (topic, user, pattern lines); null: the built-in policy (serviceAccounts, fleetAccounts, devices under their own id). */
        aclFile: z.string().min(1).nullable().default(null),
        /** Built-in policy: accounts that read and write the whole topic root (the pipeline). */
        serviceAccounts: z.array(z.string().min(1)).default(['sealwatch']),
        /** Built-in policy: accounts that publish for many devices (simulators). */
        fleetAccounts: z.array(z.string().min(1)).default(['simulator']),
        /** A TLS listener besides (or, with plainListener off, instead of) the plain one: PEM files. */
        tls: z
          .object({ port: port.default(8883), certFile: z.string().min(1), keyFile: z.string().min(1) })
          .strict()
          .nullable()
          .default(null),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        maxPayloadBytes: z
          .object({
            'json-v1': z
              .number()
              .int()
              .positive()
              .default(16 * 1024),
            'csv-v1': z.number().int().positive().default(1024),
            'batch-v1': z
              .number()
              .int()
              .positive()
              .default(8 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
        maxBatchEvents: z.number().int().positive().max(1_000_000).default(10_000),
        maxFutureSkewMs: ms.default(1 * HOUR),
        maxPastAgeMs: ms.default(30 * DAY),
        dedupIdsPerDevice: z.number().int().min(16).default(2048),
        dedupMaxDevices: z.number().int().min(1).default(500_000),
      })
      .strict()
      .prefault({}),
    pipeline: z
      .object({
        /**
         * The stages this process runs: ingest (MQTT -> Kafka), rules (Kafka -> engine -> alerts,
         * webhook delivery) and telemetry (Kafka -> InfluxDB). All three by default; a subset
         * runs against Kafka only, the other stages in other processes.
         */
        stages: z
          .array(z.enum(STAGES))
          .min(1)
          .refine((v) => new Set(v).size === v.length, 'each stage at most once')
          .default([...STAGES]),
      })
      .strict()
      .prefault({}),
    bus: z
      .object({
        kind: z.enum(['memory', 'kafka']).default('memory'),
        /** Embedded mode: messages the memory bus keeps per partition once every group has consumed them (bounded memory; Kafka has its own retention). */
        memoryRetainPerPartition: z.number().int().min(100).default(20_000),
        /**
         * With Kafka: the codec of the ingest stage's produce batches to the telemetry and raw
         * topics (Kafka's own record-batch compression: every consumer decompresses
         * transparently; the messages stay the JSON of docs/wire.md).
         */
        compression: z.enum(['none', 'gzip']).default('none'),
      })
      .strict()
      .prefault({}),
    kafka: z
      .object({
        brokers: z
          .array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port'))
          .min(1)
          .default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('sealwatch'),
        groupId: z.string().min(1).default('sealwatch-rules'),
        /**
         * How long the group waits for a silent member (a crashed instance) before giving its
         * partitions to the others; heartbeats go every tenth of it. Within the broker's
         * group.min/max.session.timeout.ms (6 s to 30 min by default).
         */
        sessionTimeoutMs: z.number().int().min(6000).max(1_800_000).default(30_000),
        /**
         * A produce is split into requests of at most this many bytes of keys, values and
         * headers: the broker refuses a record batch over its message.max.bytes (1 MiB by
         * default), and a bulk produce (thousands of trip plans, an ingest burst) would be one.
         */
        maxBatchBytes: z.number().int().min(16_384).max(100_000_000).default(900_000),
        /**
         * A consumer of the bulk topic (telemetry: rules, telemetry and the container view) asks the broker to answer a fetch once
         * this many bytes are ready, or after 100 ms: fewer, larger fetches and batches, so fewer
         * offset commits, which cost the broker more than the messages themselves. 1: answer as
         * soon as anything is there.
         */
        fetchMinBytes: z.number().int().min(1).max(10_485_760).default(65_536),
        ssl: z.boolean().default(false),
        username: z.string().nullable().default(null),
        password: z.string().nullable().default(null),
        replicationFactor: z.number().int().min(1).default(1),
        /**
         * retention.ms of sealwatch.telemetry.v1 when sealwatch creates it. Crash recovery
         * rebuilds engine state from this log, so it must cover the longest trip a plan
         * binds (days before departure + voyage + days after eta): 60 days by default.
         */
        telemetryRetentionMs: z
          .number()
          .int()
          .min(HOUR)
          .default(60 * DAY),
        partitions: z
          .object({
            raw: z.number().int().positive().default(6),
            telemetry: z.number().int().positive().default(6),
            deadletter: z.number().int().positive().default(1),
            alerts: z.number().int().positive().default(3),
            trips: z.number().int().positive().default(1),
            late: z.number().int().positive().default(1),
            /** Of sealwatch.webhook-dead.v1: webhook deliveries whose retry budget is spent. */
            webhookDead: z.number().int().positive().default(1),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    influx: z
      .object({
        enabled: z.boolean().default(false),
        url: z.string().url().default('http://127.0.0.1:8086'),
        org: z.string().min(1).default('sealwatch'),
        bucket: z.string().min(1).default('sealwatch'),
        token: z.string().nullable().default(null),
        writeTelemetry: z.boolean().default(true),
        /** Dead-letter points are gathered this long before one write (telemetry and alerts are written per batch, awaited). */
        flushIntervalMs: z.number().int().min(10).max(60_000).default(1000),
        /** Lines per write request, at most: the telemetry stage gathers readings of concurrent Kafka batches up to this many per request. */
        batchSize: z.number().int().min(1).default(5000),
        /** A write request's body larger than this many bytes is sent gzip-compressed (Content-Encoding: gzip); null: never compressed. */
        gzipThreshold: z.number().int().min(0).nullable().default(1000),
        /** How long the telemetry stage waits for readings of other partitions' batches to share one write request (up to `influx.batchSize` lines); 0: none. */
        telemetryLingerMs: z.number().int().min(0).max(1000).default(20),
        /** One write request's timeout. */
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .max(10 * MINUTE)
          .default(10_000),
        /** Lines accepted and not yet acknowledged by InfluxDB, at most; writers beyond it wait (backpressure), nothing is dropped. */
        maxBufferLines: z.number().int().min(1).default(100_000),
        /** A failed write is retried, with jittered exponential backoff between these, until InfluxDB acknowledges it. */
        retry: z
          .object({
            minDelayMs: z.number().int().min(10).default(500),
            maxDelayMs: z
              .number()
              .int()
              .min(10)
              .max(10 * MINUTE)
              .default(5000),
          })
          .strict()
          .prefault({}),
        /** How long the telemetry stage retries one consumed batch before handing it back to Kafka uncommitted (read again): under the consumer group's 30 s session. */
        batchRetryWindowMs: z.number().int().min(100).max(25_000).default(10_000),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.retry.minDelayMs > v.retry.maxDelayMs) ctx.addIssue({ code: 'custom', path: ['retry', 'minDelayMs'], message: `expected at most influx.retry.maxDelayMs (${v.retry.maxDelayMs})` });
        if (v.batchSize > v.maxBufferLines) ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `expected at most influx.maxBufferLines (${v.maxBufferLines}): one request's lines must fit in the buffer` });
      })
      .prefault({}),
    engine: z
      .object({
        /** Arrival-time hold before a reading is released in measurement-time order. */
        reorderWindowMs: ms.max(HOUR).default(60_000),
        /** How long after a silence's deadline the engine waits for store-and-forward before believing it. */
        allowedLatenessMs: ms.max(7 * DAY).default(6 * HOUR),
        /** Live mode only: wall-clock idle period after which held readings are released. */
        idleFlushMs: z.number().int().min(10).default(1000),
        /** Rebuild the engine's state at start from the retained telemetry before the group's committed offsets (crash recovery). */
        recoverOnStart: z.boolean().default(true),
        /**
         * Where recovery starts reading: the oldest retained telemetry (null) or the first
         * message produced at or after this time (ISO 8601), e.g. after a deliberate reset.
         */
        recoverFrom: z.iso.datetime({ offset: true }).nullable().default(null),
        /** Write engine snapshots (sealwatch.engine-snapshots.v1) and recover from them: the latest snapshot plus the telemetry after it. */
        snapshots: z.boolean().default(true),
        /** Wall time between two snapshots of a partition whose state moved on (they are written at shutdown too). */
        snapshotIntervalMs: z.number().int().min(100).default(60_000),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** Bound on a graceful stop (SIGTERM/SIGINT): drain, write, commit, flush; past it the process exits 1. */
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .max(10 * 60_000)
          .default(30_000),
      })
      .strict()
      .prefault({}),
    trips: z
      .object({
        dir: z.string().nullable().default(null),
        defaultZoneRadiusKm: positive.max(200).default(15),
        bindBeforeDepartureMs: ms.default(2 * DAY),
        activeAfterEtaMs: ms.default(72 * HOUR),
      })
      .strict()
      .prefault({}),
    rules: z
      .object({
        enabled: z.array(z.string()).nullable().default(null),
        doorOpen: z
          .object({
            movingSpeedKn: positive.max(30).default(3),
            fixMaxAgeMs: ms.min(MINUTE).default(30 * MINUTE),
            atSeaMinPortDistanceKm: positive.default(20),
            derivedSpeedMinIntervalMs: ms.min(1000).default(2 * MINUTE),
            /** With no fix within fixMaxAgeMs, an opening is placed from the fixes before and after it, if the next comes within this. */
            bracketMaxMs: ms.min(MINUTE).default(6 * HOUR),
          })
          .strict()
          .prefault({}),
        lightWithDoorClosed: z
          .object({
            luxThreshold: positive.default(20),
            strongLuxThreshold: positive.default(200),
            doorClosedGraceMs: ms.default(2 * MINUTE),
            confirmWithinMs: ms.min(MINUTE).default(15 * MINUTE),
          })
          .strict()
          .prefault({}),
        temperatureExcursion: z
          .object({ sustainMs: ms.min(MINUTE).default(45 * MINUTE), defaultToleranceC: positive.max(20).default(2) })
          .strict()
          .prefault({}),
        stationary: z
          .object({
            /** An anchored ship swings round its anchor (a few hundred metres) and GNSS adds tens: 2 km holds a stop. */
            radiusKm: positive.max(20).default(2),
            /** An anchored ship swings round its anchor on a circle of chain plus hull, a few hundred metres: two fixes this close are one place. */
            swingKm: positive.max(5).default(0.6),
            /** Reported speed at or below which a fix can start a stop. */
            maxSpeedKn: positive.max(10).default(1.5),
            /** Reported speed above which a fix in a stop is taken for way on (a ship swinging at anchor, or GNSS Doppler noise in a stack yard, reads up to 2-3 kn). */
            leaveSpeedKn: positive.max(30).default(3),
            /** Position error per unit of hdop, km: open-sky GNSS is good to ~5 m per hdop, but reflections off steel add tens to hundreds of metres, so 20 m per hdop (200 m at hdop 10). */
            errorPerHdopKm: positive.max(1).default(0.02),
          })
          .strict()
          .superRefine((v, ctx) => {
            if (v.leaveSpeedKn < v.maxSpeedKn) ctx.addIssue({ code: 'custom', path: ['leaveSpeedKn'], message: `expected at least rules.stationary.maxSpeedKn (${v.maxSpeedKn})` });
          })
          .prefault({}),
        unscheduledStop: z
          .object({
            /** Ships wait off a coast for a pilot, a berth, the tide or orders for a few hours (real AIS shows 3-4 h pauses on ordinary voyages): beyond four a stop is worth a look. */
            minStopMs: ms.min(10 * MINUTE).default(4 * HOUR),
            /**
             * Just outside an authorised zone a ship waits to enter: pilot boarding grounds and
             * the anchorages off a harbour lie within a few nautical miles of its limits. Farther
             * anchorages are charted places, listed in waitingAreas.
             */
            zoneApproachKm: positive.max(50).default(10),
            /** Within this distance of a port the plan does not name, a stop is an unplanned port call (high). */
            portCallKm: positive.default(15),
            /** Alongside a port's quays: a stop this close to an unplanned port is a call even just outside an authorised zone. */
            portQuayKm: positive.default(3),
            /** How long a wait in a waiting area is usual, unless the area says otherwise; a longer stop there is raised. */
            waitingAreaMaxWaitMs: ms.min(HOUR).default(72 * HOUR),
            /**
             * Charted anchorages and canal or strait waiting areas where ships wait their turn
             * (name, lat, lon, radiusKm). One with a locode excuses a stop only when the plan names
             * that port; one without, only when the plan's route passes through it. `passage`:
             * a canal or strait whose own terminals are part of the queue (a stop at one is waiting
             * for the transit, not a call, while the route runs through it).
             */
            waitingAreas: z
              .array(
                z
                  .object({
                    name: z.string(),
                    lat: z.number().min(-90).max(90),
                    lon: z.number().min(-180).max(180),
                    radiusKm: positive,
                    locode: z.string().optional(),
                    /** Several ports whose ships wait there (an estuary shared by several terminals). */
                    locodes: z.array(z.string()).optional(),
                    passage: z.boolean().optional(),
                    maxWaitMs: ms.min(HOUR).optional(),
                  })
                  .strict(),
              )
              .default([
                // River ports wait far out: an area with a locode excuses a stop only when the plan names that port.
                { name: 'German Bight anchorages (Elbe and Weser approaches)', lat: 54.0, lon: 8.0, radiusKm: 45, locode: 'DEHAM' },
                { name: 'German Bight anchorages (Elbe and Weser approaches)', lat: 54.0, lon: 8.0, radiusKm: 45, locode: 'DEBRV' },
                { name: 'Wandelaar and Steenbank anchorages (Scheldt approaches)', lat: 51.45, lon: 3.05, radiusKm: 30, locode: 'BEANR' },
                { name: 'Maas anchorages (Rotterdam approaches)', lat: 52.05, lon: 3.65, radiusKm: 20, locode: 'NLRTM' },
                { name: 'Galveston Bay entrance anchorages (Houston Ship Channel)', lat: 29.25, lon: -94.6, radiusKm: 35, locode: 'USHOU' },
                { name: 'Southwest Pass anchorages (Mississippi River)', lat: 28.85, lon: -89.45, radiusKm: 45, locode: 'USMSY' },
                { name: 'Savannah offshore anchorages', lat: 31.95, lon: -80.7, radiusKm: 25, locode: 'USSAV' },
                { name: 'New York Lower Bay anchorages (Gravesend, Stapleton, Sandy Hook Bay)', lat: 40.5, lon: -74.03, radiusKm: 12, locode: 'USNYC' },
                { name: 'Hampton Roads and Lynnhaven Roads anchorages (Chesapeake Bay entrance)', lat: 36.93, lon: -76.1, radiusKm: 15, locode: 'USORF' },
                { name: 'Southern Gulf Islands anchorages (Vancouver overflow)', lat: 48.8, lon: -123.25, radiusKm: 20, locode: 'CAVAN' },
                { name: 'Vung Tau anchorage (Saigon and Cai Mep rivers)', lat: 10.3, lon: 107.05, radiusKm: 35, locode: 'VNSGN' },
                { name: 'Guishan anchorage (Pearl River estuary)', lat: 22.12, lon: 113.82, radiusKm: 12, locodes: ['CNCAN', 'CNNSA', 'CNSHK', 'CNCWN', 'HKHKG'] },
                { name: 'Port Angeles anchorage (Strait of Juan de Fuca; Puget Sound ports)', lat: 48.14, lon: -123.4, radiusKm: 12, locodes: ['USSEA', 'USTIW'] },
                { name: 'Port Said anchorage (Suez Canal north)', lat: 31.35, lon: 32.4, radiusKm: 40, passage: true },
                { name: 'Suez Bay anchorage (Suez Canal south)', lat: 29.85, lon: 32.55, radiusKm: 25, passage: true },
                { name: 'Great Bitter Lake (Suez Canal)', lat: 30.35, lon: 32.4, radiusKm: 20, passage: true },
                { name: 'Lake Timsah (Suez Canal, Ismailia)', lat: 30.57, lon: 32.3, radiusKm: 8, passage: true },
                { name: 'Ballah bypass (Suez Canal)', lat: 30.8, lon: 32.31, radiusKm: 10, passage: true },
                { name: 'Panama Canal Pacific anchorage', lat: 8.85, lon: -79.5, radiusKm: 40, passage: true, maxWaitMs: 10 * DAY },
                { name: 'Panama Canal Atlantic anchorage', lat: 9.4, lon: -79.9, radiusKm: 40, passage: true, maxWaitMs: 10 * DAY },
                { name: 'Gatun Lake (Panama Canal)', lat: 9.2, lon: -79.85, radiusKm: 20, passage: true },
                { name: 'Singapore Strait anchorages', lat: 1.25, lon: 103.9, radiusKm: 50 },
                { name: 'Bosphorus approaches', lat: 41.05, lon: 29.0, radiusKm: 40 },
              ]),
          })
          .strict()
          .prefault({}),
        ripOnRipOff: z
          .object({
            /** Open, short dwell, close: an opening longer than this is not the quick rip pattern. */
            maxOpenMs: ms.min(MINUTE).default(3 * HOUR),
          })
          .strict()
          .prefault({}),
        routeDeviation: z
          .object({
            /** Ships stray tens of km for weather and traffic separation; 100 km off the planned track is a different route. */
            maxDistanceKm: positive.default(100),
            sustainMs: ms.min(10 * MINUTE).default(2 * HOUR),
            /** An excursion ends once back within this share of the threshold (hysteresis). */
            returnFactor: positive.max(1).default(0.7),
            /** Evaluate at most one fix per container in this event-time interval (distance to a long polyline costs). */
            evaluateEveryMs: ms.default(10 * MINUTE),
          })
          .strict()
          .prefault({}),
        locationGap: z
          .object({
            /**
             * No position for this long while other readings arrive. Trackers fix every 5 min to 2 h;
             * GNSS drops out for up to ~2 h below deck or under other boxes while the rest reports on.
             */
            maxPositionGapMs: ms.min(10 * MINUTE).default(3 * HOUR),
            /** The longest ordinary GNSS dropout (below deck, under other boxes): a gap must outlast it plus the fix intervals on either side. */
            gnssDropoutMs: ms.default(2 * HOUR),
            /** The gap must also exceed this many times the device's own usual fix interval (while moving, or while stationary in a stop). */
            intervalFactor: positive.default(3),
            /** A silence of every reading shorter than this is not judged at all (communication outages last up to about an hour). */
            maxSilenceMs: ms.min(10 * MINUTE).default(4 * HOUR),
            /** A silence under way that has not ended after this long is raised (cellular coverage holes at sea last hours). */
            maxUnresumedSilenceMs: ms.min(HOUR).default(12 * HOUR),
            /**
             * While the container stands in a stop, the same for a silence: trackers sleep when they
             * stand still and report every few hours or only a daily heartbeat.
             */
            maxStationarySilenceMs: ms.min(HOUR).default(24 * HOUR),
            /** A silence that ends farther away than this speed (or 1.5x the speed before it) could have carried the box is raised: ships make 25 kn at most, trucks average less over hours. */
            maxTravelKn: positive.default(40),
            /**
             * With this much history, a device that ends a silence as a coverage hole would is still
             * raised when it had never gone quiet for even 1/intervalFactor as long before (a tracker
             * that always reported and suddenly did not).
             */
            profileMinHistoryMs: ms.min(HOUR).default(12 * HOUR),
            /** A gap whose last fix was this close to a port is low severity (coverage and power routines in port). */
            nearPortKm: positive.default(50),
          })
          .strict()
          .prefault({}),
        temperatureAnomaly: z
          .object({
            /** The baseline: readings of the last 26 h (a whole day, so a dry box's daily cycle is part of its normal), at most 200. */
            baselineMs: ms.min(HOUR).default(26 * HOUR),
            maxBaselineReadings: z.number().int().min(12).max(2000).default(200),
            minBaselineReadings: z.number().int().min(6).default(16),
            /** How much history a baseline needs before it judges: half a day for a reefer, most of a day for a dry box. */
            minBaselineSpanReeferMs: ms.default(12 * HOUR),
            minBaselineSpanDryMs: ms.default(20 * HOUR),
            /** Robust z: deviation from the rolling median in units of 1.4826 x MAD. */
            robustZ: positive.default(5),
            /** Sensor resolution and reefer control jitter: sigma never below this. */
            minSigmaC: positive.default(0.3),
            /** Minimum deviation worth an analyst's time: reefers (inside their band), dry boxes (weather-driven). */
            minDeltaReeferC: positive.default(1.2),
            /** A dry box: this far beyond the range of its own last day (its daily cycle is its normal). */
            minDeltaDryC: positive.default(6),
            /** The sun and the night change a box's air by a few degrees an hour at most: a dry box fresh off the yard is judged only on changes faster than this. */
            dryMaxRateCPerHour: positive.default(8),
            /** Longer than a defrost cycle (20-40 min): so a sparse sensor's two readings an hour apart can hold a shift. */
            sustainMs: ms.min(10 * MINUTE).default(45 * MINUTE),
            minReadings: z.number().int().min(2).default(2),
            /** Erratic reefer: the window, in readings (seven steps between them). */
            erraticReadings: z.number().int().min(4).max(50).default(8),
            /** Readings sparser than this window are not judged erratic (gaps say nothing of control). */
            erraticMaxWindowMs: ms.min(HOUR).default(8 * HOUR),
            /**
             * A reefer's controller keeps successive readings within a few tenths (sensor resolution
             * 0.1 °C, control band about ±0.5 °C): a median step of a whole degree is erratic whatever the history.
             */
            erraticMinSpreadC: positive.default(1),
            /** ... and it must be this many times the container's own usual step. */
            erraticFactor: positive.default(4),
            /** Erratic for this long (longer than a defrost, which makes two steps) before it is raised. */
            erraticSustainMs: ms.min(10 * MINUTE).default(2 * HOUR),
          })
          .strict()
          .prefault({}),
        locationJump: z
          .object({
            maxSpeedKn: positive.min(30).default(80),
            minDistanceKm: positive.default(5),
            incidentMs: ms.default(6 * HOUR),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The targeting centre's HTTP API and dashboard (src/api). */
    api: z
      .object({
        enabled: z.boolean().default(true),
        /** Loopback by default: nothing is reachable from another machine unless asked for. */
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        /**
         * Bearer tokens, stored as the sha256 hex of the token (never the token itself):
         * `node -e "console.log(require('crypto').createHash('sha256').update(process.argv[1]).digest('hex'))" TOKEN`.
         * With none configured, reads are allowed without a token from loopback clients only.
         */
        tokens: z
          .array(
            z
              .object({
                name: z.string().min(1),
                sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 hex of the token (64 lowercase hex digits)'),
                /** admin: every centre, and rule changes (PUT /api/rules). */
                scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
                /** The targeting centre (`centres[].name`) whose jurisdiction the token sees; null: every centre (only admin tokens once centres are configured). */
                centre: z.string().min(1).nullable().default(null),
              })
              .strict(),
          )
          .default([]),
        /** Origins allowed to call the API from a browser; empty = CORS closed. */
        corsOrigins: z.array(z.string().min(1)).default([]),
        rateLimit: z
          .object({ max: z.number().int().positive().default(1200), timeWindowMs: z.number().int().min(1000).default(60_000) })
          .strict()
          .prefault({}),
        /** HTTPS when both are set: paths of the PEM key and certificate. */
        tls: z
          .object({ keyFile: z.string().min(1), certFile: z.string().min(1) })
          .strict()
          .nullable()
          .default(null),
        /** Recent stream events kept so a reconnecting client can resume with Last-Event-ID. */
        streamBufferSize: z.number().int().min(10).max(1_000_000).default(2000),
        /** Alerts held in memory for queries (oldest dropped first). */
        maxAlerts: z.number().int().min(100).default(100_000),
        /** Fixes kept per container for tracks (embedded mode). */
        trackPoints: z.number().int().min(10).max(100_000).default(2000),
        /** Readings of every kind kept per container for evidence timelines. */
        evidenceReadings: z.number().int().min(10).max(100_000).default(5000),
        /** DCSA Track & Trace IoT events (GET .../dcsa-events): who publishes them. */
        dcsa: z
          .object({
            /** The publisher's name in each event's metadata. */
            partyName: z.string().min(1).max(100).default('sealwatch'),
            /** The SCAC or SMDG code the events are published under (DCSA requires one); ZZZZ is a placeholder, set the code of the carrier you publish for. */
            carrierCode: z
              .string()
              .regex(/^[A-Z0-9]{1,4}$/, 'a SCAC or SMDG carrier code (1-4 letters or digits)')
              .default('ZZZZ'),
            carrierCodeListProvider: z.enum(['SMDG', 'NMFTA']).default('SMDG'),
            /** VSP: a visibility service provider (DCSA tntPublisherRole). */
            publisherRole: z.enum(['CA', 'AG', 'VSP', 'SVP']).default('VSP'),
            /** Container and trip feeds whose published events are remembered (to retract what a re-evaluation withdraws); the least recently asked for go first. */
            maxFeeds: z.number().int().min(10).max(1_000_000).default(10_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Targeting centres sharing this platform (src/trips/jurisdiction.ts): each a name and a
     * scope of country codes (NL) or UN/LOCODEs (NLRTM). A centre sees the containers whose
     * plans start, end or transship in its scope; tokens and webhook targets name their centre.
     */
    centres: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, such as centre-nl'),
            /** Shown on the dashboard. */
            label: z.string().min(1).max(200).nullable().default(null),
            scope: z.array(z.string().regex(/^[A-Z]{2}([A-Z2-9]{3})?$/, 'a country code such as NL or a UN/LOCODE such as NLRTM')).min(1),
          })
          .strict(),
      )
      .default([]),
    /**
     * Alerts POSTed to targeting centres, signed the Standard Webhooks way
     * (src/sinks/webhook.ts): each target reads the alerts topic in a consumer
     * group of its own and commits an alert only once delivered or dead.
     */
    webhooks: z
      .object({
        targets: z
          .array(
            z
              .object({
                /** Names the target's consumer group (`{kafka.groupId}-webhook-{name}`) and goes into every webhook id: renaming a target starts it afresh. */
                name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, dots, underscores and dashes (at most 100), such as centre-nl'),
                url: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL'),
                /** Name of the environment variable holding the secret (whsec_<base64>, or a raw string), kept out of files and logs. */
                secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
                /** The targeting centre (`centres[].name`) the target belongs to: it gets only alerts of that centre's jurisdiction; null: every alert. */
                centre: z.string().min(1).nullable().default(null),
                /** Only these rules' alerts; null: every rule. */
                rules: z.array(z.enum(RULE_IDS)).min(1).nullable().default(null),
                /** Only alerts of this severity or above; null: every severity. */
                minSeverity: z.enum(SEVERITIES).nullable().default(null),
                /** Only alerts of containers whose number starts with one of these (an owner code such as MSCU, or more of the number); null: every container. */
                containerPrefixes: z
                  .array(z.string().regex(/^[A-Z]{1,4}[0-9]{0,7}$/, 'the start of an ISO 6346 container number: up to 4 capital letters then digits, such as MSCU or MSCU12'))
                  .min(1)
                  .nullable()
                  .default(null),
                /** Only alerts whose trip plan starts, ends or transships at one of these ports (UN/LOCODEs); null: every plan. */
                ports: z
                  .array(z.string().regex(/^[A-Z]{2}[A-Z2-9]{3}$/, 'a UN/LOCODE such as NLRTM'))
                  .min(1)
                  .nullable()
                  .default(null),
              })
              .strict(),
          )
          .default([]),
        maxAttempts: z.number().int().min(1).max(50).default(8),
        initialBackoffMs: z.number().int().min(1).default(500),
        maxBackoffMs: z.number().int().min(1).default(60_000),
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .prefault({}),
    sinks: z
      .object({
        alertsFile: z.string().nullable().default(null),
        console: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Centres are named by tokens and webhook targets: every name must be one, once.
    const names = new Set<string>();
    c.centres.forEach((centre, i) => {
      if (names.has(centre.name)) ctx.addIssue({ code: 'custom', path: ['centres', i, 'name'], message: `centre ${centre.name} is defined twice` });
      names.add(centre.name);
    });
    const known = names.size ? [...names].join(', ') : 'none: centres is empty';
    c.api.tokens.forEach((t, i) => {
      if (t.centre !== null && !names.has(t.centre)) ctx.addIssue({ code: 'custom', path: ['api', 'tokens', i, 'centre'], message: `no centre ${t.centre} (centres: ${known})` });
      // deny by default: once there are centres, a token sees everything only if it says so (admin)
      if (t.centre === null && names.size > 0 && !t.scopes.includes('admin'))
        ctx.addIssue({ code: 'custom', path: ['api', 'tokens', i, 'centre'], message: `token ${t.name} must name its centre (or have the admin scope) once centres are configured` });
    });
    const targetNames = new Set<string>();
    c.webhooks.targets.forEach((t, i) => {
      if (t.centre !== null && !names.has(t.centre)) ctx.addIssue({ code: 'custom', path: ['webhooks', 'targets', i, 'centre'], message: `no centre ${t.centre} (centres: ${known})` });
      // a target's name is its consumer group and part of its webhook ids: one target per name
      if (targetNames.has(t.name)) ctx.addIssue({ code: 'custom', path: ['webhooks', 'targets', i, 'name'], message: `webhook target ${t.name} is defined twice` });
      targetNames.add(t.name);
    });
    const stages = new Set(c.pipeline.stages);
    if (stages.size < STAGES.length && c.bus.kind === 'memory')
      ctx.addIssue({ code: 'custom', path: ['pipeline', 'stages'], message: `expected all of ${STAGES.join(',')} with bus.kind memory (the memory bus lives in one process); run a subset with bus.kind kafka` });
    if (stages.size < STAGES.length && stages.has('telemetry') && !(c.influx.enabled && c.influx.writeTelemetry))
      ctx.addIssue({ code: 'custom', path: ['pipeline', 'stages'], message: `the telemetry stage writes readings to InfluxDB: expected influx.enabled and influx.writeTelemetry true when it is chosen` });
    if (c.webhooks.initialBackoffMs > c.webhooks.maxBackoffMs) ctx.addIssue({ code: 'custom', path: ['webhooks', 'initialBackoffMs'], message: `at most webhooks.maxBackoffMs (${c.webhooks.maxBackoffMs})` });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Keys whose values are never printed, in logs or in errors. */
export const SECRET_KEYS = new Set(['mqtt.password', 'kafka.password', 'influx.token']);
