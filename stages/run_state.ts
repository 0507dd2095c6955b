/**
 * The state store a run shares between its stages (the feed list's back-off, fetch's validators,
 * dedupe, the sinks' delivery records): one store per state location per run, closed when the run ends.
 * @module
 */
import { openStore, type StateStore } from "../engine/state/mod.ts";
import type { StageContext } from "../engine/pipeline/mod.ts";

/**
 * The run's store at `location` (a `STATE_DIR` path for sqlite, `kv:PATH`, or `memory:`).
 *
 * @example
 * ```ts
 * import { sink } from "../engine/pipeline/mod.ts";
 * import { runStage } from "../engine/pipeline/run_stage.ts";
 * await runStage(sink(async (_item: number, ctx) => {
 *   const store = await runStore(ctx, "memory:"); // every stage of the run gets this same store
 *   console.log(await store.deliveredCount()); // 0
 * }), [1]);
 * ```
 */
export function runStore(ctx: StageContext, location: string): Promise<StateStore> {
  // WAL with synchronous=NORMAL: a crash of sluice (kill -9, OOM) loses no commit, so the "sending"
  // marks written before each batch let the next run settle what the crash left in doubt. Only a power
  // cut can roll back the last commits, marks included (those entries would be delivered once more).
  // FULL costs an fsync per commit on the event loop: measured ~380 against ~50,000 single records a
  // second; the marks add one commit per batch (~0.04 ms with NORMAL, ~0.35 ms with FULL).
  // SQLite's automatic checkpoint (every 1000 WAL pages) runs inside a commit, on the event loop: in W3 it
  // made the slowest commits 5-11 ms (1-2 ms without). Up to 16384 pages (64 MB) wait for the close.
  return ctx.resources.shared(
    `state:${location}`,
    () => openStore(location, { durability: "normal", walCheckpointPages: 16_384 }),
    async (s) => (await s).close(),
  );
}
