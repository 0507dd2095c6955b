/**
 * The worker side of a batched pool call: one pool task carries many items for one module export, so
 * 100k small items cost a few hundred round trips to the pool, not 100k. Each item settles on its own:
 * one item that throws fails that item only.
 * @module
 */
import { type SerializedError, serializeError } from "../kernel/pool_protocol.ts";

/**
 * What a batch calls: a plain function of the item (`call`), or the per-item `handle` of a transform
 * stage exported by the module (`stage`).
 */
export type BatchMode = "call" | "stage";

/** One item's outcome: `[1, value]` or `[0, error]`. */
export type BatchOutcome = [ok: 1, value: unknown] | [ok: 0, error: SerializedError];

type Handle = (item: unknown) => unknown;

const handles = new Map<string, Promise<Handle>>();

/**
 * Calls `exportName` of `module` on every item (async functions run side by side) and returns each
 * item's outcome in order. A stage's `{ many }` result is collected into an array (it must cross back
 * to the main thread).
 *
 * @example
 * ```ts
 * import { callBatch } from "./pool_batch.ts";
 * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url).href;
 * console.log(await callBatch(tasks, "double", "call", [1, 2])); // [[1, 2], [1, 4]]
 * ```
 */
export async function callBatch(
  module: string,
  exportName: string,
  mode: BatchMode,
  items: unknown[],
): Promise<BatchOutcome[]> {
  const key = `${mode} ${module}#${exportName}`;
  let handle = handles.get(key);
  if (!handle) handles.set(key, handle = loadHandle(module, exportName, mode));
  const fn = await handle;
  const out: (BatchOutcome | Promise<BatchOutcome>)[] = new Array(items.length);
  let pending = false;
  for (let i = 0; i < items.length; i++) {
    try {
      const v = fn(items[i]);
      if (v !== null && typeof (v as PromiseLike<unknown>)?.then === "function") {
        pending = true;
        out[i] = Promise.resolve(v).then(
          (r): BatchOutcome => [1, r],
          (e): BatchOutcome => [0, serializeError(e)],
        );
      } else out[i] = [1, v];
    } catch (e) {
      out[i] = [0, serializeError(e)];
    }
  }
  return pending ? await Promise.all(out) : out as BatchOutcome[];
}

async function loadHandle(module: string, exportName: string, mode: BatchMode): Promise<Handle> {
  const value = (await import(module))[exportName];
  if (mode === "call") {
    if (typeof value !== "function") {
      throw new TypeError(`${module} has no exported function \`${exportName}\``);
    }
    return value as Handle;
  }
  const body = (value as { body?: { kind?: string; handle?: unknown } } | undefined)?.body;
  if (body?.kind !== "transform" || typeof body.handle !== "function") {
    throw new TypeError(`${module}#${exportName} is not a per-item stage (map, filter, flatMap...)`);
  }
  const stageHandle = body.handle as (item: unknown, ctx: unknown) => unknown;
  const ctx = workerContext(exportName);
  return async (item) => {
    const emitted = await stageHandle(item, ctx) as {
      one?: unknown;
      many?: Iterable<unknown> | AsyncIterable<unknown>;
    };
    if (!("many" in emitted)) return emitted;
    const many: unknown[] = [];
    for await (const v of emitted.many!) many.push(v);
    return { many };
  };
}

/**
 * The context a stage's `handle` gets in a worker: no shared resources (they live on the main thread),
 * a signal that never aborts (the main thread abandons the item instead), logs to stderr.
 */
function workerContext(stage: string): unknown {
  const never = new AbortController().signal;
  const unavailable = (what: string) => () => {
    throw new Error(
      `stage ${stage} runs on the worker pool, where ${what} is not available: place it on the loop`,
    );
  };
  return {
    signal: never,
    stopSignal: never,
    stage,
    placement: "pool",
    get resources() {
      return unavailable("ctx.resources")();
    },
    get pool() {
      return unavailable("ctx.pool")();
    },
    tracer: { enabled: false, begin: () => () => {}, counter: () => {} },
    log: (level: string, message: string) => console.error(`[${level}] ${stage}: ${message}`),
    count: () => {},
    placed: () => {},
  };
}
