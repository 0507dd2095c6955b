/**
 * What the process's main thread gives a run's thread under Deno (see `runInHeapLimitedThread` in
 * `cli/main.ts`): its V8 heap sizes, and whether the main thread starts the pool's first worker for it.
 * The main thread decides before the run's modules are loaded, so it reads the budget from the command
 * line or, without `--max-memory`, from a top-level `memory:` line of the pipeline file; the run's own
 * config loader still reads the file as usual.
 *
 * Why: under a small budget (below 192 MiB) a Deno run keeps its pool stages on the event loop
 * (`RunOptions.smallBudgetOnLoop`), so a pool worker started ahead is only booted to be ended (a V8 isolate
 * booted on a busy core, 80-450 ms), and the run's thread can trade some collector time for a smaller heap.
 * @module
 */
import { parseSize } from "../engine/config/size.ts";
import { type Environment, interpolate } from "../engine/config/interpolate.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { LOOP_ONLY_BELOW_BYTES } from "../engine/pipeline/bytes_in_flight.ts";

/** The heap sizes of a run's thread and whether a pool worker is started for it. */
export interface RunThreadLimits {
  /** The thread's V8 young generation, in MB. */
  youngGenerationMb: number;
  /** The most its V8 old generation may hold, in MB (which also sets how soon V8 collects it). */
  oldGenerationMb: number;
  /** Whether the main thread starts the pool's first worker for the run (when the run may use a pool). */
  prestartPoolWorker: boolean;
}

/**
 * The default run thread: an 8 MB young generation (V8 grows a busy thread's to 64 MB), an old generation
 * of at most 512 MB (far above what a run keeps alive, W4 less than 100 MB, and low enough that V8 collects
 * at ~1.4x what was live instead of 4x), and the pool's first worker started ahead.
 */
const DEFAULT_LIMITS: RunThreadLimits = {
  youngGenerationMb: 8,
  oldGenerationMb: 512,
  prestartPoolWorker: true,
};

/**
 * Under a small budget: an old generation of at most 256 MB (V8 then grows it by 1.3x what was live
 * instead of 1.4x; still more than twice what W4 keeps alive), and no pool worker (the run keeps its pool
 * stages on the loop). The young generation stays 8 MB: W3 with a 4 MB one peaked no lower (206 and 193 MB
 * against 205 and 187), and a smaller one promotes items still in flight to the old generation sooner.
 */
const SMALL_BUDGET_LIMITS: RunThreadLimits = {
  youngGenerationMb: 8,
  oldGenerationMb: 256,
  prestartPoolWorker: false,
};

/**
 * The limits of a run's thread for a memory budget of `maxMemory` bytes (undefined: the default budget).
 *
 * @example
 * ```ts
 * import { runThreadLimits } from "./run_thread_limits.ts";
 * runThreadLimits(128 * 1024 * 1024); // { youngGenerationMb: 8, oldGenerationMb: 256, prestartPoolWorker: false }
 * runThreadLimits(undefined).youngGenerationMb; // 8
 * ```
 */
export function runThreadLimits(maxMemory: number | undefined): RunThreadLimits {
  return maxMemory !== undefined && maxMemory < LOOP_ONLY_BELOW_BYTES ? SMALL_BUDGET_LIMITS : DEFAULT_LIMITS;
}

/**
 * The `memory:` of a pipeline file's text, read from its top-level `memory: SIZE` line, with `${VAR}` and
 * `${VAR:-default}` filled from `env` as the config loader fills them (the process environment by default);
 * undefined when there is none, a variable is unset, or it is not a size (a mistake the run's config loader
 * reports).
 *
 * @example
 * ```ts
 * import { declaredMemory } from "./run_thread_limits.ts";
 * declaredMemory("name: x\nmemory: 128MB # small\nstages: []\n"); // 134217728
 * declaredMemory("name: x\nmemory: ${MEM:-64MB}\n", {}); // 67108864
 * declaredMemory("name: x\n"); // undefined
 * ```
 */
export function declaredMemory(
  text: string,
  env: Environment = (name) => runtime.env(name),
): number | undefined {
  const value = /^memory:[ \t]*(["']?)([^"'#\r\n]*?)\1[ \t]*(?:#.*)?$/m.exec(text)?.[2];
  if (!value) return undefined;
  const filled = interpolate(value, env);
  if (filled.unset.length > 0 || filled.malformed.length > 0) return undefined;
  try {
    return parseSize(filled.value);
  } catch {
    return undefined;
  }
}

/**
 * The budget a run of `file` will have: `maxMemory` (`--max-memory`) when given, else the file's
 * `memory:` ({@linkcode declaredMemory}); undefined when neither says, or the file cannot be read (the
 * run reports that itself). `text` is the file's text when the caller has read it already.
 *
 * @example
 * ```ts ignore
 * import { budgetOfRun } from "./run_thread_limits.ts";
 * await budgetOfRun(undefined, "pipelines/rss2imap.yaml"); // undefined: no memory: line
 * ```
 */
export async function budgetOfRun(
  maxMemory: number | undefined,
  file: string,
  text?: string,
): Promise<number | undefined> {
  if (maxMemory !== undefined) return maxMemory;
  if (!/\.ya?ml$/i.test(file)) return undefined;
  try {
    return declaredMemory(text ?? await runtime.readTextFile(file));
  } catch {
    return undefined;
  }
}
