/**
 * Stopping a child process from a test's `after` hook without waiting forever: SIGCONT (a frozen child
 * would not hear anything else), SIGTERM, then SIGKILL if it is still there after a grace period (a
 * worker stuck on a NATS node that is gone must not hang the suite). Signals go by process id through
 * `process.kill`: under Deno, `ChildProcess` takes a child stopped by SIGSTOP for one that exited and
 * sends it nothing more.
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";

/** How long a child gets to exit after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 20_000;
/** How long the hook waits after SIGKILL for the child to be gone. */
const KILL_WAIT_MS = 5_000;
/** A promise that never settles (a pause that only its timer ends). */
const never = new Promise<never>(() => {});

/**
 * Sends `signal` to `pid`; false when there is no such process.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { signalPid } from "./child_stop.ts";
 * signalPid(process.pid, "SIGCONT"); // true: this process is there (and was not stopped)
 * ```
 */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether process `pid` is still there: it takes signals and is not a zombie (exited, not yet reaped; a
 * Deno child that was stopped once is never reaped).
 */
function alive(pid: number): boolean {
  if (!signalPid(pid, 0 as unknown as NodeJS.Signals)) return false;
  try {
    // /proc/PID/stat: "pid (name) S ..."; the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: signals are all there is to go by
  }
}

/** Resolves after `ms`, or when `done` settles first. */
function pause(ms: number, done: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([done.then(() => {}, () => {}), new Promise<void>((r) => timer = setTimeout(r, ms))])
    .finally(() => clearTimeout(timer));
}

/**
 * Resumes, terminates and if need be kills `child`, and resolves once it is gone (every wait bounded:
 * `graceMs` after SIGTERM, 5 s after SIGKILL). `stopped` resolves on the child's `close` event.
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
export async function stopChild(
  child: ChildProcess,
  stopped: Promise<unknown>,
  graceMs = STOP_GRACE_MS,
): Promise<void> {
  const pid = child.pid;
  // Not `stopped` alone: under Deno it resolves when the child is stopped (SIGSTOP), not when it exits.
  if (pid === undefined || !alive(pid)) return;
  signalPid(pid, "SIGCONT");
  signalPid(pid, "SIGTERM");
  for (const limit = Date.now() + graceMs; alive(pid) && Date.now() < limit;) await pause(50, never);
  if (!alive(pid)) return await pause(1_000, stopped); // its `close` event, if it comes
  signalPid(pid, "SIGKILL");
  for (const limit = Date.now() + KILL_WAIT_MS; alive(pid) && Date.now() < limit;) await pause(20, never);
  await pause(1_000, stopped);
}
