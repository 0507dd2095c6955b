/**
 * The Bun adapter: native `Bun.cron` when this Bun has it.
 * @module
 */
import type { CronHandle, RuntimeAdapter } from "./adapter.ts";
import {
  nodeArgs,
  nodeCpuCount,
  nodeEnv,
  nodeEnvObject,
  nodeExit,
  nodeIsTerminal,
  nodeMemoryRss,
  nodeOnMainThread,
  nodeOnSignal,
  nodeReadTextFile,
  nodeScriptCommand,
} from "./node_common.ts";

import { type RawSyscall, schedSetattrNumber, setThreadSlice } from "./thread_slice.ts";
import { setThreadPolicy } from "./thread_policy.ts";
import { withBunLibc } from "./bun_libc.ts";

// deno-lint-ignore no-explicit-any
const Bun = (globalThis as any).Bun;

/**
 * Calls `use` with the C library's `syscall` (`withBunLibc`: opened for the call, closed after), for the
 * scheduler settings of a thread (time slice, policy); null where it cannot be done (not Linux, no glibc).
 */
async function withBunSyscall<T>(use: (syscall: RawSyscall) => T): Promise<T | null> {
  if (schedSetattrNumber() === undefined) return null;
  return await withBunLibc(
    (t) => ({ syscall: { args: [t.i64, t.i64, t.ptr, t.i64], returns: t.i64 } }),
    (libc) => use((nr, a, struct, flags) => Number(libc.syscall(nr, a, struct, flags))),
  ).catch(() => null);
}

/**
 * A full collection that leaves the sweep to JavaScriptCore's incremental sweeper (`fullGC` of `bun:jsc`):
 * it marks as `Bun.gc(true)` does, which then also sweeps the whole heap before it returns; the freed blocks
 * go back within a few hundred ms all the same. Falls back to `Bun.gc(true)`; undefined outside Bun.
 */
function bunCollectionSweepingLater(): (() => void) | undefined {
  if (typeof Bun?.gc !== "function") return undefined;
  let jsc: { fullGC?: () => unknown } | undefined;
  try {
    // A built-in module: Bun's require loads it at once (no top-level await in an adapter every runtime loads).
    // deno-lint-ignore no-explicit-any
    jsc = (import.meta as any).require?.("bun:jsc");
  } catch {
    jsc = undefined;
  }
  const fullGC = jsc?.fullGC;
  return typeof fullGC === "function" ? () => void fullGC() : () => Bun.gc(true);
}

/** The adapter used under Bun 1.x. */
export const bunAdapter: RuntimeAdapter = {
  name: "bun",
  cpuCount: nodeCpuCount(),
  hasWorkers: typeof (globalThis as { Worker?: unknown }).Worker === "function",
  onMainThread: nodeOnMainThread,
  scriptCommand: nodeScriptCommand,
  env: nodeEnv,
  envObject: nodeEnvObject,
  args: nodeArgs,
  readTextFile: nodeReadTextFile,
  onSignal: nodeOnSignal,
  nativeCron(_name, schedule, fn): CronHandle | undefined {
    if (typeof Bun?.cron !== "function") return undefined;
    const job = Bun.cron(schedule, fn);
    return { stop: () => job?.stop?.() };
  },
  nativeCronMissingHint: () =>
    typeof Bun?.cron === "function" ? undefined : "this Bun has no Bun.cron; upgrade Bun to use native cron",
  exit: nodeExit,
  isTerminal: nodeIsTerminal,
  memoryRss: nodeMemoryRss,
  gcHint: typeof Bun?.gc === "function" ? () => Bun.gc(false) : undefined,
  collectNow: typeof Bun?.gc === "function" ? () => Bun.gc(true) : undefined,
  collectSweepingLater: bunCollectionSweepingLater(),
  shortenThreadSlice: async (sliceNs) =>
    (await withBunSyscall((sys) => setThreadSlice(sys, sliceNs))) ?? false,
  setThreadPolicy: async (policy, tid) =>
    (await withBunSyscall((sys) => setThreadPolicy(sys, policy, tid))) ?? false,
};
