/**
 * The JetStream objects a sluice cluster shares, and what travels through them:
 * - stream `SLUICE_WORK` (work-queue retention, subjects `sluice.work.<job>`): one message per unit of
 *   work; the durable pull consumer `workers` hands each unit to one worker, and the server deletes it
 *   once acknowledged (redelivered after `ackWaitMs` when its worker dies first);
 * - stream `SLUICE_REPORTS` (subjects `sluice.report.<job>`, kept a day): what workers did with units;
 * - KV bucket `sluice_jobs`: one record per submitted run (the pipeline text and its variables);
 * - KV bucket `sluice_leases` (entries expire after `leaseTtlMs`): who works on a unit, holds a mailbox...
 * - stream `SLUICE_OWNED` (work-queue retention, subjects `sluice.owned.<owner>.<job>`): the items of a
 *   single-owner stage (a mailbox's messages) on their way to the one process holding their owner's lease,
 *   which pulls them through the durable consumer `owner_<owner>`;
 * - stream `SLUICE_PARTS` (subjects `sluice.part.<job>`, kept a day): the chunks of items larger than a
 *   NATS message may be (1 MB by default), which an item in `SLUICE_OWNED` then names by sequence.
 * @module
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
} from "npm:@nats-io/jetstream@^3.4.0";
import { type KV, Kvm } from "npm:@nats-io/kv@^3.4.0";
import type { NatsConnection } from "npm:@nats-io/transport-node@^3.4.0";
import { openBucket } from "../nats/bucket.ts";
import { retryWhileForming } from "../nats/cluster_forming.ts";
import { ensureConsumer, ensureStream } from "../nats/stream.ts";
import type { ItemFailure } from "../pipeline/runner.ts";
import type { StageMetrics } from "../pipeline/metrics.ts";

/** The work-queue stream. */
export const WORK_STREAM = "SLUICE_WORK";
/** The durable consumer every worker pulls from. */
export const WORK_CONSUMER = "workers";
/** The stream of reports. */
export const REPORT_STREAM = "SLUICE_REPORTS";
/** The stream of items on their way to the holder of their owner. */
export const OWNED_STREAM = "SLUICE_OWNED";
/** The stream of chunks of large items. */
export const PARTS_STREAM = "SLUICE_PARTS";
/** The bucket of job records. */
export const JOB_BUCKET = "sluice_jobs";
/** The bucket of leases. */
export const LEASE_BUCKET = "sluice_leases";
/** How long a unit may go without an ack or a heartbeat before it is handed to another worker. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** How long a lease lasts unless renewed (its holder renews it every third of that). */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/**
 * A submitted run, as workers read it from the `sluice_jobs` bucket.
 *
 * @example
 * ```ts
 * const job: JobRecord = { id: "j1", name: "rss2imap", file: "/p/rss2imap.yaml", text: "name: x",
 *   env: { FEEDS: "/p/feeds.txt" }, distributeAt: 1, createdAt: new Date().toISOString() };
 * ```
 */
export interface JobRecord {
  /** Unique id (subject token): letters, digits, `_` and `-`. */
  id: string;
  /** The pipeline's name. */
  name: string;
  /** The pipeline file's path on the submitting machine (positions in messages, relative paths). */
  file: string;
  /** The pipeline file's text. */
  text: string;
  /**
   * The values of the `${VAR}`s the file uses, as the submitter saw them (unset ones absent), except the
   * secret ones (see `secretVars`).
   */
  env: Record<string, string>;
  /**
   * The variables the file uses whose values are secrets (a password in a URL, a token): never stored here;
   * each worker takes them from its own environment (or `--env-file`).
   */
  secretVars?: string[];
  /** Index of the stage marked `distribute: true`: workers run it and the stages after it. */
  distributeAt: number;
  /** The submitter's `--dry-run` folder, when given. */
  dryRun?: string;
  /** When it was submitted (ISO). */
  createdAt: string;
}

/**
 * What a worker reports after running some units of a job: the stages' counters (from the distributed
 * stage on), the failed items, and the error that stopped the work, if any.
 *
 * @example
 * ```ts
 * const r: UnitReport = { job: "j1", units: [0, 1], worker: "w-1", stages: [], failures: [] };
 * ```
 */
