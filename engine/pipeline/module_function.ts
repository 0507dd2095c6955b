/**
 * Per-item stages whose work is a module export, so they can run where their placement says: `loop`
 * (called on the event loop), `pool` (in a worker, items batched per round trip), `owner` (one call at a
 * time, in arrival order) or `auto` (timed on the loop, moved to the pool when heavy). The export is a
 * plain function of the item (`moduleMap`, `moduleFilter`) or a per-item stage (`movableStage`).
 * @module
 */
import { Mutex } from "../kernel/mod.ts";
import type { WorkerPool } from "../kernel/worker_pool.ts";
import { AutoPlacement } from "../placement/auto_placement.ts";
import type { BatchMode } from "../placement/pool_batch.ts";
import { PoolBatcher } from "../placement/pool_batcher.ts";
import { ProcessBatcher } from "../placement/process_batcher.ts";
import type { TaskRef } from "./placed.ts";
import {
  type Emitted,
  type Placement,
  resolveStageOptions,
  type Stage,
  type StageContext,
  type StageOptions,
} from "./stage.ts";

/**
 * The placements a module function can take: all of them (on `process`, items and results travel as JSON).
 *
 * @example
 * ```ts
 * import { MODULE_FUNCTION_PLACEMENTS } from "./module_function.ts";
 * MODULE_FUNCTION_PLACEMENTS.includes("pool"); // true
 * ```
 */
export const MODULE_FUNCTION_PLACEMENTS: readonly Placement[] = ["loop", "pool", "process", "owner", "auto"];

/**
 * Maps each item through `ref`'s exported function (sync or async), where the stage's placement says.
 * The item and the result must be structured-cloneable when the stage runs on the pool.
 *
 * @example
 * ```ts
 * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url).href;
 * const double = moduleMap<number, number>({ module: tasks, export: "double" }, { placement: "pool" });
 * ```
 */
export function moduleMap<In, Out>(
  ref: TaskRef,
  options?: StageOptions & {
    /** What the function is called with (default the item itself); must be cloneable on the pool. */
    arg?: (item: In) => unknown;
  },
): Stage<In, Out> {
  return placedModuleStage(ref, "call", (_item, v) => ({ one: v as Out }), options, "map", options?.arg);
}

/**
 * Keeps the items for which `ref`'s exported predicate (sync or async) is truthy, where the stage's
 * placement says.
 *
 * @example
 * ```ts
 * const tasks = new URL("../../tests/fixtures/pool_tasks.ts", import.meta.url).href;
 * const odd = moduleFilter<number>({ module: tasks, export: "isOdd" }, { placement: "pool" });
 * ```
 */
export function moduleFilter<In>(ref: TaskRef, options?: StageOptions): Stage<In, In> {
  return placedModuleStage<In, In>(
    ref,
    "call",
    (item, v) => (v ? { one: item } : { none: true }),
    options,
    "filter",
  );
}

/**
 * A per-item stage exported by a module (`export const shout = map(...)`) that may move: on the pool
 * a worker imports the module and calls the stage's `handle` there. Its context in a worker has no
 * `resources` or `pool` (those live on the main thread).
 *
 * @example
 * ```ts
 * const ref = { module: new URL("./my-stages.ts", import.meta.url).href, export: "shout" };
 * const shout = movableStage<string, string>(ref, { placement: "pool" });
 * ```
 */
export function movableStage<In, Out>(ref: TaskRef, options?: StageOptions): Stage<In, Out> {
  return placedModuleStage(ref, "stage", (_item, v) => v as Emitted<Out>, options, ref.export);
}

function placedModuleStage<In, Out>(
  ref: TaskRef,
  mode: BatchMode,
  emit: (item: In, value: unknown) => Emitted<Out>,
  options: StageOptions | undefined,
  fallbackName: string,
  arg: (item: In) => unknown = (item) => item,
): Stage<In, Out> {
  const target = { module: String(ref.module), export: ref.export, mode };
  let local: ((item: In, ctx: StageContext) => unknown) | undefined;
  let loading: Promise<(item: In, ctx: StageContext) => unknown> | undefined;
  const batchers = new WeakMap<WorkerPool, PoolBatcher>();
  const owner = new Mutex();
  let auto: AutoPlacement | undefined;
  let child: ProcessBatcher | undefined;

  const onLoop = async (item: In, ctx: StageContext): Promise<unknown> => {
    const fn = local ?? (local = await (loading ??= loadLocal<In>(target.module, target.export, mode)));
    return await fn(arg(item) as In, ctx);
  };
  const onPool = (item: In, ctx: StageContext): Promise<unknown> => {
    let batcher = batchers.get(ctx.pool);
    if (!batcher) batchers.set(ctx.pool, batcher = new PoolBatcher(ctx.pool, target));
    return batcher.call(arg(item), ctx.signal);
  };
  const where = (ctx: StageContext): Placement => ctx.placementOverride === "loop" ? "loop" : ctx.placement;

  return {
    options: resolveStageOptions(stageOptionsOf(options), fallbackName),
    body: {
      kind: "transform",
      open: (ctx) => {
        auto = where(ctx) === "auto" ? new AutoPlacement({}) : undefined;
        child = where(ctx) === "process" ? new ProcessBatcher(target) : undefined;
        if (ctx.placementOverride === "loop") ctx.placed("loop");
      },
      close: async () => {
        await child?.close();
        child = undefined;
      },
      handle: async (item, ctx) => {
        switch (where(ctx)) {
          case "pool":
            return emit(item, await onPool(item, ctx));
          case "process":
            return emit(item, await child!.call(arg(item)));
          case "owner":
            return emit(item, await owner.use(() => onLoop(item, ctx)));
          case "auto": {
            if (auto?.decided === "pool") return emit(item, await onPool(item, ctx));
            if (auto?.decided === "loop") return emit(item, await onLoop(item, ctx));
            const t0 = performance.now();
            const pending = onLoop(item, ctx);
            auto?.record(performance.now() - t0);
            if (auto?.decided) ctx.placed(auto.decided);
            return emit(item, await pending);
          }
          default:
            return emit(item, await onLoop(item, ctx));
        }
      },
    },
  };
}

function stageOptionsOf(options: (StageOptions & { arg?: unknown }) | undefined): StageOptions | undefined {
  if (!options || !("arg" in options)) return options;
  const { arg: _arg, ...rest } = options;
  return rest;
}

async function loadLocal<In>(
  module: string,
  exportName: string,
  mode: BatchMode,
): Promise<(item: In, ctx: StageContext) => unknown> {
  const value = (await import(module))[exportName];
  if (mode === "call") {
    if (typeof value !== "function") {
      throw new TypeError(`${module} has no exported function \`${exportName}\``);
    }
    return (item) => value(item);
  }
  const body = (value as Stage<In, unknown> | undefined)?.body;
  if (body?.kind !== "transform") {
    throw new TypeError(`${module}#${exportName} is not a per-item stage (map, filter, flatMap...)`);
  }
  return (item, ctx) => body.handle(item, ctx);
}
