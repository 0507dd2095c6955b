/**
 * The entry module of every {@linkcode WorkerPool} worker: imports task modules on demand or when the
 * pool asks it to preload them (once per module), runs one task at a time, posts the result (moving buffers, see `pool_transfer.ts`) or the
 * flattened error, and tells the pool before the worker dies so a crashed task never hangs.
 *
 * Not imported by user code; `worker_pool.ts` starts it with `new Worker(new URL("./pool_worker.ts",
 * import.meta.url), { type: "module" })`.
 *
 * @example Not run here: the worker entry, which `WorkerPool` starts (`tests/kernel_pool_test.ts`).
 * ```ts ignore
 * const w = new Worker(new URL("./pool_worker.ts", import.meta.url), { type: "module" });
 * w.postMessage([1, "file:///tasks.ts", "double", [21]]); // answers [1, 1, 42]
 * ```
 * @module
 */
// Bun gives a Worker no bunfig preload: the npm: plugin must be loaded here, before any task module is
// imported (task modules are then loaded with dynamic import(), which the plugin sees).
import "../runtime/bun_npm_plugin.ts";
import process from "node:process";
import { SluiceError } from "../errors.ts";
import { PoolTaskModuleError } from "./pool_errors.ts";
import {
  describeError,
  type PreloadedMessage,
  type PreloadMessage,
  type ResultMessage,
  serializeError,
  type TaskMessage,
} from "./pool_protocol.ts";
import { unwrapTaskResult } from "./pool_transfer.ts";
import { handedPort } from "../runtime/handed_worker.ts";
import { lowerThreadPriority } from "../runtime/thread_priority.ts";

/** The parts of a dedicated worker's global scope this entry uses. */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close?: () => void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}

type TaskModule = Record<string, unknown>;

// CPU-bound tasks run here; the event loop's thread must not wait for a core behind them (Linux: this
// thread's nice value goes up by 10, see thread_priority.ts; elsewhere nothing changes). Tasks do not wait for it.
lowerThreadPriority();

const workerScope = globalThis as unknown as WorkerScope;
// A worker the main thread started for a run's thread talks to that thread on its port (handed_worker.ts);
// errors and the end of the worker still go through its own scope, which the main thread relays.
const port = handedPort();
const scope: Pick<WorkerScope, "postMessage" | "onmessage"> = port
  ? port as unknown as Pick<WorkerScope, "postMessage" | "onmessage">
  : workerScope;
const loaded = new Map<string, TaskModule>();
/** Imports started and not finished (a preload, or a task that came first): each module is imported once. */
const loading = new Map<string, Promise<TaskModule>>();

function importOnce(module: string): Promise<TaskModule> {
  const done = loaded.get(module);
  if (done) return Promise.resolve(done);
  let p = loading.get(module);
  if (!p) {
    p = import(module).then((m: TaskModule) => {
      loaded.set(module, m);
      return m;
    });
    p.finally(() => loading.delete(module)).catch(() => {});
    loading.set(module, p);
  }
  return p;
}

scope.onmessage = (e: MessageEvent) => {
  if (!Array.isArray(e.data)) {
    const { preload } = e.data as PreloadMessage;
    // The pool hears when the module is in: until then its stages may keep their items (`hasLoaded`).
    if (typeof preload === "string") {
      importOnce(preload).then(
        () => scope.postMessage({ preloaded: preload } satisfies PreloadedMessage),
        () => {},
      );
    }
    return;
  }
  const [id, module, name, args] = e.data as TaskMessage;
  const mod = loaded.get(module);
  if (mod) return callExport(id, module, mod, name, args);
  importOnce(module).then(
    (m) => callExport(id, module, m, name, args),
    (err) => {
      const problem = `cannot be imported: ${describeError(err)}`;
      replyError(
        id,
        new PoolTaskModuleError(module, problem, "check the module URL and that it loads on its own"),
      );
    },
  );
};

function callExport(id: number, module: string, mod: TaskModule, name: string, args: unknown[]): void {
  const fn = mod[name];
  if (typeof fn !== "function") {
    const exports = Object.keys(mod).filter((k) => typeof mod[k] === "function").join(", ") || "none";
    const hint = `export a function named ${name} (exported functions: ${exports})`;
    return replyError(id, new PoolTaskModuleError(module, `has no exported function "${name}"`, hint));
  }
  let out: unknown;
  try {
    out = fn(...args);
  } catch (err) {
    return replyError(id, err);
  }
  if (out !== null && typeof (out as PromiseLike<unknown>)?.then === "function") {
    (out as PromiseLike<unknown>).then((v) => replyValue(id, module, name, v), (err) => replyError(id, err));
  } else replyValue(id, module, name, out);
}

function replyValue(id: number, module: string, name: string, result: unknown): void {
  const { value, transfer } = unwrapTaskResult(result);
  try {
    scope.postMessage([id, 1, value] satisfies ResultMessage, transfer);
  } catch (err) {
    replyError(
      id,
      new SluiceError(
        "E_POOL_RESULT_CLONE",
        `the result of pool task ${module}#${name} cannot be sent to the main thread: ${describeError(err)}`,
        "return plain data (objects, arrays, strings, numbers, typed arrays), not functions or class instances",
      ),
    );
  }
}

function replyError(id: number, err: unknown): void {
  scope.postMessage([id, 0, serializeError(err)] satisfies ResultMessage);
}

// Everything below exists so that a dying worker says so: otherwise the pool would wait for its task's
// answer forever (Deno reports neither self.close() nor an exit to the parent).
let reported = false;
function reportCrash(reason: string): void {
  if (reported) return;
  reported = true;
  scope.postMessage({ crash: reason });
}

workerScope.addEventListener("error", (e) => {
  e.preventDefault();
  const ev = e as ErrorEvent;
  reportCrash(`uncaught ${describeError(ev.error ?? ev.message)}`);
});
workerScope.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  reportCrash(`unhandled rejection ${describeError((e as PromiseRejectionEvent).reason)}`);
});
workerScope.addEventListener("unload", () => reportCrash("the worker exited"));
process.on("exit", (code) => reportCrash(`the worker exited with code ${code}`));
if (typeof workerScope.close === "function") {
  const close = workerScope.close.bind(workerScope);
  workerScope.close = () => {
    reportCrash("the task called self.close()");
    close();
  };
}
