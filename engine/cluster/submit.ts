/**
 * Submitting a run to a cluster: the source (and any stage before the distributed one) runs here, once;
 * each item reaching the distributed stage is published as a unit of work; workers report back, and the
 * run ends when every unit is reported. The result is a {@linkcode RunSummary} like a local run's: the
 * stages' counters add up the workers' reports, failed items are listed, and a worker's run-stopping
 * error (a refused login) stops the job.
 * @module
 */
import { randomUUID } from "node:crypto";
import { DeliverPolicy } from "npm:@nats-io/jetstream@^3.4.0";
import { SluiceError } from "../errors.ts";
import { Chain, type Pipeline } from "../pipeline/pipeline.ts";
import { sink } from "../pipeline/constructors.ts";
import { RunMetrics, type StageMetrics } from "../pipeline/metrics.ts";
import { type ItemFailure, type RunOptions, runPipeline, type RunSummary } from "../pipeline/runner.ts";
import { runtime } from "../runtime/mod.ts";
import { openNats, replicasFor } from "../nats/connection.ts";
import { retryTransient } from "../nats/transient.ts";
import {
  type JobRecord,
  openWorkQueue,
  REPORT_STREAM,
  type UnitReport,
  WORK_STREAM,
  type WorkQueue,
} from "./work_queue.ts";
import { purgeOwned } from "./owned_transit.ts";

/**
 * Metrics of a cluster run: the local stages' counters as the local run fills them, then the remote
 * stages' counters summed from the workers' reports. Progress and the summary read it like a local run's.
 *
 * @example
 * ```ts
 * import { ClusterMetrics } from "./submit.ts";
 * const m = new ClusterMetrics([{ name: "fetch", placement: "loop", concurrency: 32, capacity: 64 }]);
 * console.log(m.snapshot().stages.map((s) => s.name)); // ["fetch"]
 * ```
 */
export class ClusterMetrics extends RunMetrics {
  /** The remote stages' counters, in pipeline order. */
  readonly remote: StageMetrics[];

  /** Creates the counters of the remote stages (all zero). */
  constructor(remote: Array<Pick<StageMetrics, "name" | "placement" | "concurrency" | "capacity">>) {
    super();
    const scratch = new RunMetrics();
    this.remote = remote.map((s) => scratch.stage(s.name, s.placement, s.concurrency, s.capacity));
  }

  /** Adds a worker's report to the remote counters. */
  add(report: UnitReport): void {
    report.stages.forEach((r, i) => {
      const s = this.remote[(report.at ?? 0) + i];
      if (!s) return;
      s.itemsIn += r.itemsIn;
      s.itemsOut += r.itemsOut;
      s.errors += r.errors;
      s.retries += r.retries;
      s.dropped += r.dropped;
      s.deadLettered += r.deadLettered;
      s.busyMs += r.busyMs;
      if (r.placement) s.placement = r.placement;
      for (const [k, v] of Object.entries(r.counters)) s.counters[k] = (s.counters[k] ?? 0) + v;
    });
  }

  override snapshot(): ReturnType<RunMetrics["snapshot"]> {
    const local = super.snapshot();
    return {
      ...local,
      stages: [...local.stages, ...this.remote.map((s) => ({ ...s, counters: { ...s.counters } }))],
    };
  }
}

/**
 * What {@linkcode submitRun} needs.
 *
 * @example
 * ```ts ignore
 * const summary = await submitRun({ nats, job, local, metrics, run: { handleSignals: true } });
 * ```
 */
export interface SubmitOptions {
  /** NATS server(s). */
  nats: string;
  /** The job record without id and time (both set here). */
  job: Omit<JobRecord, "id" | "createdAt">;
  /** What runs here: the source and the stages before the distributed one (with the job's state). */
  local: Pipeline;
  /** Counters for progress and the summary (its remote stages name the rest of the pipeline). */
  metrics: ClusterMetrics;
  /** Options of the local run (signals, logger, tracer, resources...). */
  run?: Omit<RunOptions, "metrics">;
  /** Called when the job record is stored (tests). */
  onSubmitted?(id: string): void;
}

