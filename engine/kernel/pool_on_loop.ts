/**
 * Pool tasks where there are no Workers (Deno Deploy): the task's module is imported here and its export
 * called on the event loop, with the same errors and abort handling as in a worker.
 * @module
 */
import { describeError } from "./pool_protocol.ts";
import { PoolTaskModuleError } from "./pool_errors.ts";
import { unwrapTaskResult } from "./pool_transfer.ts";

let warnedNoWorkers = false;

/**
 * Runs export `name` of `module` on the event loop with `args`, for runtimes without Workers; says so
 * once per process.
 *
 * @example
 * ```ts ignore
 * const doubled = await runOnLoop<number>(new URL("./tasks.ts", import.meta.url).href, "double", [2]);
 * ```
 */
export async function runOnLoop<R>(
  module: string,
  name: string,
  args: unknown[],
  signal?: AbortSignal,
): Promise<R> {
  if (!warnedNoWorkers) {
    warnedNoWorkers = true;
    console.warn("sluice: no Worker here, running pool tasks on the event loop");
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(module);
  } catch (e) {
    const problem = `cannot be imported: ${describeError(e)}`;
    throw new PoolTaskModuleError(module, problem, "check the module URL and that it loads on its own");
  }
  const fn = mod[name];
  if (typeof fn !== "function") {
    throw new PoolTaskModuleError(module, `has no exported function "${name}"`, `export a function ${name}`);
  }
  signal?.throwIfAborted();
  const result = fn(...args);
  if (!signal) return unwrapTaskResult(await result).value as R;
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return unwrapTaskResult(await Promise.race([result, aborted])).value as R;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
