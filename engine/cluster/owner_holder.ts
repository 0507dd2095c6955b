/**
 * Holding owners (mailboxes) on a worker: a single-owner stage stays single-owner across the cluster.
 * Each owner has a lease `owner.<hash>` in `sluice_leases` (create-if-absent, renewed every quarter of its
 * time to live) and a durable consumer `owner_<hash>` on `SLUICE_OWNED` that only the lease holder pulls
 * from. The holder runs the job's owned stage (the IMAP sink) over what it pulls, one pull at a time, and
 * acknowledges the items once the stage is through with them and its report is stored.
 *
 * A worker tries to take an owner when it hands an item to it, and every few seconds for each owner with
 * items waiting in the stream (the holder may have died): a dead holder's lease expires and its
 * unacknowledged items are redelivered to the next holder after the ack wait. A holder that could not renew
 * its lease in time stops pulling (another process may hold the owner now); one with nothing to do for a
 * lease's time to live gives it up. Its sink writes under an {@linkcode OwnerFence}: no message is appended
 * twice, however late a renewal comes.
 * @module
 */
import { AckPolicy, DeliverPolicy, type JsMsg } from "npm:@nats-io/jetstream@^3.4.0";
import type { WorkerPool } from "../kernel/mod.ts";
import { Chain } from "../pipeline/pipeline.ts";
import { flatMap, source } from "../pipeline/constructors.ts";
import type { Logger } from "../pipeline/logger.ts";
import type { RunResources } from "../pipeline/resources.ts";
import { runPipeline, type RunSummary } from "../pipeline/runner.ts";
import type { Stage } from "../pipeline/stage.ts";
import { isTransientFailure, retryTransient, TRANSIENT_JOB_DELIVERIES } from "../nats/transient.ts";
import { ensureConsumer } from "../nats/stream.ts";
import { Lease } from "./lease.ts";
import { fenceMargins, OwnerFence } from "./owner_fence.ts";
import { deleteParts, type OwnedItem, OwnedItemLost, readOwned } from "./owned_transit.ts";
import { countersOf, fatalOf } from "./report_fields.ts";
import { OWNED_STREAM, type UnitReport, type WorkQueue } from "./work_queue.ts";

/**
 * A job as the holder runs it: the distributed stages (the owned one last) and its resources.
 *
 * @example
 * ```ts ignore
 * const job: HeldJob = { stages, resources: () => new RunResources() };
 * ```
 */
export interface HeldJob {
  stages: ReadonlyArray<Stage<unknown, unknown>>;
  state?: string;
  resources(): RunResources;
  dryRun?: string;
}

/**
 * What the holder needs from its worker.
 *
 * @example
 * ```ts ignore
 * const holders = new OwnerHolders({ queue, name, logger, ackWaitMs, pool, jobOf, report });
 * ```
 */
export interface HolderContext {
  queue: WorkQueue;
  /** This worker (host and process id), written into leases. */
  name: string;
  logger: Logger;
  ackWaitMs: number;
  pool: WorkerPool;
  /** A job by id; undefined when it is gone (finished or cancelled). */
  jobOf(id: string): Promise<HeldJob | undefined>;
  /** Publishes a report to the job's submitter. */
  report(r: Omit<UnitReport, "worker">): Promise<void>;
}

/** Items per pull of a holder. */
const HOLDER_BATCH = 256;

/**
 * The owners this worker holds, and the search for owners nobody holds.
 *
 * @example
 * ```ts ignore
 * const holders = new OwnerHolders(ctx);
 * holders.want(ownerHash("imap://bob@mail:143"));
 * await holders.stop();
 * ```
 */
export class OwnerHolders {
  #held = new Map<string, Promise<void>>();
  #tried = new Map<string, number>();
  #stop = new AbortController();
  #scan: ReturnType<typeof setInterval>;

  constructor(readonly ctx: HolderContext) {
    this.#scan = setInterval(() => void this.#lookForOrphans(), Math.max(500, ctx.queue.leaseTtlMs / 2));
  }

