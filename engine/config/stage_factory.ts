/**
 * Stage factories: what a YAML `use:` names. A factory declares its item types and option schema (for
 * the loader's checks) and builds the stage from validated options. `buildPipeline` turns a loaded
 * {@linkcode PipelineSpec} into a runnable pipeline.
 * @module
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SluiceError } from "../errors.ts";
import type { StageCatalog, StageCatalogEntry } from "./catalog.ts";
import type { PipelineSpec, StageSpec } from "./spec.ts";
import { Chain } from "../pipeline/pipeline.ts";
import type { AnyStage, Placement, Stage, StageOptions } from "../pipeline/stage.ts";
import { MODULE_FUNCTION_PLACEMENTS, moduleMap, movableStage } from "../pipeline/module_function.ts";
import { withOptions } from "../pipeline/with_options.ts";

/** What a factory's `create` gets besides its options. */
export interface BuildContext {
  /** The pipeline file (relative paths in options resolve against its folder). */
  file?: string;
  /** The `placement:` the pipeline file gives the stage; undefined: the stage's own default. */
  placement?: Placement;
}

/**
 * A stage that YAML can name: catalog facts plus the builder.
 *
 * @example
 * ```ts
 * import { map } from "../pipeline/constructors.ts";
 * const shout: StageFactory = {
 *   name: "shout", description: "upper-cases strings", inType: "string", outType: "string", options: {},
 *   create: () => map((s: string) => s.toUpperCase(), { name: "shout" }),
 * };
 * ```
 */
export interface StageFactory extends StageCatalogEntry {
  /** Stage-level defaults (placement, concurrency, on-error...) that YAML keys override. */
  defaults?: StageOptions;
  /** Builds the stage from the YAML `with:` options, already checked against the factory's schema. */
  create(options: Record<string, unknown>, ctx: BuildContext): AnyStage;
}

/**
 * A catalog of factories by name that also loads `./file.ts#export` module stages. A module export may
 * be a {@linkcode StageFactory} or a plain stage (then typed `any` -> `any`, no options).
 *
 * @example
 * ```ts
 * const registry = new StageRegistry([]);
 * console.log(registry.names()); // []
 * ```
 */
export class StageRegistry implements StageCatalog {
  #byName = new Map<string, StageFactory>();
  #modules = new Map<string, StageFactory>();

  /** Registers `factories` by name (a later factory with the same name replaces an earlier one). */
  constructor(factories: StageFactory[]) {
    for (const f of factories) this.#byName.set(f.name, f);
  }

  /** The factory named `name`, or a module stage already loaded by `loadModule`; undefined if neither. */
  get(name: string): StageFactory | undefined {
    return this.#byName.get(name) ?? this.#modules.get(name);
  }

  /** Names of the registered factories (module stages not included). */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Loads `./my-stage.ts#name` relative to the pipeline file `fromFile`. */
  async loadModule(specifier: string, fromFile: string): Promise<StageFactory> {
    const [file, exportName = "default"] = specifier.split("#");
    const url = /^[a-z]+:/i.test(file)
      ? file
      : pathToFileURL(path.resolve(path.dirname(fromFile), file)).href;
    const mod = await import(url);
    const value = mod[exportName];
    if (value === undefined) {
      throw new SluiceError(
        "E_STAGE_MODULE",
        `${file} has no export \`${exportName}\``,
        `export a stage or StageFactory named \`${exportName}\``,
      );
    }
    const factory: StageFactory = isFactory(value)
      ? value
      : moduleFactory(specifier, { module: url, export: exportName }, value);
    this.#modules.set(specifier, factory);
    return factory;
  }
}

/**
 * The factory of a module export that is not a factory: a plain function of the item (a `map` that can
 * take any placement) or a stage (a per-item stage can move off the loop; another kind stays where it is).
 */
