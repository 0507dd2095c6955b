/**
 * The result of loading a pipeline file: plain data, validated, with defaults applied and the position
 * of every stage, ready for the pipeline engine to build and run.
 * @module
 */
import type { StageCatalogEntry } from "./catalog.ts";
import type { Position } from "./position.ts";

/**
 * Where a stage runs: on the event loop, in the worker pool, in a child process, inside an owner actor,
 * or wherever the scheduler decides.
 *
 * @example
 * ```ts
 * const p: Placement = "pool";
 * ```
 */
export type Placement = "loop" | "pool" | "process" | "owner" | "auto";

/**
 * What happens to an item whose stage failed (after retries).
 *
 * @example
 * ```ts
 * const policy: ErrorPolicy = "dead-letter";
 * ```
 */
export type ErrorPolicy = "drop" | "dead-letter" | "fail";

/**
 * Retry settings of a stage, durations in milliseconds. `on` lists error codes or names to retry
 * (all errors when absent).
 *
 * @example
 * ```ts
 * const retry: RetrySpec = { attempts: 3, backoff: 500, maxBackoff: 10_000, jitter: true };
 * ```
 */
export interface RetrySpec {
  attempts: number;
  backoff: number;
  maxBackoff?: number;
  jitter?: boolean;
  on?: string[];
}

/**
 * One stage of a loaded pipeline. Durations are milliseconds; `deadLetter` is an absolute path
 * (written relative to the pipeline file).
 *
 * @example
 * ```ts
 * // { use: "fetch", id: "fetch", entry, with: { timeout: 30000 }, concurrency: 32,
 * //   pos: { file: "pipelines/x.yaml", line: 9, column: 5 } }
 * ```
 */
export interface StageSpec {
  /** As written: a built-in name or a module specifier (`./my-stage.ts#shout`). */
  use: string;
  /** Unique in the pipeline: as written, else `use` (`use-N`, N the 1-based stage number, when repeated). */
  id: string;
  entry: StageCatalogEntry;
  /** The stage's options, validated, defaults applied. */
  with: Record<string, unknown>;
  placement?: Placement;
  concurrency?: number;
  capacity?: number;
  ordered?: boolean;
  timeout?: number;
  retry?: RetrySpec;
  onError?: ErrorPolicy;
  deadLetter?: string;
  /** Position of the `- use:` item. */
  pos: Position;
}

/**
 * A loaded pipeline. `name` defaults to the file name without extension; `budget` is milliseconds.
 *
 * @example
 * ```ts
 * // const spec: PipelineSpec = await loadPipelineConfig("pipelines/rss2imap.yaml", { catalog });
 * ```
 */
export interface PipelineSpec {
  file: string;
  name: string;
  description?: string;
  schedule?: string;
  budget?: number;
  stages: StageSpec[];
}
