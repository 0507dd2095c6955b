/**
 * The result of loading a pipeline file: plain data, validated, with defaults applied and the position
 * of every stage, ready for the pipeline engine to build and run.
 * @module
 */
import type { StageCatalogEntry } from "./catalog.ts";
import type { Position } from "./position.ts";
import type { Placement } from "../pipeline/stage.ts";

// One definition of where a stage runs, shared with the engine.
export type { Placement };

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
  /** Tries in total, including the first (integer >= 1). */
  attempts: number;
  /** Wait before the first retry in milliseconds (default 500), doubled after each retry. */
  backoff: number;
  /** The longest wait between tries in milliseconds; undefined: the engine's cap (30 s). */
  maxBackoff?: number;
  /** Randomize waits so retries of many items do not arrive together; only `false` turns jitter off. */
  jitter?: boolean;
  /** Error codes or names worth a retry; undefined: every error is retried. */
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
  /** The catalog entry `use` resolved to (built-in or loaded module): types, option schema, description. */
  entry: StageCatalogEntry;
  /** The stage's options, validated, defaults applied. */
  with: Record<string, unknown>;
  /** Where the stage runs; undefined: the stage's own default placement. */
  placement?: Placement;
  /** Items processed at the same time (integer >= 1); undefined: the stage's default (usually 1). */
  concurrency?: number;
  /** Items buffered between this stage and the next (>= 0); undefined: 16 or twice the concurrency. */
  capacity?: number;
  /** Keep input order in the output; undefined: ordered only when concurrency is 1. */
  ordered?: boolean;
  /** The most one item may take, in milliseconds; undefined: no per-item time limit. */
  timeout?: number;
  /** Retry settings for failed items; undefined: a failed item is not retried. */
  retry?: RetrySpec;
  /** What to do with an item that still fails; undefined: `dead-letter` given `deadLetter`, else `fail`. */
  onError?: ErrorPolicy;
  /** Absolute path of the JSONL file receiving failed items (written relative to the pipeline file). */
  deadLetter?: string;
  /** On a cluster (`--nats`), each item entering this stage is a unit of work for any worker. */
  distribute?: boolean;
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
  /** The pipeline file it was loaded from, as given to the loader. */
  file: string;
  /** The pipeline's name: `name:` in the file, else the file name without extension. */
  name: string;
  /** What the pipeline does (`description:`); undefined when the file has none. */
  description?: string;
  /** A 5-field cron expression (already checked to parse); undefined: the pipeline runs only on demand. */
  schedule?: string;
  /** The most one run may take, in milliseconds; undefined: no time budget. */
  budget?: number;
  /** The worker pool's settings (`pool: { size: 2 }`); undefined: the run's default pool. */
  pool?: { size?: number };
  /** `HOST:PORT` to serve Prometheus metrics and `/healthz` on while the pipeline runs; undefined: none. */
  metrics?: string;
  /** The state the stages share (`state:`, already checked to parse); undefined: none declared. */
  state?: string;
  /** `cluster: { nats: URL }`: the NATS server(s) a `run` submits to; undefined: a local run. */
  cluster?: { nats?: string };
  /** The stages in file order; each one's output feeds the next. */
  stages: StageSpec[];
}
