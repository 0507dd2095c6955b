/**
 * Fan-out (`branch`), fan-in (`merge`) and routing by key to several stages (`route`, e.g. one IMAP
 * owner per shard of folders).
 * @module
 */
import { chan } from "../kernel/mod.ts";
import { SluiceError } from "../errors.ts";
import type { Chain } from "./pipeline.ts";
import { resolveStageOptions, type Stage, type StageContext, type StageOptions } from "./stage.ts";

/**
 * Sends every item to each chain (each ending in a sink). The slowest branch sets the pace.
 *
 * @example
 * ```ts
 * import { chain } from "./pipeline.ts";
 * import { sink } from "./constructors.ts";
 * const both = branch(chain<number>().to(sink((n: number) => {})), chain<number>().to(sink((n: number) => {})));
 * ```
 */
export function branch<In>(...chains: Array<Chain<In, never>>): Stage<In, never> {
  if (chains.length === 0 || chains.some((c) => c.stages.length === 0)) {
    throw new SluiceError("E_PIPELINE_SHAPE", "branch() needs non-empty chains", "give each branch a sink");
  }
  return {
    options: resolveStageOptions({ name: "branch" }, "branch"),
    body: { kind: "branch", branches: chains.map((c) => [...c.stages]) },
  };
}

/**
 * A source that interleaves the items of several sources as they come.
 *
 * @example
 * ```ts
 * import { fromIterable } from "./constructors.ts";
 * const both = merge(fromIterable([1, 2]), fromIterable([3]));
 * ```
 */
export function merge<Out>(...sources: Array<Stage<never, Out>>): Stage<never, Out> {
  for (const s of sources) {
    if (s.body.kind !== "source") {
      throw new SluiceError(
        "E_PIPELINE_SHAPE",
        `merge(): \`${s.options.name}\` is not a source`,
        "pass sources",
      );
    }
  }
  return {
    options: resolveStageOptions({ name: "merge" }, "merge"),
    body: {
      kind: "source",
      produce: (ctx) => mergeSources(sources, ctx),
    },
  };
}

async function* mergeSources<Out>(sources: Array<Stage<never, Out>>, ctx: StageContext): AsyncIterable<Out> {
  const ch = chan<Out>(sources.length);
  let failure: unknown;
  const pumps = sources.map(async (s) => {
    const body = s.body as Extract<Stage<never, Out>["body"], { kind: "source" }>;
    try {
      for await (const v of body.produce(ctx)) await ch.send(v, { signal: ctx.signal });
    } catch (e) {
      failure ??= e;
    }
  });
  const all = Promise.all(pumps).then(() => ch.close());
  for await (const v of ch) yield v;
  await all;
  if (failure !== undefined) throw failure;
}

/**
 * Routes each item by `key(item)` to one of `shards` stages made by `make(shard)`, so items with the same
 * key always meet the same stage (for example one IMAP connection owner per group of folders).
 *
 * @example
 * ```ts
 * import { map } from "./constructors.ts";
 * const r = route((s: string) => s[0], 2, (i) => map((s: string) => `${i}:${s}`), { concurrency: 8 });
 * ```
 */
export function route<In, Out>(
  key: (item: In) => string,
  shards: number,
  make: (shard: number) => Stage<In, Out>,
  options?: StageOptions,
): Stage<In, Out> {
  const stages = Array.from({ length: Math.max(1, shards) }, (_, i) => make(i));
  const bodies = stages.map((s) => {
    if (s.body.kind !== "transform") {
      throw new SluiceError(
        "E_PIPELINE_SHAPE",
        `route(): shard stage \`${s.options.name}\` must be a per-item stage (map, sink, owner)`,
        "route to map/sink/owner stages",
      );
    }
    return s.body;
  });
  return {
    options: resolveStageOptions(
      { ...options, placement: options?.placement ?? stages[0].options.placement },
      "route",
    ),
    body: {
      kind: "transform",
      open: async (ctx) => {
        for (const b of bodies) await b.open?.(ctx);
      },
      close: async (ctx) => {
        for (const b of bodies) await b.close?.(ctx);
      },
      handle: (item, ctx) => bodies[shardOf(key(item), bodies.length)].handle(item, ctx),
    },
  };
}

/**
 * The shard of `key` among `n` (FNV-1a), stable across runs.
 *
 * @example
 * ```ts
 * shardOf("News", 4) === shardOf("News", 4); // true
 * ```
 */
export function shardOf(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}
