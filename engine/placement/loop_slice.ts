/**
 * Cooperative yielding for work done on the event loop. Items handed from stage to stage travel by
 * promise callbacks (microtasks), so a burst of them (W3: ~240 entries from the first feeds at once) runs
 * back to back in one task of the event loop and holds timers and I/O for 100 ms and more.
 * `yieldWhenBusy` lets work continue while the current task is younger than a budget and otherwise waits
 * for a later task. The runner calls it before each item of every transform stage; a stage that does
 * more than a millisecond of CPU work per item on the loop calls it between the pieces too.
 * @module
 */
import { setImmediate } from "node:timers";

/** When the current event-loop task started doing yielding work; undefined outside such a task. */
let sliceStart: number | undefined;

function endSlice(): void {
  sliceStart = undefined;
}

/**
 * Nothing to wait for (undefined) while the current event-loop task has run for less than `budgetMs` of
 * yielding work; past it, a promise that resolves on a later task (after timers and I/O had their turn). Call it before each piece of CPU work
 * of about a millisecond.
 *
 * @example
 * ```ts
 * import { yieldWhenBusy } from "./loop_slice.ts";
 * for (const html of ["<p>a</p>", "<p>b</p>"]) {
 *   await yieldWhenBusy();
 *   html.toUpperCase(); // the CPU work
 * }
 * ```
 */
export function yieldWhenBusy(budgetMs = 6): Promise<void> | undefined {
  // Within the slice it allocates nothing (no promise): the runner calls it once per item and stage.
  return sliceIsOver(budgetMs) ? waitForNextSlice(budgetMs) : undefined;
}

/** Whether the current slice has used its budget; starts a slice when none is running. */
function sliceIsOver(budgetMs: number): boolean {
  const now = performance.now();
  if (sliceStart === undefined) {
    sliceStart = now;
    // Runs once the current task and its microtasks are over: the next caller starts a new slice.
    setImmediate(endSlice);
    return false;
  }
  return now - sliceStart >= budgetMs;
}

async function waitForNextSlice(budgetMs: number): Promise<void> {
  do await new Promise<void>((resolve) => setImmediate(resolve)); while (sliceIsOver(budgetMs));
}
