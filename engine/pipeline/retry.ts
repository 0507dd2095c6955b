/**
 * Per-item time limits and retries with exponential backoff and full jitter.
 * @module
 */
import { runStopperIn, SluiceError } from "../errors.ts";
import { permissionProblem } from "../permission_error.ts";
import type { RetryPolicy } from "./stage.ts";
import { backoffDelay, sleep } from "../kernel/backoff.ts";

/**
 * An item took longer than the stage's `timeout`.
 *
 * @example
 * ```ts
 * const error = new StageTimeoutError("fetch", 30000);
 * console.log(error.message); // stage `fetch`: item timed out after 30000 ms
 * ```
 */
export class StageTimeoutError extends SluiceError {
  /** `stage` is the stage's name; `ms` the time limit that was exceeded, in ms. */
  constructor(stage: string, ms: number) {
    super(
      "E_STAGE_TIMEOUT",
      `stage \`${stage}\`: item timed out after ${ms} ms`,
      "raise the stage's `timeout` or lower its load",
    );
  }
}

/**
 * Runs `fn` with a per-attempt time limit and the retry policy. `fn` gets a signal that aborts on the
 * run's signal or the attempt's timeout. `onRetry` is told of every retry.
 *
 * @example
 * ```ts
 * let n = 0;
 * const v = await withRetry(() => { if (++n < 2) throw new Error("flaky"); return n; },
 *   { stage: "s", retry: { attempts: 3, backoffMs: 1 } });
 * console.log(v); // 2
 * ```
 */
export async function withRetry<T>(
  fn: (signal: AbortSignal) => Promise<T> | T,
  opts: {
    stage: string;
    retry?: RetryPolicy;
    timeoutMs?: number;
    signal?: AbortSignal;
    onRetry?: (error: unknown, attempt: number) => void;
  },
): Promise<T> {
  const attempts = Math.max(1, opts.retry?.attempts ?? 1);
  for (let attempt = 1;; attempt++) {
    try {
      return await attemptOnce(fn, opts.stage, opts.timeoutMs, opts.signal);
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      const retryable = opts.retry?.retryable ?? (() => true);
      if (attempt >= attempts || !retryable(error) || permissionProblem(error) || runStopperIn(error)) {
        throw error;
      }
      opts.onRetry?.(error, attempt);
      const policy = opts.retry!;
      await sleep(
        backoffDelay(attempt, {
          baseMs: policy.backoffMs,
          maxMs: policy.maxBackoffMs,
          jitter: policy.jitter,
        }),
        opts.signal,
      );
    }
  }
}

function attemptOnce<T>(
  fn: (signal: AbortSignal) => Promise<T> | T,
  stage: string,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (!timeoutMs) return Promise.resolve().then(() => fn(signal ?? NEVER));
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StageTimeoutError(stage, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  return Promise.race([Promise.resolve().then(() => fn(controller.signal)), timedOut]).finally(() => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  });
}

const NEVER = new AbortController().signal;
