/**
 * Stages placed off the plain event loop: `task` (worker pool, or `auto`: measured, then moved),
 * `processMap` (an external command) and `ownerMap` (a single owner of a resource that is not safe to
 * share).
 * @module
 */
import { owner, type OwnerSpec, streamThroughCommand } from "../kernel/mod.ts";
import { AutoPlacement } from "../placement/auto_placement.ts";
import { unwrapTaskResult } from "../kernel/pool_transfer.ts";
import { resolveStageOptions, type Stage, type StageContext, type StageOptions } from "./stage.ts";

/**
 * A function named by module URL and export: what can cross to a worker (functions cannot).
 *
 * @example
 * ```ts
 * const ref: TaskRef = { module: new URL("./tasks.ts", import.meta.url).href, export: "parse" };
 * ```
 */
export interface TaskRef {
  /** The module's URL (absolute, e.g. `new URL("./tasks.ts", import.meta.url)`), loaded by the worker. */
  module: string | URL;
  /** Name of the function the module exports. */
  export: string;
}

/**
 * A per-item stage whose function is a module export, so it can run on the worker pool. Placement
 * `pool` (default) always uses the pool; `loop` calls it on the event loop; `auto` calls the first items
 * on the loop, measures how long each blocks it, and moves the stage to the pool past a threshold.
 * The export is called with `args(item)` (default `[item]`); `transfer(item)` lists buffers to move.
 * `loopUntilPoolLoaded`: on `pool`, items that come before a worker has imported the module run on the
 * loop (which imports it when the stage opens), so that a run's first items do not wait for its first
 * worker to start (0.5-1 s under Deno); for a function whose result does not depend on where it runs.
 *
 * @example
 * ```ts
 * const parse = task<Uint8Array, unknown>({ module: new URL("./parse.ts", import.meta.url).href, export: "parse" },
 *   { name: "parse", placement: "auto", transfer: (bytes) => [bytes.buffer as ArrayBuffer] });
 * ```
 */
export function task<In, Out>(
  ref: TaskRef,
  options?: StageOptions & {
    args?: (item: In) => unknown[];
    transfer?: (item: In) => Transferable[];
    loopUntilPoolLoaded?: boolean;
  },
): Stage<In, Out> {
  const opts = resolveStageOptions(options, ref.export, "pool");
  const args = options?.args ?? ((item: In) => [item]);
  let auto: AutoPlacement | undefined;
  let local: Promise<(...a: unknown[]) => unknown> | undefined;
  const onLoop = async (item: In): Promise<Out> => {
    const fn = await (local ??= loadExport(ref));
    // A task may wrap its result for the pool (`transferResult`); on the loop there is nothing to move.
    return unwrapTaskResult(await fn(...args(item))).value as Out;
  };
  const onPool = (item: In, ctx: StageContext): Promise<Out> =>
    ctx.pool.run<Out>(ref, args(item), { transfer: options?.transfer?.(item), signal: ctx.signal });
  return {
    options: opts,
    body: {
      kind: "transform",
      open: (ctx) => {
        auto = ctx.placement === "auto" && ctx.placementOverride !== "loop"
          ? new AutoPlacement({})
          : undefined;
        if (ctx.placementOverride === "loop") ctx.placed("loop");
        // The worker imports the task's module while the items are still on their way.
        else if (ctx.placement === "pool") {
          ctx.pool.preload(ref.module);
          // So does the loop, for the items that come before the worker is ready (a failed import fails them).
          if (options?.loopUntilPoolLoaded && !ctx.pool.hasLoaded?.(ref.module)) {
            (local ??= loadExport(ref)).catch(() => {});
          }
        }
      },
      handle: async (item, ctx) => {
        if (ctx.placementOverride === "loop" || ctx.placement === "loop") {
          return { one: await onLoop(item) };
        }
        if (
          !auto && options?.loopUntilPoolLoaded && ctx.pool.hasLoaded?.(ref.module) === false
        ) {
          ctx.count("onLoopBeforePool");
          return { one: await onLoop(item) };
        }
        if (!auto || auto.decided === "pool") return { one: await onPool(item, ctx) };
        if (auto.decided === "loop") return { one: await onLoop(item) };
        const fn = await (local ??= loadExport(ref));
        const t0 = performance.now();
        const pending = fn(...args(item));
        auto.record(performance.now() - t0);
        if (auto.decided) ctx.placed(auto.decided);
        return { one: unwrapTaskResult(await pending).value as Out };
      },
    },
  };
}

async function loadExport(ref: TaskRef): Promise<(...a: unknown[]) => unknown> {
  const mod = await import(String(ref.module));
  const fn = mod[ref.export];
  if (typeof fn !== "function") {
    throw new TypeError(`${ref.module} has no exported function \`${ref.export}\``);
  }
  return fn;
}

/**
 * Streams items through an external command, one line (or JSON line) per item each way. Each item is
 * accounted for: an item the command prints no line for (it said why on stderr and went on) fails on its
 * own, with that stderr, under the stage's `onError`.
 *
 * @example
 * ```ts
 * const upper = processMap<string, string>({ command: ["tr", "a-z", "A-Z"], format: "lines" }, { name: "upper" });
 * ```
 */
export function processMap<In, Out>(
  spec: { command: string[]; format: "lines" | "jsonl"; cwd?: string; env?: Record<string, string> },
  options?: StageOptions,
): Stage<In, Out> {
  return {
    options: resolveStageOptions(options, spec.command[0] ?? "process", "process"),
    body: {
      kind: "stream",
      stream: (input, ctx, fail) =>
        streamThroughCommand<In, Out>(input as AsyncIterable<In>, {
          ...spec,
          signal: ctx.signal,
          onUnanswered: fail,
        }),
    },
  };
}

/**
 * A per-item stage served by a single owner of `resource`: every item becomes a request that the owner
 * handles strictly one at a time, reconnecting after a failure. Stages with the same `key` share the
 * owner (and the resource) within a run; concurrency only sets how many requests may wait.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const out = ownerMap({ key: "stdout", open: async () => lines, handle: async (l: string[], s: string) => { l.push(s); } },
 *   { name: "print", concurrency: 8 });
 * ```
 */
export function ownerMap<R, In, Out>(
  spec: {
    key?: string;
    open: (signal: AbortSignal) => Promise<R>;
    close?: (resource: R) => Promise<void>;
    handle: (resource: R, item: In, ctx: StageContext) => Promise<Out>;
    reconnect?: OwnerSpec<R, never>["reconnect"];
    isFatal?: (error: unknown) => boolean;
  },
  options?: StageOptions,
): Stage<In, Out> {
  const opts = resolveStageOptions(options, spec.key ?? "owner", "owner");
  const key = `owner:${spec.key ?? opts.name}`;
  const get = (ctx: StageContext) =>
    ctx.resources.shared(
      key,
      () =>
        owner({
          name: spec.key ?? opts.name,
          open: spec.open,
          close: spec.close,
          reconnect: spec.reconnect,
          isFatal: spec.isFatal,
          actions: {
            handle: (r: R, req: { item: In; ctx: StageContext }) => spec.handle(r, req.item, req.ctx),
          },
        }),
      (o) => o.close(),
    );
  return {
    options: opts,
    body: {
      kind: "transform",
      open: (ctx) => void get(ctx),
      handle: async (item, ctx) => ({
        one: await get(ctx).call.handle({ item, ctx }, { signal: ctx.signal }),
      }),
    },
  };
}
