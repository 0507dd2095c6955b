/**
 * What a stage is: its item types, where it runs, and how it treats a failing item. Constructors in
 * `constructors.ts`, `placed.ts` and `fan.ts` build stages; `runner.ts` runs them.
 * @module
 */
import type { Channel } from "../kernel/mod.ts";
import type { WorkerPool } from "../kernel/mod.ts";
import type { RunResources } from "./resources.ts";
import type { StateStore } from "../state/store.ts";
import type { Tracer } from "./trace.ts";

/** Where a stage runs: the event loop, the worker pool, a child process, a single owner, or measured. */
export type Placement = "loop" | "pool" | "process" | "owner" | "auto";

/** What a failing item does once its retries are spent. */
export type OnError = "drop" | "dead-letter" | "fail";

/**
 * Retry policy: `attempts` tries in all (1 = no retry), exponential backoff from `backoffMs` up to
 * `maxBackoffMs`, with full jitter unless `jitter` is false. `retryable` picks the errors worth retrying.
 *
 * @example
 * ```ts
 * const retry: RetryPolicy = { attempts: 3, backoffMs: 200, retryable: (e) => !(e instanceof TypeError) };
 * ```
 */
export interface RetryPolicy {
  /** Tries in all, first one included (1 = no retry; values below 1 count as 1). */
  attempts: number;
  /** Delay before the first retry in ms; it doubles for each further retry. */
  backoffMs: number;
  /** Upper bound of the delay in ms (default 30 000). */
  maxBackoffMs?: number;
  /** Randomize each delay between half and all of it (default true); false gives exact delays. */
  jitter?: boolean;
  /** Whether an error is worth retrying (default: every error); false fails the item at once. */
  retryable?: (error: unknown) => boolean;
}

/** A failed item as it is written to a dead-letter file or channel. */
export interface DeadLetter {
  /** Name of the stage the item failed in. */
  stage: string;
  /** The error's message. */
  error: string;
  /** The error's sluice code (`E_STAGE_TIMEOUT`...); undefined for errors that are not a `SluiceError`. */
  code?: string;
  /** A JSON-safe copy of the item: bytes become `{ bytes: length }`, URL credentials are redacted. */
  item: unknown;
  /** When the item failed, as an ISO 8601 timestamp. */
  at: string;
}

/**
 * The options every stage accepts. Unset values take the defaults in {@linkcode STAGE_DEFAULTS}.
 *
 * @example
 * ```ts
 * const o: StageOptions = { name: "fetch", concurrency: 32, retry: { attempts: 3, backoffMs: 500 } };
 * ```
 */
export interface StageOptions {
  /** Unique name in the pipeline (metrics, trace, errors). */
  name?: string;
  /** Where the stage runs (default `loop`; `task` stages default to `pool`). */
  placement?: Placement;
  /** Items processed at once. */
  concurrency?: number;
  /** Capacity of the stage's input channel (backpressure bound). */
  capacity?: number;
  /** Keep output in input order (default true when concurrency is 1, false otherwise). */
  ordered?: boolean;
  /** Per-item time limit in ms (each attempt). */
  timeoutMs?: number;
  /** How failing items are retried (default: no retry). */
  retry?: RetryPolicy;
  /** What a failed item does once retries are spent (default `fail`, or `dead-letter` when `deadLetter` is set). */
  onError?: OnError;
  /** Where dead letters go: a JSONL file path or a channel. */
  deadLetter?: string | Channel<DeadLetter>;
  /**
   * What an item the stage emits weighs in bytes (its body, images or message), counted against the run's
   * memory budget (`maxMemory`) from when it is emitted until the next stage is done with it. Emitting
   * waits while the budget is used up. Unset: the stage's items are not counted.
   */
  // deno-lint-ignore no-explicit-any
  bytesOf?: (item: any) => number;
  /** Item type names for the YAML loader's checks and `plan`. */
  inType?: string;
  /** Output item type name, for the YAML loader's checks and `plan`. */
  outType?: string;
  /** A short description for `plan`. */
  description?: string;
  /**
   * What the stage was built with: its own options after their defaults (no secrets, no data such as
   * feed lists), shown by `plan --json`, so two pipelines that should run alike can be compared.
   */
  settings?: Readonly<Record<string, unknown>>;
  /**
   * A single-owner stage (a mailbox) that stays single-owner on a cluster: each item goes to the one
   * process holding its owner (see {@linkcode OwnedStage}). Ignored in a local run.
   */
  owned?: OwnedStage;
}

