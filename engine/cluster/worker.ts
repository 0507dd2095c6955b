/**
 * A cluster worker: pulls units of work from the `workers` consumer, runs the job's pipeline from its
 * distributed stage on over them, reports what happened, and acknowledges the units only then, once
 * the sinks have handed their outputs on (a unit whose worker dies first is redelivered to another).
 *
 * Units are taken in runs: a run's source is one pull of up to `batch` units (units flow into the
 * stages as they arrive; the pull ends when it is full or the queue stays empty for a second), and the
 * run ends when all its units are through. `parallelRuns` runs overlap, so one slow unit does not leave
 * the worker idle. While a run goes on, its units are kept alive (`working()`) so the server does not
 * hand them to another worker.
 * @module
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import process from "node:process";
import type { JsMsg } from "npm:@nats-io/jetstream@^3.4.0";
import { WorkerPool } from "../kernel/mod.ts";
import { Chain } from "../pipeline/pipeline.ts";
import { sink, source } from "../pipeline/constructors.ts";
import type { Logger } from "../pipeline/logger.ts";
import { textLogger } from "../pipeline/logger.ts";
import type { RunResources } from "../pipeline/resources.ts";
import { runPipeline, type RunSummary } from "../pipeline/runner.ts";
import type { Stage } from "../pipeline/stage.ts";
import { Lease } from "./lease.ts";
import { OwnerHolders } from "./owner_holder.ts";
import { ownerHash, publishOwned } from "./owned_transit.ts";
import { countersOf, fatalOf } from "./report_fields.ts";
import { openNats, replicasFor } from "../nats/connection.ts";
import { isTransientFailure, retryTransient, TRANSIENT_JOB_DELIVERIES } from "../nats/transient.ts";
import {
  DEFAULT_ACK_WAIT_MS,
  type JobRecord,
  openWorkQueue,
  type UnitMessage,
  type UnitReport,
  WORK_CONSUMER,
  WORK_STREAM,
  type WorkQueue,
} from "./work_queue.ts";

/**
 * A job made runnable on this worker: the stages from the distributed one on, and a fresh set of
 * resources for each run (with the job's state stores already pointing at the cluster).
 *
 * @example
 * ```ts ignore
 * const prepared: PreparedJob = { stages, resources: () => new RunResources() };
 * ```
 */
export interface PreparedJob {
  /** The stages the worker runs, the distributed one first. */
  stages: ReadonlyArray<Stage<unknown, unknown>>;
  /** The job's state location (the run opens it from `resources()`, where the cluster put it). */
  state?: string;
  /** Resources for one run. */
  resources(): RunResources;
  /** The submitter's `--dry-run` folder: sinks write there instead of sending. */
  dryRun?: string;
  /** Releases what `prepare` opened (called when the worker stops). */
  close?(): Promise<void>;
}

/**
 * Options of {@linkcode runWorker}.
 *
 * @example
 * ```ts ignore
 * await runWorker({ nats: "nats://127.0.0.1:4222", prepare, signal: stop.signal });
 * ```
 */
export interface WorkerOptions {
  /** NATS server(s). */
  nats: string;
  /** Turns a job record into stages (the CLI loads the pipeline text with the job's variables). */
  prepare(job: JobRecord): Promise<PreparedJob>;
  /** Stops the worker: no new pulls; runs in progress finish and acknowledge. */
  signal?: AbortSignal;
  /** Log lines (default text on stderr). */
  logger?: Logger;
  /** Units per run (default 32). */
  batch?: number;
  /** Runs at once (default 2). */
  parallelRuns?: number;
  /** The consumer's ack wait when this worker creates it (default 30 s). */
  ackWaitMs?: number;
  /** The leases' time to live when this worker creates their bucket (default 30 s). */
  leaseTtlMs?: number;
  /** Called after each report is published (tests and the CLI's log). */
  onReport?(report: UnitReport): void;
}

