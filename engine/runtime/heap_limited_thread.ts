/**
 * Runs a module in a thread of its own whose V8 heap is sized from inside the program, through
 * `resourceLimits` of `node:worker_threads`. Deno honours those limits; Bun (JavaScriptCore) ignores them,
 * so only the Deno adapter offers this (`runtime.runHeapLimited`).
 *
 * Why: V8 grows its young generation to its default maximum (64 MB under Deno 2.9) under any sustained
 * allocation, and a process's own isolate can only be sized on the command line (`--v8-flags`); a
 * thread's isolate can be sized by the program that starts it.
 *
 * The pool workers of a run in such a thread are started by the process's main thread on the run's
 * behalf (`ParentStartedWorker`), and the run talks to each through a `MessagePort` of its own: under
 * Deno 2.9 a worker started from inside a worker waits about 0.5 s before it loads its module and another
 * 0.5 s before it gets its first message (measured: 1.1-1.3 s to a first answer, against 0.4 s started from
 * the main thread), and starting one holds the starting thread for 0.1-0.3 s, which the idle main thread
 * can spare and the run cannot.
 * @module
 */
import { MessageChannel, type MessagePort, parentPort, Worker, workerData } from "node:worker_threads";
import process from "node:process";
import { nodeOnSignal } from "./node_common.ts";
import type { HeapLimits, WorkerHandle } from "./adapter.ts";

export type { HeapLimits, WorkerHandle };

/** The marker that {@linkcode heapLimitedThreadArgs} finds in the thread's `workerData`. */
const MARK = "sluice.heapLimitedThread";
/** Thread -> parent: the exit code (the parent ends the process at once, see `exitHeapLimitedThread`). */
const EXIT = "sluice.heapLimitedThread.exit";
/** Thread -> parent: start a worker for me, talking through this port. */
const START = "sluice.heapLimitedThread.start";
/** Thread -> parent: end the worker I asked for. */
const END = "sluice.heapLimitedThread.end";
/** Parent -> thread: a worker it started had an uncaught error, or ended. */
const EVENT = "sluice.heapLimitedThread.event";
/** In a worker the parent started for a thread: its port and the entry module it runs. */
const PORTED = "sluice.heapLimitedThread.ported";

interface StartRequest {
  id: number;
  entry: string;
  limits: HeapLimits;
  port: MessagePort;
}
interface WorkerEvent {
  id: number;
  type: "error" | "close";
  error?: { name: string; message: string; stack?: string };
}
type ThreadMessage = {
  [EXIT]?: number;
  [START]?: StartRequest;
  [END]?: number;
};

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
 * in the thread), 1 when it throws. SIGINT and SIGTERM reach the thread's own listeners; while the
 * thread runs, this thread ignores them (they would otherwise end the process before the thread drains).
 *
 * @example
 * ```ts
 * const code = await runHeapLimitedThread(new URL("./cli_thread.ts", import.meta.url), ["run", "x.yaml"], {
 *   youngGenerationMb: 8,
 * });
 * ```
 */
export function runHeapLimitedThread(entry: URL, argv: string[], limits: HeapLimits): Promise<number> {
  const offs = (["SIGINT", "SIGTERM"] as const).map((sig) => nodeOnSignal(sig, () => {}));
  const started = new Map<number, Worker>();
  return new Promise<number>((resolve) => {
    let failed = false;
    const worker = new Worker(entry, {
      workerData: { [MARK]: true, argv },
      resourceLimits: resourceLimits(limits),
    });
    const tell = (event: WorkerEvent) => {
      try {
        worker.postMessage({ [EVENT]: event });
      } catch {
        // the thread has ended: nobody to tell
      }
    };
    worker.on("error", (e) => {
      failed = true;
      console.error(e);
    });
    worker.on("message", (m: ThreadMessage) => {
      if (typeof m?.[EXIT] === "number") return resolve(m[EXIT]);
      const start = m?.[START];
      if (start) return started.set(start.id, startPorted(start, tell, () => started.delete(start.id)));
      if (typeof m?.[END] === "number") void started.get(m[END])?.terminate();
    });
    worker.on("exit", (code) => resolve(failed && code === 0 ? 1 : code));
  }).finally(() => {
    offs.forEach((off) => off());
    for (const w of started.values()) void w.terminate();
  });
}

