/**
 * Running one stage on its own, for tests of a stage: feed it items from memory and keep what it emits.
 * The stage runs under the real runner (placement, retries, `on-error`, metrics), not a mock of it.
 * @module
 */
import { fromIterable, sink } from "./constructors.ts";
import { pipeline } from "./pipeline.ts";
import { type RunOptions, runPipeline, type RunSummary } from "./runner.ts";
import type { Stage, StageOptions } from "./stage.ts";
import { silentLogger } from "./logger.ts";

/**
 * A sink that appends every item it receives to `items`, in arrival order.
 *
 * @param items the array to fill
 * @param options stage options (name defaults to `collect`)
 * @returns the sink stage
 * @example
 * ```ts
 * import { fromIterable } from "./constructors.ts";
 * import { pipeline } from "./pipeline.ts";
 * import { runPipeline } from "./runner.ts";
 * import { silentLogger } from "./logger.ts";
 * const seen: string[] = [];
 * await runPipeline(pipeline(fromIterable(["a", "b"])).to(collectInto(seen)), { logger: silentLogger });
 * console.log(seen); // ["a", "b"]
 * ```
 */
export function collectInto<T>(items: T[], options?: StageOptions): Stage<T, never> {
  return sink((item: T) => {
    items.push(item);
  }, { name: "collect", ...options });
}

/** What {@linkcode runStage} returns. */
export interface StageRun<Out> {
  /** What the stage emitted, in arrival order (empty for a sink). */
  outputs: Out[];
  /** The run's summary: `ok`, the items that failed for good, metrics. */
  summary: RunSummary;
}

/**
 * Runs `stage` over `inputs` and returns what it emitted with the run's summary. Logs are silent unless
 * `options.logger` says otherwise.
 *
 * @param stage the stage under test (a transform or a sink)
 * @param inputs the items to feed it
 * @param options run options (signal, pool, resources, logger...)
 * @returns the outputs and the summary
 * @example
 * ```ts
 * import { map } from "./constructors.ts";
 * const { outputs, summary } = await runStage(map((n: number) => n * 2), [1, 2, 3]);
 * console.log(outputs, summary.ok); // [2, 4, 6] true
 * ```
 */
export async function runStage<In, Out>(
  stage: Stage<In, Out>,
  inputs: Iterable<In> | AsyncIterable<In>,
  options: RunOptions = {},
): Promise<StageRun<Out>> {
  const outputs: Out[] = [];
  const summary = await runPipeline(
    pipeline(fromIterable(inputs)).pipe(stage).to(collectInto(outputs)),
    { logger: silentLogger, ...options },
  );
  return { outputs, summary };
}
