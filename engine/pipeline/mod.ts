/**
 * The pipeline engine: typed stages, the builder, the runner and what it measures.
 * @module
 */
export * from "./stage.ts";
export * from "./constructors.ts";
export * from "./placed.ts";
export * from "./module_function.ts";
export * from "./fan.ts";
export * from "./pipeline.ts";
export * from "./runner.ts";
export { describeItem } from "./describe_item.ts";
export * from "./metrics.ts";
export * from "./resources.ts";
export * from "./write_fence.ts";
export { BytesInFlight, DEFAULT_MEMORY_BUDGET, LOOP_ONLY_BELOW_BYTES } from "./bytes_in_flight.ts";
export { DEFAULT_STATE, openRunState, provideRunState, type RunStateOptions } from "./run_state.ts";
export * from "./trace.ts";
export * from "./logger.ts";
export { StageTimeoutError, withRetry } from "./retry.ts";
export { deadLetterOf, writeDeadLetter } from "./dead_letter.ts";
export * from "./with_options.ts";
