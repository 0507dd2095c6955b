/**
 * Scheduled pipelines on a cluster fire once per tick: every process running the schedule claims the
 * tick with create-if-absent in the `sluice_ticks` bucket (entries kept a day); the one whose create the
 * server accepts runs it, the others skip it.
 * @module
 */
import { createHash } from "node:crypto";
import { Kvm } from "npm:@nats-io/kv@^3.4.0";
import { openBucket } from "../nats/bucket.ts";
import { openNats, replicasFor } from "../nats/connection.ts";
import { retryTransient } from "../nats/transient.ts";

/** The bucket of claimed ticks. */
export const TICK_BUCKET = "sluice_ticks";

/**
 * Claims the run of pipeline `name` scheduled at `tick`; true for exactly one caller across the cluster.
 *
 * @example
 * ```ts ignore
 * if (await claimTick("nats://127.0.0.1:4222", "rss2imap", scheduledAt)) await runOnce();
 * ```
 */
export async function claimTick(nats: string, name: string, tick: Date, holder = "sluice"): Promise<boolean> {
  const link = await openNats(nats);
  try {
    const kv = await openBucket(new Kvm(link.nc), TICK_BUCKET, {
      history: 1,
      replicas: replicasFor(nats),
      ttl: 24 * 3600 * 1000,
    });
    const key = `t.${createHash("sha256").update(name).digest("hex").slice(0, 24)}.${tick.getTime()}`;
    try {
      await retryTransient(() => kv.create(key, JSON.stringify({ holder, at: new Date().toISOString() })));
      return true;
    } catch (e) {
      if (/wrong last sequence/i.test((e as Error).message)) return false;
      throw e;
    }
  } finally {
    await link.release();
  }
}
