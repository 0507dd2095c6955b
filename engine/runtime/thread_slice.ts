/**
 * Asks Linux for short time slices on the calling thread, so that the event loop's thread gets a core soon
 * after it wakes (a timer, a socket ready) instead of waiting for a busy thread's slice to end. Since 6.12
 * the kernel's fair scheduler (EEVDF) takes a slice per thread (`sched_attr.sched_runtime` of
 * `sched_setattr(2)`, 0.1-100 ms, no privilege needed): a thread with a shorter slice gets an earlier
 * deadline when it wakes and so preempts threads with the default slice (1.4 ms here), in its own process
 * and, through its process group's entity, in others; its share of the CPU stays the same. The system call
 * needs a foreign-function interface, which differs by runtime: the adapters (`deno.ts`, `bun.ts`) open it
 * and hand it to {@linkcode setThreadSlice}. Where anything is missing (not Linux x86-64 or arm64, an
 * older kernel, which ignores the slice, Deno without `--allow-ffi`) nothing changes and nothing is reported.
 * @module
 */
import process from "node:process";
import { niceInStat } from "./thread_nice.ts";
import { readFileSyncOnUse } from "./node_fs_on_use.ts";

/** The slice the CLI's run asks for on its event loop's thread: the kernel's smallest, 0.1 ms. */
export const LOOP_THREAD_SLICE_NS = 100_000;

/** A raw `syscall(nr, a, b, c)` of the C library, as a runtime's FFI opens it. */
export type RawSyscall = (nr: number, a: number, struct: Uint8Array, flags: number) => number;

/** `sched_setattr` by architecture (x86-64's own table; arm64 uses the generic one). */
const SCHED_SETATTR: Record<string, number> = { x64: 314, arm64: 274 };
/** `sizeof(struct sched_attr)` in its first version (SCHED_ATTR_SIZE_VER0), which every kernel takes. */
const SCHED_ATTR_SIZE = 48;

/**
 * The `sched_setattr` system call number on this machine, or undefined where sluice does not know it (not
 * Linux, or another architecture): the adapters open no FFI then.
 *
 * @returns the number
 * @example
 * ```ts
 * import { schedSetattrNumber } from "./thread_slice.ts";
 * console.log(schedSetattrNumber()); // 314 on Linux x86-64
 * ```
 */
export function schedSetattrNumber(): number | undefined {
  return process.platform === "linux" ? SCHED_SETATTR[process.arch] : undefined;
}

/**
 * The slice the calling thread runs with, in ns, from `/proc/thread-self/sched` (`se.slice`; kernels built
 * with scheduler debugging, as most distributions' are); undefined where it cannot be read.
 *
 * @returns the slice in ns
 * @example
 * ```ts
 * import { threadSliceNs } from "./thread_slice.ts";
 * console.log(threadSliceNs()); // e.g. 1400000 for a thread nobody changed
 * ```
 */
export function threadSliceNs(): number | undefined {
  try {
    const line = readFileSyncOnUse("/proc/thread-self/sched", "utf8").split("\n").find((l) =>
      l.startsWith("se.slice")
    );
    const ns = Number(line?.split(":")[1]);
    return line && Number.isFinite(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's time slice to `sliceNs` through `syscall` (the adapter's FFI), keeping its
 * scheduling policy (normal) and its nice value. Returns true when the kernel took it: the slice reads back
 * as asked where `/proc/thread-self/sched` says it, else the call succeeded. Never throws.
 *
 * @param syscall the C library's `syscall`
 * @param sliceNs the slice in ns (the kernel accepts 100,000 to 100,000,000)
 * @returns whether the thread now runs with that slice
 * @example
 * ```ts ignore
 * import { LOOP_THREAD_SLICE_NS, setThreadSlice } from "./thread_slice.ts";
 * setThreadSlice(libcSyscall, LOOP_THREAD_SLICE_NS); // libcSyscall: opened by the runtime's adapter
 * ```
 */
export function setThreadSlice(syscall: RawSyscall, sliceNs: number): boolean {
  const nr = schedSetattrNumber();
  const nice = niceInStat("/proc/thread-self/stat");
  if (nr === undefined || nice === undefined) return false;
  const attr = new Uint8Array(SCHED_ATTR_SIZE);
  const view = new DataView(attr.buffer);
  view.setUint32(0, SCHED_ATTR_SIZE, true); // size
  view.setUint32(4, 0, true); // policy: SCHED_OTHER
  view.setBigUint64(8, 0n, true); // flags
  view.setInt32(16, nice, true); // the thread's own nice value: lowering it would need privilege
  view.setBigUint64(24, BigInt(Math.round(sliceNs)), true); // sched_runtime: the slice
  try {
    if (syscall(nr, 0, attr, 0) !== 0) return false;
  } catch {
    return false;
  }
  const now = threadSliceNs();
  return now === undefined || now === Math.round(sliceNs);
}