/** Stage options after defaults. */
export interface ResolvedStageOptions extends StageOptions {
  /** The given name, or the constructor's name (`map`, `filter`...) when none was given. */
  name: string;
  /** The given placement, or the constructor's default (`loop`; `pool` for `task`). */
  placement: Placement;
  /** Items processed at once: a whole number, at least 1 (default 1). */
  concurrency: number;
  /** Input channel capacity in items (default the larger of 16 and twice the concurrency). */
  capacity: number;
  /** Whether output keeps input order (default true only when concurrency is 1). */
  ordered: boolean;
  /** What a failed item does (default `fail`, or `dead-letter` when `deadLetter` is set). */
  onError: OnError;
}

/** The defaults of {@linkcode StageOptions}. */
export const STAGE_DEFAULTS: { concurrency: number; capacity: number; onError: OnError } = {
  concurrency: 1,
  capacity: 16,
  onError: "fail",
};

/**
 * What a stage's function sees for each item: the run's abort signal, the shared resources, and hooks.
 *
 * @example
 * ```ts
 * const fn = (x: number, ctx: StageContext) => { if (ctx.signal.aborted) throw ctx.signal.reason; return x; };
 * ```
 */
export interface StageContext {
  /** Aborted when the run stops hard (second signal, grace expired, a `fail` error). */
  readonly signal: AbortSignal;
  /** Aborted when sources should stop producing (first signal, time budget). Sources watch this. */
  readonly stopSignal: AbortSignal;
  /** Name of the stage running this item (as in metrics and logs). */
  readonly stage: string;
  /** The placement the stage was configured with (an `auto` stage decides at run time). */
  readonly placement: Placement;
  /** Resources shared by the run's stages (connections, caches), closed when the run ends. */
  readonly resources: RunResources;
  /** The run's worker pool (created on first use unless the run was given one). */
  readonly pool: WorkerPool;
  /** The run's tracer, for extra spans; disabled unless `--trace` was given. */
  readonly tracer: Tracer;
  /** Logs a line through the run's logger. */
  log(level: "info" | "warn" | "error" | "debug", message: string, fields?: Record<string, unknown>): void;
  /** Counts a named event for the stage's metrics (e.g. `notModified`). */
  count(counter: string, n?: number): void;
  /** Dry run: sinks write what they would send into a folder instead of sending it. */
  readonly dryRun?: string;
  /** `"loop"` in the loop-only comparison mode: pool and auto stages stay on the event loop. */
  readonly placementOverride?: "loop";
  /** Records where a stage actually runs (an `auto` stage after measuring), for metrics and `plan`. */
  placed(placement: Placement): void;
  /**
   * The run's state store at `location` (default: the pipeline's `state`, else `./.sluice`), opened once
   * per run under the run's lease (see `run_state.ts`). Set by `runPipeline`; a context made elsewhere
   * may lack it (stages then use `openRunState` themselves).
   */
  readonly openState?: (location?: string) => Promise<StateStore>;
  /** The pipeline's shared state location (`state:` of the pipeline file); undefined when it has none. */
  readonly stateLocation?: string;
}

/** How the runner drives a stage. */
export type StageBody<In, Out> =
  | { kind: "source"; produce: (ctx: StageContext) => AsyncIterable<Out> | Iterable<Out> }
  | {
    kind: "transform";
    /** Results of one item: a value (`one`), none or many (`many`). */
    handle: (item: In, ctx: StageContext) => Promise<Emitted<Out>> | Emitted<Out>;
    open?: (ctx: StageContext) => Promise<void> | void;
    close?: (ctx: StageContext) => Promise<void> | void;
  }
  | {
    kind: "stream";
    /**
     * Reads the whole input, yields the output. `fail` hands the runner an input item that yields
     * nothing because it failed: the stage's `on-error` applies to it as to a transform's item.
     */
    stream: (input: AsyncIterable<In>, ctx: StageContext, fail: ItemFailHook) => AsyncIterable<Out>;
  }
  | { kind: "branch"; branches: Array<Array<Stage<unknown, unknown>>> };

