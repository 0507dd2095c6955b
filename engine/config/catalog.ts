/**
 * What the loader needs to know about stages: for each name, its input and output item types and its
 * option schema. The stage registry (stages/registry.ts) provides this; tests provide a small fake.
 * @module
 */
import type { OptionSchema } from "./schema.ts";

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
   * True for a stage that streams every item through one process (`exec`): `retry` cannot apply to it
   * (the process cannot take an item back), and the loader says so rather than ignore it.
   */
  streamsItems?: boolean;
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
