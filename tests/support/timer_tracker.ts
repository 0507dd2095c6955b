/**
 * Counts timers that are still scheduled. Deno's `node:test` shim runs without the leak sanitizers, so
 * tests that must prove "no timer left behind" wrap the global setTimeout/clearTimeout with this.
 * @module
 */

/** A live count of scheduled timers; `restore()` puts the real functions back. */
export interface TimerTracker {
  /** Timers scheduled and neither fired nor cleared. */
  readonly active: number;
  /** Restores the global setTimeout/clearTimeout. */
  restore(): void;
}

/**
 * Starts counting timers created through the global `setTimeout` from now on.
 *
 * @example
 * ```ts
 * import { trackTimers } from "./timer_tracker.ts";
 * const timers = trackTimers();
 * clearTimeout(setTimeout(() => {}, 1000));
 * console.log(timers.active); // 0
 * timers.restore();
 * ```
 */
export function trackTimers(): TimerTracker {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<unknown>();
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = realSet(() => {
      live.delete(id);
      fn(...args);
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: unknown) => {
    live.delete(id);
    realClear(id as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  return {
    get active() {
      return live.size;
    },
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}
