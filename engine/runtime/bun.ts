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
  nodeScriptCommand,
} from "./node_common.ts";

import { schedSetattrNumber, setThreadSlice } from "./thread_slice.ts";
import { withBunLibc } from "./bun_libc.ts";

// deno-lint-ignore no-explicit-any
const Bun = (globalThis as any).Bun;

/** Sets the calling thread's time slice through the C library's `syscall` (`withBunLibc`). */
async function setBunThreadSlice(sliceNs: number): Promise<boolean> {
  if (schedSetattrNumber() === undefined) return false;
  const taken = await withBunLibc(
    (t) => ({ syscall: { args: [t.i64, t.i64, t.ptr, t.i64], returns: t.i64 } }),
    (libc) => setThreadSlice((nr, a, struct, flags) => Number(libc.syscall(nr, a, struct, flags)), sliceNs),
  ).catch(() => null);
  return taken ?? false;
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
  shortenThreadSlice: setBunThreadSlice,
};
