/**
 * The entry of a worker the main thread starts for a heap-limited thread (`ParentStartedWorker` in
 * `heap_limited_thread.ts`): it points the worker scope's `postMessage` and `onmessage` at the port to
 * that thread, then runs the real entry module (the worker pool's `pool_worker.ts`), which uses them as
 * in any worker.
 *
 * @example Not run here: the main thread starts it (`tests/heap_limited_thread_test.ts`).
 * ```ts ignore
 * new Worker(new URL("./ported_worker_entry.ts", import.meta.url), { workerData: { ... } });
 * ```
 * @module
 */
import { portedWorkerData } from "./heap_limited_thread.ts";

const ported = portedWorkerData();
if (ported) {
  const { port, entry } = ported;
  const scope = globalThis as unknown as Record<string, unknown>;
  let handler: ((e: MessageEvent) => void) | null = null;
  scope.postMessage = (message: unknown, transfer?: Transferable[]) =>
    // deno-lint-ignore no-explicit-any
    port.postMessage(message, transfer as any);
  Object.defineProperty(globalThis, "onmessage", {
    configurable: true,
    get: () => handler,
    set: (fn: ((e: MessageEvent) => void) | null) => {
      handler = fn;
      port.onmessage = fn as never;
    },
  });
  await import(entry);
}