function moduleFactory(
  specifier: string,
  ref: { module: string; export: string },
  value: unknown,
): StageFactory {
  const base = { name: specifier, inType: "any", outType: "any", options: {} };
  if (typeof value === "function") {
    return {
      ...base,
      description: `module function ${specifier} (a map over each item)`,
      placements: MODULE_FUNCTION_PLACEMENTS,
      create: (_o, ctx) => moduleMap(ref, { name: ref.export, placement: ctx.placement }),
    };
  }
  const stage = value as Stage<unknown, unknown>;
  const perItem = stage?.body?.kind === "transform";
  return {
    ...base,
    inType: stage?.options?.inType ?? (stage?.body?.kind === "source" ? "none" : "any"),
    outType: stage?.options?.outType ?? "any",
    description: stage?.options?.description ?? `module stage ${specifier}`,
    placements: perItem ? MODULE_FUNCTION_PLACEMENTS : [stage?.options?.placement ?? "loop"],
    placementNote: perItem
      ? undefined
      : `only a per-item stage (map, filter, flatMap, sink) can move; this one is a ${stage?.body?.kind}`,
    create: (_o, ctx) => {
      const placement = ctx.placement ?? stage.options.placement;
      return perItem && placement !== "loop" ? movableStage(ref, { ...stage.options, placement }) : stage;
    },
  };
}

function isFactory(v: unknown): v is StageFactory {
  return typeof v === "object" && v !== null && typeof (v as StageFactory).create === "function";
}

/**
 * Builds the runnable pipeline of a loaded spec: each stage from its factory, then the YAML's
 * stage-level keys applied over the factory's defaults.
 *
 * @example
 * ```ts
 * import { parsePipelineConfig } from "./load_pipeline_config.ts";
 * import { fromIterable } from "../pipeline/constructors.ts";
 * // The built-in stages are `builtinStages()` of stages/registry.ts (cli/load.ts builds with them).
 * const registry = new StageRegistry([{
 *   name: "numbers", description: "counts", inType: "none", outType: "number", options: {},
 *   create: () => fromIterable([1, 2, 3], { name: "numbers" }),
 * }]);
 * const spec = await parsePipelineConfig("name: n\nstages:\n  - use: numbers\n", "n.yaml", { catalog: registry });
 * const p = buildPipeline(spec, registry);
 * console.log(p.names()); // ["numbers"]
 * ```
 */
export function buildPipeline(spec: PipelineSpec, registry: StageCatalog): Chain<never, unknown> {
  const stages = spec.stages.map((s) => buildStage(s, registry, spec.file));
  return new Chain<never, unknown>(stages, spec.state);
}

function buildStage(s: StageSpec, registry: StageCatalog, file: string): Stage<unknown, unknown> {
  const factory = (registry.get(s.use) ?? s.entry) as StageFactory;
  if (typeof factory.create !== "function") {
    throw new SluiceError("E_STAGE_UNKNOWN", `${file}: stage \`${s.use}\` cannot be built`, "check `use:`");
  }
  const stage = factory.create(s.with, { file, placement: s.placement }) as Stage<unknown, unknown>;
  const overrides: StageOptions = {
    ...factory.defaults,
    name: s.id,
    placement: s.placement,
    concurrency: s.concurrency,
    capacity: s.capacity,
    ordered: s.ordered,
    timeoutMs: s.timeout,
    onError: s.onError,
    deadLetter: s.deadLetter ? path.resolve(path.dirname(file), s.deadLetter) : undefined,
    inType: s.entry.inType ?? factory.inType,
    outType: s.entry.outType ?? factory.outType,
    description: factory.description,
  };
  if (s.retry) {
    overrides.retry = {
      attempts: s.retry.attempts,
      backoffMs: s.retry.backoff,
      maxBackoffMs: s.retry.maxBackoff,
      jitter: s.retry.jitter,
      retryable: s.retry.on ? (e) => s.retry!.on!.some((code) => errorCode(e) === code) : undefined,
    };
  }
  const withDefaults = withOptions(stage, stripUndefined({ ...factory.defaults }));
  return withOptions(withDefaults, overrides);
}

function stripUndefined(o: StageOptions): StageOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as StageOptions;
}

function errorCode(e: unknown): string | undefined {
  return (e as { code?: string })?.code ?? (e as Error)?.name;
}
