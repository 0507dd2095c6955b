/**
 * Loading pipelines from YAML: positions for every key and value, `${VAR}` interpolation, option
 * schemas with defaults, type checks between stages, and errors rendered like a compiler's.
 *
 * @example
 * ```ts
 * import { catalogOf } from "./catalog.ts";
 * import { ConfigErrors } from "./config_error.ts";
 * import { parsePipelineConfig } from "./load_pipeline_config.ts";
 * // The built-in stages are `builtinStages()` of stages/registry.ts (cli/load.ts loads with them).
 * const catalog = catalogOf([{ name: "numbers", inType: "none", outType: "number", options: {}, description: "counts" }]);
 * try {
 *   await parsePipelineConfig("name: n\nstages:\n  - use: nubmers\n", "n.yaml", { catalog });
 * } catch (e) {
 *   if (e instanceof ConfigErrors) console.error(e.format()); // n.yaml:3:10: unknown stage `nubmers` ...
 * }
 * ```
 * @module
 */
export {
  catalogOf,
  type OptionProblem,
  type StageCatalog,
  type StageCatalogEntry,
  type StageNeed,
} from "./catalog.ts";
export { ConfigError, ConfigErrorCode, ConfigErrors, type ConfigNote } from "./config_error.ts";
export { DurationError, parseDuration } from "./duration.ts";
export {
  type Environment,
  interpolate,
  type Interpolation,
  type MalformedReference,
  type VariableReference,
} from "./interpolate.ts";
export { loadPipelineConfig, type LoadPipelineOptions, parsePipelineConfig } from "./load_pipeline_config.ts";
export { isModuleSpecifier, type ModuleStageReference, parseModuleSpecifier } from "./module_specifier.ts";
export { KEY_ALIASES, PIPELINE_KEYS, RETRY_KEYS, STAGE_KEYS } from "./pipeline_keys.ts";
export {
  type ConfigPath,
  formatPosition,
  noPositions,
  type PathPositions,
  type Position,
  type Span,
} from "./position.ts";
export { resolveStage } from "./resolve_stage.ts";
export {
  type OptionSchema,
  type OptionSpec,
  type ValidatedOptions,
  validateOptions,
  type ValidationContext,
} from "./schema.ts";
export {
  type ItemSetting,
  type NoEffect,
  type SettingsWithoutEffect,
  settingsWithoutEffect,
  SOURCE_SETTINGS,
} from "./settings_without_effect.ts";
export { type LoadedYaml, readYamlWithPositions } from "./source_map.ts";
export type { ErrorPolicy, PipelineSpec, Placement, RetrySpec, StageSpec } from "./spec.ts";
export { editDistance, suggest } from "./suggest.ts";
export { type BuildContext, buildPipeline, type StageFactory, StageRegistry } from "./stage_factory.ts";
export { checkStageTypes, type TypedStage, typeFits } from "./type_check.ts";
