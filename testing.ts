/**
 * What a test of a pipeline or a stage needs: sources and sinks in memory, a way to run one stage on its
 * own, a state store in memory and a clock the test moves by hand. Nothing here mocks the runner: stages
 * run exactly as they do in a pipeline.
 *
 * @example
 * ```ts
 * import { collectInto, fromIterable, MemoryStore, runStage } from "./testing.ts";
 * import { filter, map, pipeline, runPipeline } from "./mod.ts";
 *
 * // One stage on its own.
 * const { outputs } = await runStage(map((s: string) => s.toUpperCase()), ["a", "b"]);
 * console.log(outputs); // ["A", "B"]
 *
 * // A whole pipeline, from memory to memory.
 * const kept: number[] = [];
 * await runPipeline(pipeline(fromIterable([1, 2, 3, 4])).pipe(filter((n: number) => n % 2 === 0)).to(collectInto(kept)));
 * console.log(kept); // [2, 4]
 *
 * // A state store that lives as long as the test.
 * const store = new MemoryStore();
 * await store.close();
 * ```
 * @module
 */
export { fromIterable } from "./engine/pipeline/constructors.ts";
export { collectInto, runStage, type StageRun } from "./engine/pipeline/run_stage.ts";
export { silentLogger } from "./engine/pipeline/logger.ts";
export { DeliveryMarks } from "./engine/state/delivery_marks.ts";
export { MemoryStore } from "./engine/state/memory_store.ts";
export { ManualClock } from "./engine/schedule/clock.ts";
// `cli.ts test`: the cases beside a pipeline, run with its real stages and compared.
export * from "./engine/test_cases/mod.ts";
