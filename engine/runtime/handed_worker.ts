/**
 * A worker that the process's main thread starts for a run's thread (see `heap_limited_thread.ts`) and
 * hands over on a `MessageChannel`: the run's thread talks to it as to a worker of its own.
 *
 * Why: under Deno, `new Worker(...)` of `node:worker_threads` holds the thread that calls it until the new
 * thread has booted (measured 80-450 ms on 2 busy cores). Started from the run's thread, the pool's first
 * worker held the run there, before its first fetch; the main thread has nothing to do during a run.
 *
 * The worker's side reads its port with {@linkcode handedPort}; the run's thread takes the worker with
 * {@linkcode takeHandedWorker}. An error or the end of the worker is relayed by the main thread to the
 * run's thread, and `terminate()` asks the main thread to end it.
 * @module
 */
import { type MessagePort, parentPort, Worker, workerData } from "node:worker_threads";
import type { HandedWorkerSpec, WorkerHandle } from "./adapter.ts";

export type { HandedWorkerSpec };

/** The key of the worker's port in its `workerData`, and of the run thread's port in the run thread's. */
export const HANDED_PORT = "sluice.handedPort";
/** Main thread -> run's thread: the handed worker had an uncaught error (`message`) or ended. */
const EVENT = "sluice.handedWorker.event";
/** Run's thread -> main thread: end the handed worker. */
const TERMINATE = "sluice.handedWorker.terminate";

/**
 * On the main thread: starts the worker `spec` with `port` (the other end went to `runThread` in its
 * `workerData` under {@linkcode HANDED_PORT}), relays its errors and its end to `runThread`, and ends
 * it when `runThread` asks. It never keeps the process alive.
 *
 * @example Not run here: `runHeapLimitedThread` calls it (`tests/heap_limited_thread_test.ts`).
 * ```ts ignore
 * const { port1, port2 } = new MessageChannel();
 * const run = new Worker(entry, { workerData: { [HANDED_PORT]: port2 }, transferList: [port2] });
 * startHandedWorker(spec, port1, run);
 * ```
 */
export function startHandedWorker(spec: HandedWorkerSpec, port: MessagePort, runThread: Worker): void {
  const relay = (event: { kind: "error" | "close"; message?: string }) => {
    try {
      runThread.postMessage({ [EVENT]: event });
    } catch {
      // The run's thread is gone: nothing to tell.
    }
  };
  let worker: Worker;
  try {
    worker = new Worker(spec.entry, {
      workerData: { [HANDED_PORT]: port },
      transferList: [port],
      resourceLimits: {
        maxYoungGenerationSizeMb: spec.limits.youngGenerationMb,
        ...(spec.limits.oldGenerationMb ? { maxOldGenerationSizeMb: spec.limits.oldGenerationMb } : {}),
      },
    });
  } catch (e) {
    relay({ kind: "error", message: (e as Error)?.message ?? String(e) });
    relay({ kind: "close" });
    return;
  }
  worker.unref();
  worker.on("error", (e: Error) => relay({ kind: "error", message: e?.message ?? String(e) }));
  worker.on("exit", () => relay({ kind: "close" }));
  runThread.on("message", (m: { [TERMINATE]?: boolean }) => {
    if (m?.[TERMINATE]) void worker.terminate();
  });
}

/**
 * In the worker started by {@linkcode startHandedWorker}: the port to the run's thread (post and receive
 * on it instead of `self`); undefined in any other worker.
 *
 * @example
 * ```ts
 * import { handedPort } from "./handed_worker.ts";
 * console.log(handedPort()); // undefined outside a handed worker
 * ```
 */
export function handedPort(): MessagePort | undefined {
  return (workerData as { [HANDED_PORT]?: MessagePort } | null | undefined)?.[HANDED_PORT];
}

let taken = false;

/**
 * In a run's thread: whether the main thread handed it a worker that nobody took yet.
 *
 * @example
 * ```ts
 * import { hasHandedWorker } from "./handed_worker.ts";
 * console.log(hasHandedWorker()); // false outside a run's thread
 * ```
 */
export function hasHandedWorker(): boolean {
  return !taken && handedPort() !== undefined;
}

/**
 * In a run's thread: the worker the main thread started for it (once; undefined after that, or when
 * there is none).
 *
 * @example
 * ```ts
 * import { takeHandedWorker } from "./handed_worker.ts";
 * const worker = takeHandedWorker(); // undefined outside a run's thread
 * worker?.terminate();
 * ```
 */
export function takeHandedWorker(): WorkerHandle | undefined {
  const port = handedPort();
  if (taken || !port || !parentPort) return undefined;
  taken = true;
  return new HandedWorker(port);
}

/** The run thread's side of a handed worker, seen through {@linkcode WorkerHandle}. */
class HandedWorker implements WorkerHandle {
  #port: MessagePort;
  #errorListeners: ((e: Event) => void)[] = [];
  #closeListeners: ((e: Event) => void)[] = [];
  #closed = false;

  constructor(port: MessagePort) {
    this.#port = port;
    parentPort!.on("message", (m: { [EVENT]?: { kind: "error" | "close"; message?: string } }) => {
      const event = m?.[EVENT];
      if (!event || this.#closed) return;
      if (event.kind === "close") {
        this.#closed = true;
        for (const l of this.#closeListeners) l(new Event("close"));
        return;
      }
      const error = new Error(event.message);
      const e = new ErrorEvent("error", { error, message: event.message, cancelable: true });
      for (const l of this.#errorListeners) l(e);
    });
  }

  /** Receives what the worker posts, as `event.data`. (The web `onmessage` of a port: Deno's
   * `on("message")` of `node:worker_threads` took 3x as long for messages with typed arrays.) */
  set onmessage(handler: ((e: MessageEvent) => void) | null) {
    (this.#port as unknown as { onmessage: ((e: MessageEvent) => void) | null }).onmessage = handler;
  }

  get onmessage(): ((e: MessageEvent) => void) | null {
    return (this.#port as unknown as { onmessage: ((e: MessageEvent) => void) | null }).onmessage;
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

  /** Asks the main thread to end the worker. */
  terminate(): void {
    parentPort?.postMessage({ [TERMINATE]: true });
  }

  /** Lets the worker keep the run's thread alive. */
  ref(): void {
    this.#port.ref?.();
  }

  /** Lets the run's thread end while the worker idles. */
  unref(): void {
    this.#port.unref?.();
  }
}
