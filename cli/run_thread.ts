/**
 * The thread a pipeline run gets under Deno: `cli/main.ts` starts it with a young generation of a few MB
 * (see `runtime.runHeapLimited`) and runs the same command line in it, so that V8 does not grow the
 * young generation of the process's own thread to 64 MB under a run's allocation rate.
 *
 * @example
 * ```ts
 * import { runtime } from "../engine/runtime/mod.ts";
 * await runtime.runHeapLimited?.(new URL("./run_thread.ts", import.meta.url), ["x.yaml"], {
 *   youngGenerationMb: 8,
 * });
 * ```
 * @module
 */
import { heapLimitedThreadArgs, runtime } from "../engine/runtime/mod.ts";
import { main } from "./main.ts";

runtime.exit(await main(heapLimitedThreadArgs() ?? runtime.args()));
