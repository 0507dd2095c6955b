/**
 * The stage constructors for the event loop: `source`, `map`, `flatMap`, `filter`, `tap`, `sink` and
 * `batch`. Placed stages (pool, process, owner, auto) are in `placed.ts`; fan-out and fan-in in `fan.ts`.
 * @module
 */
import { resolveStageOptions, type Stage, type StageContext, type StageOptions } from "./stage.ts";

/**
 * A source: produces the pipeline's items. It should stop early when `ctx.stopSignal` aborts.
 *
 * @example
 * ```ts
 * const numbers = source(function* () { yield 1; yield 2; }, { name: "numbers" });
 * ```
 */
export function source<Out>(
  produce: (ctx: StageContext) => AsyncIterable<Out> | Iterable<Out>,
  options?: StageOptions,
): Stage<never, Out> {
  return { options: resolveStageOptions(options, "source"), body: { kind: "source", produce } };
}

/**
 * A source of fixed values.
 *
 * @example
 * ```ts
 * const s = fromIterable(["a", "b"]);
 * ```
 */
export function fromIterable<Out>(
  values: Iterable<Out> | AsyncIterable<Out>,
  options?: StageOptions,
): Stage<never, Out> {
  return source(() => values, { name: "values", ...options });
}

/**
 * One output per input item.
 *
 * @example
 * ```ts
 * const len = map((s: string) => s.length, { name: "length", concurrency: 4 });
 * ```
 */
export function map<In, Out>(
  fn: (item: In, ctx: StageContext) => Out | Promise<Out>,
  options?: StageOptions,
): Stage<In, Out> {
  return {
    options: resolveStageOptions(options, "map"),
    body: { kind: "transform", handle: async (item, ctx) => ({ one: await fn(item, ctx) }) },
  };
}

/**
 * Zero or more outputs per input item.
 *
 * @example
 * ```ts
 * const words = flatMap((line: string) => line.split(" "), { name: "words" });
 * ```
 */
export function flatMap<In, Out>(
  fn: (item: In, ctx: StageContext) => Iterable<Out> | AsyncIterable<Out> | Promise<Iterable<Out>>,
  options?: StageOptions,
): Stage<In, Out> {
  return {
    options: resolveStageOptions(options, "flatMap"),
    body: { kind: "transform", handle: async (item, ctx) => ({ many: await fn(item, ctx) }) },
  };
}

/**
 * Keeps the items for which `predicate` is true; a type guard narrows the output type.
 *
 * @example
 * ```ts
 * const evens = filter((n: number) => n % 2 === 0);
 * const strings = filter((x: string | number): x is string => typeof x === "string");
 * ```
 */
export function filter<In, Out extends In>(
  predicate: (item: In, ctx: StageContext) => item is Out,
  options?: StageOptions,
): Stage<In, Out>;
/** Keeps the items for which `predicate` (sync or async) is true; the output type stays `In`. */
export function filter<In>(
  predicate: (item: In, ctx: StageContext) => boolean | Promise<boolean>,
  options?: StageOptions,
): Stage<In, In>;
export function filter<In>(
  predicate: (item: In, ctx: StageContext) => boolean | Promise<boolean>,
  options?: StageOptions,
): Stage<In, In> {
  return {
    options: resolveStageOptions(options, "filter"),
    body: {
      kind: "transform",
      handle: async (item, ctx) => ((await predicate(item, ctx)) ? { one: item } : { none: true }),
    },
  };
}

/**
 * Looks at each item and passes it on unchanged.
 *
 * @example
 * ```ts
 * const log = tap((x: unknown) => console.log(x));
 * ```
 */
export function tap<In>(fn: (item: In, ctx: StageContext) => unknown, options?: StageOptions): Stage<In, In> {
  return {
    options: resolveStageOptions(options, "tap"),
    body: {
      kind: "transform",
      handle: async (item, ctx) => {
        await fn(item, ctx);
        return { one: item };
      },
    },
  };
}

/**
 * The end of a pipeline: consumes items. `open` and `close` run once per run.
 *
 * @example
 * ```ts
 * const out: number[] = [];
 * const collect = sink((n: number) => { out.push(n); });
 * ```
 */
export function sink<In>(
  fn: (item: In, ctx: StageContext) => unknown,
  options?: StageOptions & {
    open?: (ctx: StageContext) => Promise<void> | void;
    close?: (ctx: StageContext) => Promise<void> | void;
  },
): Stage<In, never> {
  return {
    options: resolveStageOptions(options, "sink"),
    body: {
      kind: "transform",
      open: options?.open,
      close: options?.close,
      handle: async (item, ctx) => {
        await fn(item, ctx);
        return { none: true };
      },
    },
  };
}

/**
 * Groups items into arrays of up to `size`, emitting a partial batch once `windowMs` passed since its
 * first item (so a trickle of items is not held back).
 *
 * @example
 * ```ts
 * const groups = batch<string>({ size: 50, windowMs: 100 });
 * ```
 */
export function batch<In>(opts: { size: number; windowMs?: number } & StageOptions): Stage<In, In[]> {
  const size = Math.max(1, opts.size);
  return {
    options: resolveStageOptions(opts, "batch"),
    body: {
      kind: "stream",
      stream: (input) => batches(input, size, opts.windowMs),
    },
  };
}

async function* batches<In>(input: AsyncIterable<In>, size: number, windowMs?: number): AsyncIterable<In[]> {
  const it = input[Symbol.asyncIterator]();
  let current: In[] = [];
  let pending: Promise<IteratorResult<In>> | undefined;
  let deadline = Infinity;
  try {
    while (true) {
      pending ??= it.next();
      let next: IteratorResult<In> | "window";
      if (current.length > 0 && windowMs !== undefined) {
        next = await raceWindow(pending, deadline - performance.now());
      } else {
        next = await pending;
      }
      if (next === "window") {
        yield current;
        current = [];
        continue;
      }
      pending = undefined;
      if (next.done) break;
      if (current.length === 0) deadline = performance.now() + (windowMs ?? 0);
      current.push(next.value);
      if (current.length >= size) {
        yield current;
        current = [];
      }
    }
    if (current.length > 0) yield current;
  } finally {
    if (pending === undefined) await it.return?.();
  }
}

function raceWindow<T>(pending: Promise<T>, ms: number): Promise<T | "window"> {
  if (ms <= 0) return Promise.resolve("window");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const window = new Promise<"window">((resolve) => (timer = setTimeout(() => resolve("window"), ms)));
  return Promise.race([pending, window]).finally(() => clearTimeout(timer));
}
