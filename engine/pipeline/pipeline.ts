/**
 * The typed pipeline builder. `pipeline(source).pipe(stage)...to(sink)` checks at compile time that each
 * stage accepts what the previous one produces (the example is not run: it does not compile, on purpose):
 *
 * ```ts ignore
 * pipeline(fromIterable([1, 2])).pipe(map((s: string) => s.length)); // compile error: number is not string
 * ```
 * @module
 */
import { SluiceError } from "../errors.ts";
import type { Stage } from "./stage.ts";

/**
 * A chain of stages taking `In` items (never, for a chain that starts with a source) and producing `Out`
 * items. A chain ended with `to(sink)` produces `never`.
 *
 * @example
 * ```ts
 * import { fromIterable, map, sink } from "./constructors.ts";
 * const p = pipeline(fromIterable([1, 2])).pipe(map((n: number) => String(n))).to(sink((s: string) => {}));
 * console.log(p.stages.length); // 3
 * ```
 */
export class Chain<In, Out> {
  /** The chain's stages in run order (the source first, when it has one). */
  readonly stages: ReadonlyArray<Stage<unknown, unknown>>;
  /** Phantom members for variance: In is contravariant, Out covariant. */
  declare readonly __in?: (item: In) => void;
  /** Phantom member for `Out` (always undefined at run time). */
  declare readonly __out?: () => Out;

  /**
   * Where the pipeline's stages keep their state (a `STATE_DIR` path, `kv:PATH`, `memory:`): one store
   * they share, opened and leased once per run before the first item. Undefined: stages that need
   * state open their own (their `state` option, default `./.sluice`) when they first use it.
   */
  readonly state?: string;

  /**
   * Wraps `stages` as they are; prefer `pipeline()` and `pipe()`, which check the item types.
   * @param state the pipeline's shared state location (see {@linkcode Chain.state})
   */
  constructor(stages: ReadonlyArray<Stage<unknown, unknown>>, state?: string) {
    this.stages = stages;
    if (state !== undefined) this.state = state;
  }

  /** Appends `stage`; its input type must accept this chain's output type. */
  pipe<Next>(stage: Stage<Out, Next>): Chain<In, Next> {
    assertNotSource(stage as Stage<unknown, unknown>, this.stages.length);
    return new Chain<In, Next>([...this.stages, stage as Stage<unknown, unknown>], this.state);
  }

  /** Ends the chain with a sink (or a branch). */
  to(stage: Stage<Out, unknown>): Chain<In, never> {
    assertNotSource(stage as Stage<unknown, unknown>, this.stages.length);
    return new Chain<In, never>([...this.stages, stage as Stage<unknown, unknown>], this.state);
  }

  /** Stage names in order (duplicates get `#2`, `#3`... so metrics stay apart). */
  names(): string[] {
    return this.stages.map((s) => s.options.name);
  }
}

/** A runnable pipeline: a chain that starts with a source. */
export type Pipeline<Out = unknown> = Chain<never, Out>;

/** Pipeline-wide resources of {@linkcode pipeline}. */
export interface PipelineResources {
  /** The state every stage of the pipeline shares (see {@linkcode Chain.state}). */
  state?: string;
}

/**
 * Starts a pipeline at `source`, with the resources its stages share.
 *
 * @example
 * ```ts
 * import { fromIterable } from "./constructors.ts";
 * const p = pipeline(fromIterable(["a"]), { state: "./.sluice" });
 * ```
 */
export function pipeline<Out>(
  source: Stage<never, Out>,
  resources: PipelineResources = {},
): Chain<never, Out> {
  if (source.body.kind !== "source") {
    throw new SluiceError(
      "E_PIPELINE_SHAPE",
      `pipeline(): \`${source.options.name}\` is not a source`,
      "start a pipeline with source(), fromIterable() or merge()",
    );
  }
  return new Chain<never, Out>([source as Stage<unknown, unknown>], resources.state);
}

/**
 * Starts a headless chain that takes `In` items: the body of a `branch`.
 *
 * @example
 * ```ts
 * import { sink } from "./constructors.ts";
 * const logAll = chain<string>().to(sink((s: string) => console.log(s)));
 * ```
 */
export function chain<In>(): Chain<In, In> {
  return new Chain<In, In>([]);
}

function assertNotSource(stage: Stage<unknown, unknown>, index: number): void {
  if (stage.body.kind === "source") {
    throw new SluiceError(
      "E_PIPELINE_SHAPE",
      `stage ${index + 1} \`${stage.options.name}\` is a source in the middle of a pipeline`,
      "combine several sources with merge(a, b) at the start",
    );
  }
}
