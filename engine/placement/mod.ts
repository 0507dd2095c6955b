/**
 * The scheduler: where stages run. The event-loop lag monitor measures what placement is for; the `auto`
 * placement measures a stage's first items and moves it to the worker pool past a threshold.
 * @module
 */
export * from "./loop_lag.ts";
export { threadCpuWaitReader } from "./cpu_wait.ts";
export * from "./auto_placement.ts";
export { yieldWhenBusy } from "./loop_slice.ts";
export { type GcHintOptions, startGcHints } from "./gc_hints.ts";
export { collectionPace, type CollectionPaceOptions } from "./collection_pace.ts";