/**
 * Runs a pipeline on the cluster and resolves with its summary once every unit is reported (or the job
 * stopped).
 *
 * @throws SluiceError E_NATS_CONNECT when NATS cannot be reached
 * @example
 * ```ts ignore
 * const metrics = new ClusterMetrics(remoteStages);
 * const summary = await submitRun({ nats: "nats://127.0.0.1:4222", job, local, metrics });
 * ```
 */
export async function submitRun(options: SubmitOptions): Promise<RunSummary> {
  const started = performance.now();
  const link = await openNats(options.nats);
  try {
    const queue = await openWorkQueue(link.nc, { replicas: replicasFor(options.nats) });
    const id = `${options.job.name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40)}-${randomUUID().slice(0, 8)}`;
    const job: JobRecord = { ...options.job, id, createdAt: new Date().toISOString() };
    // A timed-out create that did land is refused as "exists" on the retry: the record is ours either way.
    await retryTransient(() => queue.jobs.create(id, JSON.stringify(job))).catch((e) => {
      if (!/wrong last sequence/i.test((e as Error).message)) throw e;
    });
    options.onSubmitted?.(id);
    const tracker = await trackReports(queue, id, options.metrics);
    let published = 0;
    const toWorkers = sink(async (item: unknown) => {
      const seq = published++;
      // The message id makes a publish retried after a lost answer count once.
      await retryTransient(() =>
        queue.js.publish(`sluice.work.${id}`, JSON.stringify({ job: id, seq, item }), {
          msgID: `${id}.${seq}`,
        })
      );
    }, { name: "to-workers", concurrency: 64 });
    // SIGINT/SIGTERM: the source stops, nothing more is published, queued units are dropped.
    const stop = new AbortController();
    const stopped = new Promise<"signal">((resolve) =>
      stop.signal.addEventListener("abort", () => resolve("signal"), { once: true })
    );
    const offs = options.run?.handleSignals
      ? (["SIGINT", "SIGTERM"] as const).map((sig) => runtime.onSignal(sig, () => stop.abort()))
      : [];
    try {
      const given = options.run?.stopSignal;
      const here = new Chain<never, unknown>([...options.local.stages, toWorkers], options.local.state);
      const local = await runPipeline(here, {
        ...options.run,
        handleSignals: false,
        stopSignal: given ? AbortSignal.any([given, stop.signal]) : stop.signal,
        metrics: options.metrics,
      });
      const failures: ItemFailure[] = [...local.failures];
      let aborted = local.aborted;
      let error = local.error;
      let stoppedBy: RunSummary["stoppedBy"] = stop.signal.aborted ? "signal" : local.stoppedBy;
      if (!aborted && stoppedBy === undefined) {
        const outcome = await Promise.race([tracker.until(published), stopped]);
        if (outcome === "signal") stoppedBy = "signal";
        else if (outcome.fatal) {
          aborted = true;
          const f = outcome.fatal;
          error = new SluiceError(f.code ?? "E_CLUSTER_WORKER", f.message, f.hint);
        }
      }
      failures.push(...tracker.failures);
      const done = !aborted && stoppedBy === undefined;
      if (!done) await cancel(queue, id);
      return {
        ok: done && failures.length === 0,
        stopped: stoppedBy !== undefined,
        stoppedBy,
        aborted,
        error,
        failures,
        durationMs: performance.now() - started,
        metrics: options.metrics.snapshot(),
      };
    } finally {
      for (const off of offs) off();
      await tracker.close();
      await queue.jobs.purge(id).catch(() => {});
    }
  } finally {
    await link.release();
  }
}

/** Drops a job's units still queued (workers drop the ones they hold once the record is gone). */
async function cancel(queue: WorkQueue, id: string): Promise<void> {
  await queue.jobs.purge(id).catch(() => {});
  await queue.jsm.streams.purge(WORK_STREAM, { filter: `sluice.work.${id}` }).catch(() => {});
  await purgeOwned(queue, id);
}

