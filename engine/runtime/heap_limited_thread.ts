/**
 * Runs a module in a thread of its own whose V8 heap is sized from inside the program, through
 * `resourceLimits` of `node:worker_threads`. Deno honours those limits; Bun (JavaScriptCore) ignores them,
 * so only the Deno adapter offers this (`runtime.runHeapLimited`).
 *
 * Why: V8 grows its young generation to its default maximum (64 MB under Deno 2.9) under any sustained
 * allocation, and a process's own isolate can only be sized on the command line (`--v8-flags`); a
 * thread's isolate can be sized by the program that starts it.
 * @module
 */
import { MessageChannel, parentPort, Worker, workerData } from "node:worker_threads";
import process from "node:process";
import { nodeOnSignal } from "./node_common.ts";
import type { HeapLimits, WorkerHandle } from "./adapter.ts";
import { HANDED_PORT, type HandedWorkerSpec, startHandedWorker } from "./handed_worker.ts";

export type { HeapLimits, WorkerHandle };

/** The marker that {@linkcode heapLimitedThreadArgs} finds in the thread's `workerData`. */
const MARK = "sluice.heapLimitedThread";
/** Thread -> parent: the exit code (the parent ends the process at once, see `exitHeapLimitedThread`). */
const EXIT = "sluice.heapLimitedThread.exit";

/**
 * Inside a thread started by {@linkcode runHeapLimitedThread}: hands the parent the exit code, which
 * ends the process at once, then exits the thread. (Left to end by itself, the thread took 0.4-0.8 s to
 * tear down a run's heap before the parent heard of it.) The thread's output is written synchronously
 * before this is called.
 *
 * @example Not run here: it ends the process.
 * ```ts ignore
 * exitHeapLimitedThread(0);
 * ```
 */
export function exitHeapLimitedThread(code: number): never {
  parentPort?.postMessage({ [EXIT]: code });
  process.exit(code);
}

/**
 * Runs the module `entry` in a new thread with the heap `limits`, handing it `argv` (read there with
 * {@linkcode heapLimitedThreadArgs}); resolves with the exit code the thread ends with (`process.exit(n)`
 * in the thread, or `exitHeapLimitedThread(n)`, which the parent hears of before the thread has ended), 1
 * when it throws. SIGINT and SIGTERM reach the thread's own listeners; while the
 * thread runs, this thread ignores them (they would otherwise end the process before the thread drains).
 * With `handed`, this thread then starts that worker for the thread, which takes it with
 * `takeHandedWorker()` (see `handed_worker.ts`): it boots while the thread loads its modules, and the
 * thread is not held while it starts.
 *
 * @example
 * ```ts
 * const code = await runHeapLimitedThread(new URL("./cli_thread.ts", import.meta.url), ["run", "x.yaml"], {
 *   youngGenerationMb: 8,
 * });
 * ```
 */
export function runHeapLimitedThread(
  entry: URL,
  argv: string[],
  limits: HeapLimits,
  handed?: HandedWorkerSpec,
): Promise<number> {
  const offs = (["SIGINT", "SIGTERM"] as const).map((sig) => nodeOnSignal(sig, () => {}));
  return new Promise<number>((resolve) => {
    let failed = false;
    const channel = handed ? new MessageChannel() : undefined;
    const worker = new Worker(entry, {
      workerData: { [MARK]: true, argv, ...(channel ? { [HANDED_PORT]: channel.port2 } : {}) },
      ...(channel ? { transferList: [channel.port2] } : {}),
      resourceLimits: resourceLimits(limits),
    });
    worker.on("error", (e) => {
      failed = true;
      console.error(e);
    });
    worker.on("message", (m: { [EXIT]?: number }) => {
      if (typeof m?.[EXIT] === "number") resolve(m[EXIT]);
    });
    worker.on("exit", (code) => resolve(failed && code === 0 ? 1 : code));
    if (handed && channel) startHandedWorker(handed, channel.port1, worker);
  }).finally(() => offs.forEach((off) => off()));
}

function resourceLimits(limits: HeapLimits) {
  return {
    maxYoungGenerationSizeMb: limits.youngGenerationMb,
    ...(limits.oldGenerationMb ? { maxOldGenerationSizeMb: limits.oldGenerationMb } : {}),
  };
}

/**
 * Inside a thread started by {@linkcode runHeapLimitedThread}: the arguments it was given; undefined
 * anywhere else.
 *
 * @example
 * ```ts
 * const argv = heapLimitedThreadArgs() ?? process.argv.slice(2);
 * ```
 */
export function heapLimitedThreadArgs(): string[] | undefined {
  const data = workerData as { [MARK]?: boolean; argv?: string[] } | null | undefined;
  return data?.[MARK] ? data.argv : undefined;
}

/**
 * A module worker with a sized V8 heap: a `node:worker_threads` thread with `resourceLimits`, seen through
 * the web `Worker` surface of {@linkcode WorkerHandle} (the entry module keeps using `self.onmessage` and
 * `self.postMessage`, which Deno wires to the thread's port). Deno only: Bun ignores the limits and does
 * not deliver `self.postMessage` of such a thread.
 *
 * @example
 * ```ts
 * const w = new HeapLimitedWorker(new URL("./echo_worker.ts", import.meta.url), { youngGenerationMb: 8 });
 * w.onmessage = (e) => console.log(e.data);
 * w.postMessage("hi");
 * ```
 */
export class HeapLimitedWorker implements WorkerHandle {
  /** Receives what the worker posts, as `event.data`. */
  onmessage: ((e: MessageEvent) => void) | null = null;
  #worker: Worker;
  #errorListeners: ((e: Event) => void)[] = [];
  #closeListeners: ((e: Event) => void)[] = [];

  /** Starts the module `entry` in a thread with the heap `limits`. */
  constructor(entry: URL, limits: HeapLimits) {
    this.#worker = new Worker(entry, { resourceLimits: resourceLimits(limits) });
    this.#worker.on("message", (data: unknown) => this.onmessage?.(new MessageEvent("message", { data })));
    this.#worker.on("error", (error: Error) => {
      const event = new ErrorEvent("error", { error, message: error?.message, cancelable: true });
      for (const l of this.#errorListeners) l(event);
    });
    this.#worker.on("exit", () => {
      for (const l of this.#closeListeners) l(new Event("close"));
    });
  }

  /** `error` (an uncaught error in the worker, an `ErrorEvent`) and `close` (the thread ended). */
  addEventListener(type: "error" | "close", listener: (e: Event) => void): void {
    (type === "error" ? this.#errorListeners : this.#closeListeners).push(listener);
  }

  /** Sends `message`, moving the buffers in `transfer`. */
  postMessage(message: unknown, transfer: Transferable[] = []): void {
    // deno-lint-ignore no-explicit-any
    this.#worker.postMessage(message, transfer as any);
  }

  /** Ends the thread. */
  terminate(): void {
    void this.#worker.terminate();
  }

  /** Lets the thread keep the process alive. */
  ref(): void {
    this.#worker.ref();
  }

  /** Lets the process end while the thread idles. */
  unref(): void {
    this.#worker.unref();
  }
}