/** How a stream stage reports one failed input item (see `StageBody`). */
export type ItemFailHook = (item: unknown, error: unknown) => Promise<void>;

/** Results of a transform for one item. */
export type Emitted<Out> = { one: Out } | { many: Iterable<Out> | AsyncIterable<Out> } | { none: true };

/**
 * A typed pipeline stage taking `In` items and producing `Out` items. Chaining a stage whose `In` does
 * not accept the previous stage's `Out` is a compile error (see `pipeline.ts`).
 *
 * @example
 * ```ts
 * // Built by hand here; `map((n: number) => n * 2)` of constructors.ts makes the same.
 * const double: Stage<number, number> = {
 *   options: resolveStageOptions({ name: "double" }, "double"),
 *   body: { kind: "transform", handle: (n) => ({ one: n * 2 }) },
 * };
 * ```
 */
export interface Stage<In, Out> {
  /** The stage's options with defaults applied. */
  readonly options: ResolvedStageOptions;
  /** What the runner calls: a source, a per-item transform, a stream or a branch. */
  readonly body: StageBody<In, Out>;
  /** Phantom members: they make `In` contravariant and `Out` covariant for the type checker. */
  readonly __in?: (item: In) => void;
  /** Phantom member for `Out` (always undefined at run time). */
  readonly __out?: () => Out;
}

/**
 * A stage of any item types: what factories return and what a chain stores (the builder checked the
 * types when the chain was made).
 */
// deno-lint-ignore no-explicit-any
export type AnyStage = Stage<any, any> | Stage<never, any>;

/** The marker for "no items" (a source's input, a sink's output). */
export type None = never;

/**
 * Applies defaults to stage options; `fallbackName` names an unnamed stage.
 *
 * @example
 * ```ts
 * resolveStageOptions({ concurrency: 4 }, "map").ordered; // false
 * ```
 */
export function resolveStageOptions(
  options: StageOptions | undefined,
  fallbackName: string,
  placement: Placement = "loop",
): ResolvedStageOptions {
  const o = options ?? {};
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? STAGE_DEFAULTS.concurrency));
  return {
    ...o,
    name: o.name ?? fallbackName,
    placement: o.placement ?? placement,
    concurrency,
    capacity: Math.max(0, Math.floor(o.capacity ?? Math.max(STAGE_DEFAULTS.capacity, concurrency * 2))),
    ordered: o.ordered ?? concurrency === 1,
    onError: o.onError ?? (o.deadLetter ? "dead-letter" : STAGE_DEFAULTS.onError),
  };
}

/**
 * How a single-owner stage's items travel to the process holding their owner.
 *
 * @example
 * ```ts
 * import type { OwnedStage } from "./stage.ts";
 * const owned: OwnedStage<{ box: string; text: string }> = {
 *   ownerOf: (item) => item.box,
 *   keyOf: (item) => item.text,
 *   encode: (item) => new TextEncoder().encode(JSON.stringify(item)),
 *   decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)),
 * };
 * console.log(owned.ownerOf({ box: "imap://me@mail", text: "hi" })); // "imap://me@mail"
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface OwnedStage<In = any> {
  /** The owner an item goes to (no credentials: it names a lease and a subject). */
  ownerOf(item: In): string;
  /** The item's identity: the same item handed on twice has the same key. */
  keyOf(item: In): string;
  /** The item as bytes, with what the holder needs to finish it (read from `ctx` where it was made). */
  encode(item: In, ctx: StageContext): Promise<Uint8Array> | Uint8Array;
  /** Back to an item on the holder; `ctx` is the holder's run (it may register there what encode carried). */
  decode(bytes: Uint8Array, ctx: StageContext): Promise<In> | In;
  /**
   * Whether the item was finished before (by an earlier holder that died before acknowledging it): such an
   * item is not run again. Default: never.
   */
  done?(item: In, ctx: StageContext): Promise<boolean>;
}