/**
 * Runs a worker until `signal` aborts. Resolves once the runs in progress have finished.
 *
 * @throws SluiceError E_NATS_CONNECT when NATS cannot be reached
 * @example
 * ```ts ignore
 * const stop = new AbortController();
 * const done = runWorker({ nats: "nats://127.0.0.1:4222", prepare, signal: stop.signal });
 * stop.abort();
 * await done;
 * ```
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const logger = options.logger ?? textLogger("info");
  const link = await openNats(options.nats);
  const stopped = options.signal ?? new AbortController().signal;
  const pool = new WorkerPool();
  const prepared = new Map<string, Promise<PreparedJob>>();
  const name = `${hostname()}:${process.pid}`;
  let holders: OwnerHolders | undefined;
  try {
    const queue = await openWorkQueue(link.nc, {
      ackWaitMs: options.ackWaitMs,
      leaseTtlMs: options.leaseTtlMs,
      replicas: replicasFor(options.nats),
    });
    const consumer = await queue.js.consumers.get(WORK_STREAM, WORK_CONSUMER);
    const ackWaitMs = ((await consumer.info()).config.ack_wait ?? 0) / 1e6 || DEFAULT_ACK_WAIT_MS;
    logger.log("info", `worker ${name} joined the cluster at ${link.label}`);
    const maxPayload = link.nc.info?.max_payload ?? 1024 * 1024;
    const base = { queue, pool, prepared, name, options, logger, ackWaitMs, maxPayload };
    holders = new OwnerHolders({
      queue,
      name,
      logger,
      ackWaitMs,
      pool,
      jobOf: (id) => jobOf(base as RunContext, id),
      report: (r) => report(base as RunContext, r),
    });
    const ctx: RunContext = { ...base, holders };
    const lanes = Array.from({ length: Math.max(1, options.parallelRuns ?? 2) }, async () => {
      while (!stopped.aborted) {
        try {
          const batch = await consumer.fetch({
            max_messages: Math.max(1, options.batch ?? 32),
            expires: 1000,
          });
          const onStop = () => batch.stop();
          stopped.addEventListener("abort", onStop, { once: true });
          try {
            await runBatch(ctx, batch);
          } finally {
            stopped.removeEventListener("abort", onStop);
          }
        } catch (e) {
          // A lost server (the client reconnects to another) or a refused pull: try again shortly. Units
          // of a run that failed here were not acknowledged, so they come back.
          logger.log("warn", `worker ${name}: ${(e as Error).message}; pulling again in 1 s`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    });
    await Promise.all(lanes);
  } finally {
    await holders?.stop();
    for (const p of prepared.values()) await (await p.catch(() => undefined))?.close?.();
    await pool.close();
    await link.release();
  }
}

interface RunContext {
  queue: WorkQueue;
  pool: WorkerPool;
  prepared: Map<string, Promise<PreparedJob>>;
  name: string;
  options: WorkerOptions;
  logger: Logger;
  ackWaitMs: number;
  /** The largest message the server takes. */
  maxPayload: number;
  /** The owners (mailboxes) this worker holds. */
  holders: OwnerHolders;
}

/** The job a unit belongs to, prepared once per worker; undefined when the job is gone. */
function jobOf(ctx: RunContext, id: string): Promise<PreparedJob | undefined> {
  let found = ctx.prepared.get(id);
  if (!found) {
    found = (async () => {
      const entry = await ctx.queue.jobs.get(id);
      if (!entry || entry.operation !== "PUT") throw new JobGone(id);
      const job = JSON.parse(new TextDecoder().decode(entry.value)) as JobRecord;
      return await ctx.options.prepare(job);
    })();
    ctx.prepared.set(id, found);
  }
  const attempt = found;
  return attempt.catch((e) => {
    // Not kept: a record not written yet, a job that ended, or a failure the next unit may not meet.
    if (ctx.prepared.get(id) === attempt) ctx.prepared.delete(id);
    if (e instanceof JobGone) return undefined;
    throw e;
  });
}

class JobGone extends Error {}

/** A unit this run took: its message (kept alive until acked) and its lease. */
interface Held {
  msg: JsMsg;
  seq: number;
  lease: Lease;
}