export interface UnitReport {
  /** The job. */
  job: string;
  /** Sequence numbers (within the job) of the units this report covers. */
  units: number[];
  /** Who ran them (host and process id), for logs. */
  worker: string;
  /** Counters of the stages from the distributed one on, by position. */
  stages: StageCounters[];
  /** Items that failed for good. */
  failures: ItemFailure[];
  /** The error that stopped the units' run (a refused login...): the submitter stops the job with it. */
  fatal?: { message: string; code?: string; hint?: string };
  /** Position (among the distributed stages) of the first stage in `stages` (default 0). */
  at?: number;
  /** Keys of the items handed to the holder of their owner (a mailbox): the job waits for them. */
  handedOn?: string[];
  /** Keys of handed-on items the holder has finished (delivered, failed, or found done before). */
  settled?: string[];
}

/** The counters of a stage that add up across workers. */
export type StageCounters =
  & Pick<
    StageMetrics,
    | "name"
    | "placement"
    | "itemsIn"
    | "itemsOut"
    | "errors"
    | "retries"
    | "dropped"
    | "deadLettered"
    | "busyMs"
  >
  & { counters: Record<string, number> };

/**
 * A unit of work as it travels: its job, its number, and the item (JSON).
 *
 * @example
 * ```ts
 * const u: UnitMessage = { job: "j1", seq: 0, item: { url: "https://x/feed", folder: "News" } };
 * ```
 */
export interface UnitMessage {
  job: string;
  seq: number;
  item: unknown;
}

/**
 * The cluster's JetStream handles, ready to use.
 *
 * @example
 * ```ts ignore
 * const q = await openWorkQueue(nc);
 * await q.js.publish(`sluice.work.${job}`, JSON.stringify(unit));
 * ```
 */
export interface WorkQueue {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Job records. */
  readonly jobs: KV;
  /** Leases (entries expire after `leaseTtlMs`). */
  readonly leases: KV;
  /** The leases' time to live, as the bucket says. */
  readonly leaseTtlMs: number;
  /** Three copies of streams and buckets (a cluster of 3+ nodes) or one. */
  readonly replicas: number;
}

/**
 * Creates (or opens) the streams, the consumer and the job bucket.
 *
 * @example
 * ```ts ignore
 * const q = await openWorkQueue(link.nc, { replicas: 1 });
 * ```
 */
export async function openWorkQueue(
  nc: NatsConnection,
  options: { replicas?: number; ackWaitMs?: number; leaseTtlMs?: number } = {},
): Promise<WorkQueue> {
  const replicas = options.replicas ?? 1;
  const jsm = await retryWhileForming(() => jetstreamManager(nc));
  // The four streams are independent: ask for them at once (a worker's start waits for the slowest).
  await Promise.all([
    ensureStream(jsm, {
      name: WORK_STREAM,
      subjects: ["sluice.work.>"],
      retention: RetentionPolicy.Workqueue,
      num_replicas: replicas,
    }),
    ensureStream(jsm, {
      name: REPORT_STREAM,
      subjects: ["sluice.report.>"],
      retention: RetentionPolicy.Limits,
      max_age: 24 * 3600 * 1e9,
      num_replicas: replicas,
    }),
    ensureStream(jsm, {
      name: OWNED_STREAM,
      subjects: ["sluice.owned.>"],
      retention: RetentionPolicy.Workqueue,
      num_replicas: replicas,
    }),
    ensureStream(jsm, {
      name: PARTS_STREAM,
      subjects: ["sluice.part.>"],
      retention: RetentionPolicy.Limits,
      max_age: 24 * 3600 * 1e9,
      num_replicas: replicas,
    }),
  ]);
  await ensureConsumer(jsm, WORK_STREAM, {
    durable_name: WORK_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: (options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) * 1e6,
    max_ack_pending: 10_000,
  });
  const kvm = new Kvm(nc);
  const jobs = await openBucket(kvm, JOB_BUCKET, { history: 1, replicas });
  const leases = await openBucket(kvm, LEASE_BUCKET, {
    history: 1,
    replicas,
    ttl: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
  });
  const leaseTtlMs = (await leases.status()).ttl || DEFAULT_LEASE_TTL_MS;
  return { js: jetstream(nc), jsm, jobs, leases, leaseTtlMs, replicas };
}
