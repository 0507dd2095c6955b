/**
 * What the loader needs to know about stages: for each name, its input and output item types and its
 * option schema. The stage registry (stages/registry.ts) provides this; tests provide a small fake.
 * @module
 */
import type { OptionSchema } from "./schema.ts";
import type { Placement } from "../pipeline/stage.ts";
import type { SettingsWithoutEffect } from "./settings_without_effect.ts";

/**
 * A mistake in a stage's options that only the stage can see (an expression that does not compile, a
 * module without the named export): `option` names the `with:` key it is reported at.
 *
 * @example
 * ```ts
 * const problem: OptionProblem = { option: "expr", message: "expression does not compile: Unexpected end of input" };
 * ```
 */
export interface OptionProblem {
  /** The `with:` key whose value is wrong (`headers.accept` for a nested one). */
  option: string;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

/**
 * A stage that one of a stage's options needs further along the pipeline: `digest: true` in the `feeds`
 * stage's folder options is honoured only by a `digest` stage. `path` leads from `with:` to the option's
 * value, where the loader reports a pipeline without that stage.
 *
 * @example
 * ```ts
 * const need: StageNeed = {
 *   stage: "digest",
 *   path: ["folder-options", "News", "digest"],
 *   reason: "`digest: true` for folder `News`",
 *   hint: "add `- use: digest` after `dedupe`",
 * };
 * ```
 */
export interface StageNeed {
  /** The name of the stage the option needs. */
  stage: string;
  /** Keys (and list indexes) from `with:` to the option's value. */
  path: readonly (string | number)[];
  /** What is set (completes "... has no effect: the pipeline has no `digest` stage"). */
  reason: string;
  /** How to fix it. */
  hint: string;
}

/**
 * One stage as the loader sees it. `inType`/`outType` are item type names (`FeedRef`, `FetchedFeed`),
 * `"none"` for a source's input or a sink's output, `"any"` for a generic stage. An `inType` may list
 * alternatives: `"FeedEntry | EntryItem"`.
 *
 * @example
 * ```ts
 * const fetch: StageCatalogEntry = {
 *   name: "fetch", inType: "FeedRef", outType: "FetchedFeed", description: "downloads feeds",
 *   options: { concurrency: { type: "integer", default: 8, min: 1, description: "parallel requests" } },
 * };
 * ```
 */
export interface StageCatalogEntry {
  /** The name a pipeline file writes after `use:` (e.g. `fetch`). */
  name: string;
  /** Item type the stage consumes: a type name, `"none"` for a source, `"any"`, or `"A | B"` alternatives. */
  inType: string;
  /** Item type the stage emits: a type name, `"none"` for a sink, or `"any"`. */
  outType: string;
  /** Schema of the stage's `with:` options; the loader validates against it and applies its defaults. */
  options: OptionSchema;
  /** One line on what the stage does, shown by `plan` and in "unknown stage" hints. */
  description: string;
  /**
   * A `stages:` item using the stage with typical options (YAML, starting `- use: <name>`), shown by
   * `cli.ts stages NAME`; a test checks it against `options`.
   */
  example?: string;
  /**
   * Stage settings (beside `use:`) that the stage cannot honour, each with why and the fix: the loader
   * reports one a pipeline file sets instead of ignoring it (`retry` on `exec`, which streams every item
   * through one process). A source's per-item settings are reported without being listed here.
   */
  settingsWithoutEffect?: SettingsWithoutEffect;
  /**
   * The placements the stage honours (YAML `placement:`); a placement outside the list is a config error
   * naming `placementNote`. Every built-in stage declares them (a test checks): a placement is never a
   * mere label. Undefined only for stages made elsewhere (tests' fakes): then any placement is accepted.
   */
  placements?: readonly Placement[];
  /** Why the stage cannot take the other placements, shown when `placement:` asks for one of them. */
  placementNote?: string;
  /**
   * Facts that depend on the options: `read` with `format: lines` emits `string`, `map` with `expr:` runs
   * only on the loop. Fields left undefined keep the entry's own.
   */
  forOptions?(options: Record<string, unknown>): Partial<
    Pick<StageCatalogEntry, "inType" | "outType" | "placements" | "placementNote">
  >;
  /**
   * Checks the validated options beyond their schema (compiles expressions, loads modules), with `file`
   * the pipeline file; each problem is reported at its option's value.
   */
  checkOptions?(
    options: Record<string, unknown>,
    ctx: { file: string },
  ): OptionProblem[] | Promise<OptionProblem[]>;
  /**
   * The stages the validated options need in the same pipeline: the loader reports each need whose stage
   * the pipeline lacks at its option's value (an option nothing honours is a mistake, not a no-op).
   */
  stagesNeeded?(options: Record<string, unknown>): StageNeed[];
}

/**
 * Looks stages up by name. `loadModule` resolves `use: ./my-stage.ts#name` (relative to `fromFile`, the
 * pipeline file); without it, module stages are reported as unsupported.
 *
 * @example
 * ```ts
 * const catalog: StageCatalog = { get: () => undefined, names: () => [] };
 * ```
 */
export interface StageCatalog {
  /** The built-in stage called `name`, or `undefined` when there is none. */
  get(name: string): StageCatalogEntry | undefined;
  /** Every built-in stage name, used for "did you mean" suggestions and listings. */
  names(): string[];
  /**
   * Loads a module stage (`./file.ts#export`), resolving `specifier` relative to `fromFile`, the pipeline
   * file. Optional: when absent, module stages are reported as unsupported.
   */
  loadModule?(specifier: string, fromFile: string): Promise<StageCatalogEntry>;
}

/**
 * A catalog over a fixed list of entries (plus an optional module loader): enough for tests and for
 * programs that register their own stages.
 *
 * @example
 * ```ts
 * import { catalogOf } from "./catalog.ts";
 * const catalog = catalogOf([
 *   { name: "numbers", inType: "none", outType: "number", options: {}, description: "counts" },
 * ]);
 * catalog.names(); // ["numbers"]
 * ```
 */
export function catalogOf(
  entries: readonly StageCatalogEntry[],
  loadModule?: (specifier: string, fromFile: string) => Promise<StageCatalogEntry>,
): StageCatalog {
  const byName = new Map(entries.map((e) => [e.name, e]));
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    ...(loadModule ? { loadModule } : {}),
  };
}
