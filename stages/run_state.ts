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
 * ```ts ignore
 * const store = await runStore(ctx, "./.sluice");
 * ```
 */
export function runStore(ctx: StageContext, location?: string): Promise<StateStore> {
  return ctx.openState ? ctx.openState(location) : openRunState(ctx.resources, location);
}