  /** Takes the owner `hash` if nobody holds it (tried at most once a second per owner). */
  want(hash: string): void {
    if (this.#stop.signal.aborted || this.#held.has(hash)) return;
    const now = Date.now();
    if (now - (this.#tried.get(hash) ?? 0) < 1000) return;
    this.#tried.set(hash, now);
    const holding = this.#hold(hash).catch((e) => {
      this.ctx.logger.log("warn", `worker ${this.ctx.name}: holding owner ${hash}: ${(e as Error).message}`);
    }).finally(() => this.#held.delete(hash));
    this.#held.set(hash, holding);
  }

  /** Stops pulling; the runs in progress finish and acknowledge; the leases are given up. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#scan);
    await Promise.all(this.#held.values());
  }

  /** Owners with items waiting: any of them may have lost its holder. */
  async #lookForOrphans(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    try {
      const info = await this.ctx.queue.jsm.streams.info(OWNED_STREAM, { subjects_filter: "sluice.owned.>" });
      for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
        if (count > 0) this.want(subject.split(".")[2]);
      }
    } catch {
      // A node away: the next scan looks again.
    }
  }

  async #hold(hash: string): Promise<void> {
    const { ctx } = this;
    const ttl = ctx.queue.leaseTtlMs;
    const lease = await retryTransient(() => Lease.take(ctx.queue.leases, `owner.${hash}`, ctx.name, ttl));
    if (!lease) return;
    ctx.logger.log("debug", `worker ${ctx.name} holds owner ${hash}`);
    // The sink asks the fence before each APPEND and cuts one off that the lease may not outlast (see
    // owner_fence.ts for why no message is appended twice).
    const fence = new OwnerFence(`owner ${hash}`, lease, fenceMargins(ttl));
    // Stops the run in progress as soon as no write may start: its messages go back to the stream.
    const stop = new AbortController();
    let renewing = false;
    let renewedAt = performance.now();
    const tick = setInterval(() => {
      if (!fence.open && !stop.signal.aborted) {
        ctx.logger.log("warn", `worker ${ctx.name}: owner ${hash}: lease not renewed in time, stopping`);
        stop.abort();
      }
      // Renewed every quarter of its life: a renewal may then take a third of it before writes stop.
      if (renewing || stop.signal.aborted || performance.now() - renewedAt < ttl / 4) return;
      renewing = true;
      renewedAt = performance.now();
      // A node going away makes a renewal time out for a while: retried, within a third of the lease.
      retryTransient(() => lease.renew(), ttl / 3).then((ok) => {
        if (!ok) ctx.logger.log("warn", `worker ${ctx.name}: lost owner ${hash} (its lease was taken)`);
      }, (e) => {
        ctx.logger.log("warn", `worker ${ctx.name}: owner ${hash}: renewing: ${(e as Error).message}`);
      }).finally(() => renewing = false);
    }, Math.max(50, Math.min(1000, ttl / 12)));
    try {
      const consumer = await this.#consumer(hash);
      let idleSince = Date.now();
      while (!this.#stop.signal.aborted && !stop.signal.aborted && fence.open) {
        const msgs: JsMsg[] = [];
        try {
          const batch = await consumer.fetch({ max_messages: HOLDER_BATCH, expires: 1000 });
          for await (const m of batch) msgs.push(m);
        } catch (e) {
          // A node away or a missed heartbeat: what was pulled runs; the rest comes back after the ack wait.
          if (msgs.length === 0) await new Promise((r) => setTimeout(r, 500));
          ctx.logger.log(
            "debug",
            `worker ${ctx.name}: owner ${hash} pull ended early: ${(e as Error).message}`,
          );
        }
        if (msgs.length === 0) {
          if (Date.now() - idleSince > ttl) break;
          continue;
        }
        await this.#runPulled(hash, msgs, fence, stop);
        idleSince = Date.now();
      }
    } finally {
      clearInterval(tick);
      // Given up only when every write was over in time; otherwise it expires (the next holder waits).
      if (fence.open && fence.tripped === 0 && !stop.signal.aborted) await lease.release();
      ctx.logger.log("debug", `worker ${ctx.name} gave up owner ${hash}`);
    }
  }

  async #consumer(hash: string) {
    const { queue, ackWaitMs } = this.ctx;
    const name = `owner_${hash}`;
    await ensureConsumer(queue.jsm, OWNED_STREAM, {
      durable_name: name,
      filter_subject: `sluice.owned.${hash}.>`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWaitMs * 1e6,
      max_ack_pending: 10_000,
      inactive_threshold: 24 * 3600 * 1e9,
    }, (fn) => retryTransient(fn));
    return await retryTransient(() => queue.js.consumers.get(OWNED_STREAM, name));
  }

  /** Runs one pull's items, job by job, keeping them alive meanwhile; acknowledges each job's once reported. */
  async #runPulled(hash: string, msgs: JsMsg[], fence: OwnerFence, stop: AbortController): Promise<void> {
    const { ctx } = this;
    const keepAlive = setInterval(() => {
      for (const m of msgs) m.working();
    }, Math.max(250, Math.min(ctx.ackWaitMs, ctx.queue.leaseTtlMs) / 3));
    try {
      const byJob = new Map<string, Array<{ msg: JsMsg; item: OwnedItem }>>();
      for (const msg of msgs) {
        let item: OwnedItem | undefined;
        try {
          item = await readOwned(ctx.queue, msg);
        } catch (e) {
          ctx.logger.log("warn", `worker ${ctx.name}: owner ${hash}: ${(e as Error).message}`);
          if (!(e instanceof OwnedItemLost)) {
            msg.nak(1000); // NATS trouble: later
            continue;
          }
          // It can never be read: it failed, and the job stops waiting for it.
          await ctx.report({
            job: e.job,
            units: [],
            stages: [],
            failures: [{ stage: "owned", item: e.key, error: e.message }],
            settled: [e.key],
          });
        }
        if (!item) {
          msg.term();
          continue;
        }
        const list = byJob.get(item.job);
        if (list?.some((other) => other.item.key === item!.key)) {
          // The same item twice in one pull (a hand-off repeated after NATS lost its duplicate window):
          // one copy goes through the sink, the other would race it.
          ctx.logger.log("debug", `worker ${ctx.name}: owner ${hash}: ${item.key} twice in one pull`);
          msg.term();
          await deleteParts(ctx.queue, item.parts);
        } else if (list) list.push({ msg, item });
        else byJob.set(item.job, [{ msg, item }]);
      }
      for (const [jobId, items] of byJob) await this.#runJob(jobId, items, fence, stop);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async #runJob(
    jobId: string,
    items: Array<{ msg: JsMsg; item: OwnedItem }>,
    fence: OwnerFence,
    stop: AbortController,
  ): Promise<void> {
    const { ctx } = this;
    const keys = items.map((i) => i.item.key);
    const finish = async () => {
      await Promise.all(items.map((i) => retryTransient(() => i.msg.ackAck()).catch(() => false)));
      for (const i of items) await deleteParts(ctx.queue, i.item.parts);
    };
    // A NATS node leaving makes the job's state time out for a while: the messages come back later, as if
    // this holder had died; only a failure that outlasts several deliveries stops the job.
    const deliveries = Math.max(...items.map((i) => i.msg.info.deliveryCount));
    const later = (e: unknown) => {
      if (!isTransientFailure(e) || deliveries >= TRANSIENT_JOB_DELIVERIES) return false;
      ctx.logger.log("warn", `worker ${ctx.name}: ${jobId}: ${(e as Error).message}; its messages come back`);
      for (const i of items) i.msg.nak(1_000 * deliveries);
      return true;
    };
    let job: HeldJob | undefined;
    try {
      job = await ctx.jobOf(jobId);
    } catch (e) {
      if (later(e)) return;
      await ctx.report({ job: jobId, units: [], stages: [], failures: [], fatal: fatalOf(e), settled: keys });
      return await finish();
    }
    const owned = job?.stages.at(-1);
    if (!job || !owned?.options.owned) {
      // The job ended or was cancelled: nobody waits for these.
      for (const i of items) i.msg.term();
      for (const i of items) await deleteParts(ctx.queue, i.item.parts);
      return;
    }
    const contract = owned.options.owned;
    const bytes = items.map((i) => i.item.bytes);
    const decode = flatMap(async (b: Uint8Array, sctx) => {
      const item = await contract.decode(b, sctx);
      // Finished by an earlier holder that died before acknowledging it.
      if (contract.done && await contract.done(item, sctx)) {
        sctx.count("doneBefore");
        return [];
      }
      return [item];
    }, { name: "decode", concurrency: 16 });
    const stages = [
      source(() => bytes, { name: "owned" }) as Stage<unknown, unknown>,
      decode as Stage<unknown, unknown>,
      owned,
    ];
    const resources = job.resources();
    resources.fence = fence;
    const tripped = fence.tripped;
    const summary: RunSummary = await runPipeline(new Chain<never, unknown>(stages, job.state), {
      pool: ctx.pool,
      resources,
      dryRun: job.dryRun,
      logger: ctx.logger,
      measureLag: false,
      signal: stop.signal,
    });
    if (stop.signal.aborted || !fence.open || fence.tripped > tripped) {
      stop.abort();
      // The owner may be someone else's now: its messages go back to whoever holds it.
      for (const i of items) i.msg.nak();
      return;
    }
    if (summary.aborted && later(summary.error)) return;
    await ctx.report({
      job: jobId,
      units: [],
      at: job.stages.length - 1,
      stages: [countersOf(summary.metrics.stages[2])],
      failures: summary.failures,
      fatal: summary.aborted ? fatalOf(summary.error) : undefined,
      settled: keys,
    });
    await finish();
  }
}
