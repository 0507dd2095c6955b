/**
 * The messages between {@linkcode WorkerPool} and its worker entry, kept as small arrays because every
 * task pays for their structured clone twice (out and back).
 * @module
 */

/** Main -> worker: run `module`'s `exportName` with `args`, answer with `id`. */
export type TaskMessage = [id: number, module: string, exportName: string, args: unknown[]];

/**
 * Main -> worker: import `module` now, before a task names it (the worker keeps it for the tasks; an
 * import that fails is reported by the first task that names the module). Answered with a
 * {@linkcode PreloadedMessage} once the import succeeded; nothing when it failed.
 */
export interface PreloadMessage {
  preload: string;
}

/**
 * Worker -> main: the worker has imported `preloaded` (a {@linkcode PreloadMessage}'s module) and takes its
 * tasks without delay from now on (`WorkerPool.hasLoaded`).
 */
export interface PreloadedMessage {
  preloaded: string;
}

/** Worker -> main: the task `id` settled. `ok` 1 carries the value, 0 a {@linkcode SerializedError}. */
export type ResultMessage = [id: number, ok: 1 | 0, payload: unknown];

/** Worker -> main: the worker is about to die (closed, exited, or an uncaught error); `reason` says why. */
export interface CrashMessage {
  crash: string;
}

/** An error flattened for postMessage: the class itself cannot cross threads, its fields can. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  hint?: string;
}

/**
 * Flattens anything thrown into a {@linkcode SerializedError}.
 *
 * @param e what was thrown
 * @returns its name, message, stack and (SluiceError's) code and hint
 * @example
 * ```ts
 * import { serializeError } from "./pool_protocol.ts";
 * serializeError(new TypeError("x")).name; // "TypeError"
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const extra = e as Error & { code?: unknown; hint?: unknown };
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      code: typeof extra.code === "string" ? extra.code : undefined,
      hint: typeof extra.hint === "string" ? extra.hint : undefined,
    };
  }
  return { name: "Error", message: String(e) };
}

/**
 * Rebuilds an `Error` on the main thread with the worker's name, message, stack, code and hint.
 *
 * @param s the flattened error
 * @returns an `Error` carrying the same fields
 * @example
 * ```ts
 * import { reviveError } from "./pool_protocol.ts";
 * reviveError({ name: "RangeError", message: "too big" }).name; // "RangeError"
 * ```
 */
export function reviveError(s: SerializedError): Error {
  const e = new Error(s.message) as Error & { code?: string; hint?: string };
  e.name = s.name;
  if (s.stack !== undefined) e.stack = s.stack;
  if (s.code !== undefined) e.code = s.code;
  if (s.hint !== undefined) e.hint = s.hint;
  return e;
}

/**
 * Describes an error for a crash report in one line (`Error: boom`).
 *
 * @param e what was thrown
 * @returns `name: message`
 * @example
 * ```ts
 * import { describeError } from "./pool_protocol.ts";
 * describeError(new Error("boom")); // "Error: boom"
 * ```
 */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