/** Starts the worker a thread asked for; it never keeps the process alive by itself. */
function startPorted(start: StartRequest, tell: (e: WorkerEvent) => void, ended: () => void): Worker {
  const w = new Worker(new URL("./ported_worker_entry.ts", import.meta.url), {
    workerData: { [PORTED]: { port: start.port, entry: start.entry } },
    transferList: [start.port as unknown as ArrayBuffer],
    resourceLimits: resourceLimits(start.limits),
  });
  w.unref();
  w.on("error", (e: Error) =>
    tell({
      id: start.id,
      type: "error",
      error: { name: e?.name ?? "Error", message: e?.message ?? String(e), stack: e?.stack },
    }));
  w.on("exit", () => {
    ended();
    tell({ id: start.id, type: "close" });
  });
  return w;
}

/**
 * In a worker started by {@linkcode ParentStartedWorker}: the port to its thread and the module to run;
 * undefined anywhere else. Read by `ported_worker_entry.ts`.
 *
 * @example
 * ```ts
 * const ported = portedWorkerData();
 * if (ported) console.log(ported.entry);
 * ```
 */
export function portedWorkerData(): { port: MessagePort; entry: string } | undefined {
  const data = workerData as { [PORTED]?: { port: MessagePort; entry: string } } | null | undefined;
  return data?.[PORTED];
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

let nextPortedId = 1;
const portedHandles = new Map<number, ParentStartedWorker>();
let listening = false;

/**
 * A worker with a sized V8 heap that the process's main thread starts on behalf of a thread started by
 * {@linkcode runHeapLimitedThread} (see the module's note on why), seen through the web `Worker` surface
 * of {@linkcode WorkerHandle}: messages go both ways through a `MessagePort` of its own, without passing
 * through the main thread; `terminate()` and the worker's errors and end go through it. Deno only, and
 * only inside such a thread (`heapLimitedThreadArgs()` is defined there).
 *
 * @example
 * ```ts ignore
 * const w = new ParentStartedWorker(new URL("./echo_worker.ts", import.meta.url), { youngGenerationMb: 8 });
 * w.onmessage = (e) => console.log(e.data);
 * w.postMessage("hi");
 * ```
 */
export class ParentStartedWorker implements WorkerHandle {
  /** Receives what the worker posts, as `event.data`. */
  onmessage: ((e: MessageEvent) => void) | null = null;
  readonly #id = nextPortedId++;
  readonly #port: MessagePort;
  #errorListeners: ((e: Event) => void)[] = [];
  #closeListeners: ((e: Event) => void)[] = [];
  #ended = false;

  /** Asks the main thread to start the module `entry` in a thread with the heap `limits`. */
  constructor(entry: URL, limits: HeapLimits) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.on("message", (data: unknown) => this.onmessage?.(new MessageEvent("message", { data })));
    portedHandles.set(this.#id, this);
    listenForEvents();
    const start: StartRequest = { id: this.#id, entry: entry.href, limits, port: port2 };
    parentPort!.postMessage({ [START]: start }, [port2 as unknown as ArrayBuffer]);
  }

  /** `error` (an uncaught error in the worker, an `ErrorEvent`) and `close` (the worker ended). */
  addEventListener(type: "error" | "close", listener: (e: Event) => void): void {
    (type === "error" ? this.#errorListeners : this.#closeListeners).push(listener);
  }

  /** Sends `message`, moving the buffers in `transfer`. */
  postMessage(message: unknown, transfer: Transferable[] = []): void {
    // deno-lint-ignore no-explicit-any
    this.#port.postMessage(message, transfer as any);
  }

  /** Ends the worker. */
  terminate(): void {
    if (this.#ended) return;
    this.#end();
    parentPort!.postMessage({ [END]: this.#id });
  }

  /** Lets the worker's port keep this thread alive (again). */
  ref(): void {
    this.#port.ref?.();
  }

  /** Lets this thread end while the worker idles. */
  unref(): void {
    this.#port.unref?.();
  }

  /** What the main thread said about the worker. */
  handle(event: WorkerEvent): void {
    if (event.type === "error") {
      const error = Object.assign(new Error(event.error?.message), event.error);
      const e = new ErrorEvent("error", { error, message: error.message, cancelable: true });
      for (const l of this.#errorListeners) l(e);
      return;
    }
    const wasEnded = this.#ended;
    this.#end();
    if (!wasEnded) { for (const l of this.#closeListeners) l(new Event("close")); }
  }

  #end(): void {
    this.#ended = true;
    portedHandles.delete(this.#id);
    this.#port.close();
  }
}

/** The thread's one listener for what the main thread says about the workers it started. */
function listenForEvents(): void {
  if (listening) return;
  listening = true;
  parentPort!.on("message", (m: { [EVENT]?: WorkerEvent }) => {
    const event = m?.[EVENT];
    if (event) portedHandles.get(event.id)?.handle(event);
  });
  // The listener alone must not keep the thread alive: a run ends when its work does.
  (parentPort as unknown as { unref?: () => void }).unref?.();
}