/**
 * Runs the units of one pull (of one job; units of other jobs go back for a later pull). Each unit is
 * taken under a lease on its content, so that two processes never work on the same unit (a feed) at
 * once, even when the server hands it out again because its first worker stalled past the ack wait.
 */
async function runBatch(ctx: RunContext, messages: AsyncIterable<JsMsg>): Promise<void> {
  const iterator = messages[Symbol.asyncIterator]();
  // The first unit picks the job.
  let first: { msg: JsMsg; unit: UnitMessage } | undefined;
  while (!first) {
    const next = await iterator.next();
    if (next.done) return;
    const unit = parseUnit(next.value);
    if (unit) first = { msg: next.value, unit };
  }
  const jobId = first.unit.job;
  let job: PreparedJob | undefined;
  try {
    job = await jobOf(ctx, jobId);
  } catch (e) {
    await drain(iterator, (m) => m.nak(250));
    // A NATS node leaving makes opening the job's state time out for a while (its streams elect new
    // leaders): the unit comes back later. Only a failure that outlasts several deliveries stops the job.
    const deliveries = first.msg.info.deliveryCount;
    if (isTransientFailure(e) && deliveries < TRANSIENT_JOB_DELIVERIES) {
      ctx.logger.log(
        "warn",
        `worker ${ctx.name}: cannot prepare ${jobId} yet (${
          (e as Error).message
        }); unit ${first.unit.seq} comes back`,
      );
      first.msg.nak(1_000 * deliveries);
      return;
    }
    await report(ctx, { job: jobId, units: [first.unit.seq], stages: [], failures: [], fatal: fatalOf(e) });
    first.msg.ack();
    return;
  }
  if (!job) {
    // The job was cancelled or has finished: its leftover units have nobody to report to.
    first.msg.term();
    await drain(iterator, (m) => parseUnit(m)?.job === jobId ? m.term() : m.nak(250));
    return;
  }
  // Every unit of the pull is taken (leased, kept alive) as it arrives, not when the stages get to it.
  const held: Held[] = [];
  const handed: string[] = [];
  const ready: unknown[] = [];
  let ended = false;
  let wake = () => {};
  const take = async (msg: JsMsg, unit: UnitMessage) => {
    if (unit.job !== jobId) return msg.nak(250);
    const lease = await retryTransient(() =>
      Lease.take(ctx.queue.leases, `unit.${unitKey(unit.item)}`, ctx.name)
    )
      .catch(() => undefined);
    // Someone works on it (or died with it and its lease has not expired yet): later.
    if (!lease) return msg.nak(Math.max(250, Math.floor(ctx.queue.leaseTtlMs / 2)));
    held.push({ msg, seq: unit.seq, lease });
    ready.push(unit.item);
    wake();
  };
  const reading = (async () => {
    try {
      await take(first.msg, first.unit);
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const unit = parseUnit(next.value);
        if (unit) await take(next.value, unit);
      }
    } catch (e) {
      // The pull ended early (a busy event loop missed the server's heartbeats, a node went away): the
      // units taken so far run; any the server sent and this run did not take come back after the ack wait.
      ctx.logger.log("debug", `worker ${ctx.name}: pull ended early: ${(e as Error).message}`);
    } finally {
      ended = true;
      wake();
    }
  })();
  const keepAlive = setInterval(() => {
    for (const h of held) {
      h.msg.working();
      h.lease.renew().then((ok) => {
        if (!ok) ctx.logger.log("warn", `worker ${ctx.name}: lost the lease on unit ${h.seq} of ${jobId}`);
      }, () => {});
    }
  }, Math.max(250, Math.min(ctx.ackWaitMs, ctx.queue.leaseTtlMs) / 3));
  let summary: RunSummary;
  try {
    const units = async function* () {
      for (;;) {
        if (ready.length > 0) yield ready.shift();
        else if (ended) return;
        else await new Promise<void>((resolve) => wake = resolve);
      }
    };
    const stages = [source(units, { name: "units" }) as Stage<unknown, unknown>, ...job.stages];
    // A single-owner last stage (a mailbox) runs on the process holding the item's owner: hand it over.
    const owned = job.stages.at(-1);
    if (owned?.options.owned) stages[stages.length - 1] = handOff(ctx, jobId, owned, handed);
    summary = await runPipeline(new Chain<never, unknown>(stages, job.state), {
      pool: ctx.pool,
      resources: job.resources(),
      dryRun: job.dryRun,
      logger: ctx.logger,
      measureLag: false,
    });
    await reading;
  } finally {
    clearInterval(keepAlive);
  }
  if (held.length === 0) return;
  const deliveries = Math.max(...held.map((h) => h.msg.info.deliveryCount));
  if (summary.aborted && isTransientFailure(summary.error) && deliveries < TRANSIENT_JOB_DELIVERIES) {
    // As if this worker had died: nothing reported, the units come back, the ledger skips what was sent.
    ctx.logger.log(
      "warn",
      `worker ${ctx.name}: ${jobId} stopped on a NATS failure (${
        (summary.error as Error).message
      }); its ${held.length} unit(s) come back`,
    );
    for (const h of held) h.msg.nak(1_000 * deliveries);
    await Promise.all(held.map((h) => h.lease.release()));
    return;
  }
  const fatal = summary.aborted ? fatalOf(summary.error) : undefined;
  const handedOff = Boolean(job.stages.at(-1)?.options.owned);
  await report(ctx, {
    job: jobId,
    units: held.map((h) => h.seq),
    // A handed-off stage's counters come from its holder's reports.
    stages: summary.metrics.stages.slice(1, handedOff ? -1 : undefined).map(countersOf),
    failures: summary.failures,
    fatal,
    ...(handedOff ? { handedOn: handed } : {}),
  });
  // Only now: the sinks have handed everything on and the report is stored.
  await Promise.all(held.map((h) => retryTransient(() => h.msg.ackAck()).catch(() => false)));
  await Promise.all(held.map((h) => h.lease.release()));
}

