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
 * ```ts ignore
 * const store = await runStore(ctx, "./.sluice");
 * ```
 */
export function runStore(ctx: StageContext, location: string): Promise<StateStore> {
  return ctx.resources.shared(`state:${location}`, () => openStore(location), async (s) => (await s).close());
}
