/**
 * Stopping a child process from a test's `after` hook without waiting forever: SIGTERM, then SIGKILL if
 * it has not exited within a grace period (a worker stuck on a NATS node that is gone must not hang the
 * suite).
 * @module
 */
import type { ChildProcess } from "node:child_process";

/** How long a child gets to exit after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 20_000;

/**
 * Sends SIGTERM to `child` (if it still runs), SIGKILL after `graceMs`, and resolves once it has exited
 * (`stopped` resolves on its `close` event).
 *
 * @example Not run here: it needs a child process.
 * ```ts ignore
 * import { spawn } from "node:child_process";
 * import { stopChild } from "./child_stop.ts";
 * const child = spawn("sleep", ["60"]);
 * const stopped = new Promise((resolve) => child.on("close", resolve));
 * await stopChild(child, stopped);
 * ```
 */
export async function stopChild(child: ChildProcess, stopped: Promise<unknown>, graceMs = STOP_GRACE_MS) {
  if (child.exitCode !== null || child.signalCode !== null) return await stopped;
  child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([stopped, new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await stopped;
}