/**
 * The sink that stands for a single-owner stage on a worker: each item is encoded by the stage's contract
 * and published for the holder of its owner (stored by JetStream before the item counts as handed on), and
 * the worker offers to hold that owner when nobody does.
 */
function handOff(
  ctx: RunContext,
  jobId: string,
  stage: Stage<unknown, unknown>,
  handed: string[],
): Stage<unknown, unknown> {
  const owned = stage.options.owned!;
  return sink(async (item: unknown, sctx) => {
    const owner = owned.ownerOf(item);
    const key = owned.keyOf(item);
    const bytes = await owned.encode(item, sctx);
    await publishOwned(ctx.queue, jobId, owner, key, bytes, ctx.maxPayload);
    handed.push(key);
    ctx.holders.want(ownerHash(owner));
  }, {
    name: stage.options.name,
    concurrency: 32,
    onError: stage.options.onError,
    inType: stage.options.inType,
    outType: stage.options.outType,
  }) as Stage<unknown, unknown>;
}

/** A unit's lease key: the SHA-256 of its item (for rss2imap: the feed and its folder). */
function unitKey(item: unknown): string {
  return createHash("sha256").update(JSON.stringify(item)).digest("hex").slice(0, 32);
}

async function report(ctx: RunContext, r: Omit<UnitReport, "worker">): Promise<void> {
  const full: UnitReport = { ...r, worker: ctx.name };
  // A retried report is counted once by the submitter (by unit number).
  await retryTransient(() => ctx.queue.js.publish(`sluice.report.${r.job}`, JSON.stringify(full)));
  ctx.options.onReport?.(full);
}

async function drain(iterator: AsyncIterator<JsMsg>, each: (m: JsMsg) => void): Promise<void> {
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    each(next.value);
  }
}

function parseUnit(msg: JsMsg): UnitMessage | undefined {
  try {
    return JSON.parse(msg.string()) as UnitMessage;
  } catch {
    msg.term(); // not ours: never redeliver it
    return undefined;
  }
}