/** How long the report reader may sit idle while the stream holds reports it has not seen. */
const REPORT_STALL_MS = 3_000;

/**
 * Follows the job's reports: counts the units done, adds counters, collects failures. The reader is an
 * ordered consumer; when a NATS node stops, such a consumer can go quiet for good (its server is gone and
 * the client never hears of it). A watchdog compares the last report read with the last one stored and,
 * when the stream is ahead and nothing came for {@linkcode REPORT_STALL_MS}, starts a new consumer after
 * the last report read. A report read twice is counted once.
 */
async function trackReports(queue: WorkQueue, id: string, metrics: ClusterMetrics) {
  const subject = `sluice.report.${id}`;
  const done = new Set<number>();
  // Items handed to the holder of their owner (a mailbox), and those it finished: the job waits for both.
  const handed = new Set<string>();
  const settled = new Set<string>();
  let unsettled = 0;
  const failures: ItemFailure[] = [];
  let fatal: UnitReport["fatal"];
  let wake = () => {};
  let lastSeq = 0;
  let lastHeard = Date.now();
  let closed = false;
  let messages:
    | Awaited<ReturnType<Awaited<ReturnType<typeof queue.js.consumers.get>>["consume"]>>
    | undefined;
  const open = async () => {
    const consumer = await retryTransient(() =>
      queue.js.consumers.get(REPORT_STREAM, {
        filter_subjects: subject, // one subject: nats-server 2.9 has no filter lists
        ...(lastSeq > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      })
    );
    return await consumer.consume();
  };
  messages = await open();
  const reading = (async () => {
    while (!closed) {
      try {
        for await (const m of messages!) {
          lastHeard = Date.now();
          if (m.seq <= lastSeq) continue;
          lastSeq = m.seq;
          const report = JSON.parse(m.string()) as UnitReport;
          for (const k of report.settled ?? []) {
            if (settled.has(k)) continue;
            settled.add(k);
            if (handed.has(k)) unsettled--;
          }
          for (const k of report.handedOn ?? []) {
            if (handed.has(k)) continue;
            handed.add(k);
            if (!settled.has(k)) unsettled++;
          }
          // A unit reported twice (its worker died after the report, before the ack): counted once.
          const fresh = report.units.filter((u) => !done.has(u));
          if (fresh.length > 0 || report.units.length === 0) {
            for (const u of fresh) done.add(u);
            metrics.add(report);
            failures.push(...report.failures);
          }
          fatal ??= report.fatal;
          wake();
        }
      } catch {
        // The consumer failed (its node left): a new one starts below.
      }
      if (closed) break;
      lastHeard = Date.now();
      messages = await open().catch(async () => {
        await new Promise((r) => setTimeout(r, 500));
        return messages;
      });
    }
  })();
  const watchdog = setInterval(async () => {
    if (closed || Date.now() - lastHeard < REPORT_STALL_MS) return;
    const last = await queue.jsm.streams.getMessage(REPORT_STREAM, { last_by_subj: subject }).catch(() =>
      null
    );
    if (!closed && last && last.seq > lastSeq && Date.now() - lastHeard >= REPORT_STALL_MS) {
      lastHeard = Date.now();
      await messages?.close().catch(() => {});
    }
  }, 1_000);
  return {
    failures,
    /**
     * Resolves once units 0..total-1 are all reported and every item they handed on is finished by its
     * holder, or a report carries a fatal error.
     */
    until(total: number): Promise<{ fatal?: UnitReport["fatal"] }> {
      return new Promise((resolve) => {
        wake = () => {
          if (fatal || (done.size >= total && unsettled === 0)) resolve({ fatal });
        };
        wake();
      });
    },
    async close() {
      closed = true;
      clearInterval(watchdog);
      await messages?.close().catch(() => {});
      await reading.catch(() => {});
    },
  };
}
