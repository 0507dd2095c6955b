/**
 * The state store a run shares between its stages (the feed list's back-off, fetch's validators,
 * dedupe, the sinks' delivery records): one store per state location per run, leased and closed by the
 * run (`engine/pipeline/run_state.ts`).
 * @module
 */
import { openRunState, type StageContext } from "../engine/pipeline/mod.ts";
import type { StateStore } from "../engine/state/mod.ts";

/**
 * The run's store at `location` (a `STATE_DIR` path for sqlite, `kv:PATH`, or `memory:`); undefined:
 * the pipeline's `state:` (else `./.sluice`).
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
export function runStore(ctx: StageContext, location?: string): Promise<StateStore> {
  return ctx.openState ? ctx.openState(location) : openRunState(ctx.resources, location);
}
