/**
 * Loading pipelines from YAML: parsing with positions, `${VAR}` interpolation, option schemas, type checks
 * between stages, and errors at file:line:col with a hint. `buildPipeline` (from `mod.ts`) turns a
 * loaded spec into a runnable pipeline.
 *
 * @example
 * ```ts
 * import { catalogOf, ConfigErrors, parsePipelineConfig } from "./config.ts";
 *
 * const catalog = catalogOf([
 *   { name: "numbers", inType: "none", outType: "number", options: {}, description: "counts" },
 * ]);
 * const spec = await parsePipelineConfig("name: n\nstages:\n  - use: numbers\n", "n.yaml", { catalog });
 * console.log(spec.stages.length); // 1
 * try {
 *   await parsePipelineConfig("name: n\nstages:\n  - use: nubmers\n", "n.yaml", { catalog });
 * } catch (e) {
 *   if (e instanceof ConfigErrors) console.log(e.format()); // n.yaml:3:10 ... did you mean `numbers`?
 * }
 * ```
 * @module
 */
export {
  catalogOf,
  ConfigError,
  ConfigErrorCode,
  ConfigErrors,
  type ConfigNote,
  type ConfigPath,
  type Environment,
  type ErrorPolicy,
  formatPosition,
  type ItemSetting,
  loadPipelineConfig,
  type LoadPipelineOptions,
  type NoEffect,
  noPositions,
  type OptionProblem,
  type OptionSchema,
  type OptionSpec,
  parseDuration,
  parsePipelineConfig,
  type PathPositions,
  type PipelineSpec,
  type Position,
  type RetrySpec,
  type SettingsWithoutEffect,
  type Span,
  type StageCatalog,
  type StageCatalogEntry,
  type StageNeed,
  type StageSpec,
  suggest,
  typeFits,
  type ValidatedOptions,
  validateOptions,
  type ValidationContext,
} from "./engine/config/mod.ts";
// Turning a loaded spec into a runnable pipeline through a registry of stage factories.
export { type BuildContext, buildPipeline, type StageFactory, StageRegistry } from "./engine/config/mod.ts";
