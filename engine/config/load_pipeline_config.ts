/**
 * Loads a pipeline file: YAML with positions, `${VAR}` filled from the environment, top-level keys and
 * every stage validated, `use:` resolved through the stage catalog, and consecutive stages type-checked.
 * Every mistake in the file is collected and thrown together as {@linkcode ConfigErrors}.
 * @module
 */
import path from "node:path";
import { runtime } from "../runtime/mod.ts";
import { CronError, parseCron } from "../schedule/cron.ts";
import { parseStoreSpec } from "../state/open_store.ts";
import { StateStoreError } from "../state/store.ts";
import type { StageCatalog } from "./catalog.ts";
import { ConfigError, ConfigErrorCode, ConfigErrors } from "./config_error.ts";
import type { Environment } from "./interpolate.ts";
import { PIPELINE_KEYS } from "./pipeline_keys.ts";
import type { PathPositions } from "./position.ts";
import { readPipelineFile } from "./read_pipeline_file.ts";
import { validateOptions } from "./schema.ts";
import { readYamlWithPositions } from "./source_map.ts";
import type { PipelineSpec } from "./spec.ts";
import { StageLoader } from "./stage_loader.ts";

/**
 * Where variables come from (the process environment when absent) and which stages exist.
 *
 * @example
 * ```ts
 * import { catalogOf } from "./catalog.ts";
 * const options: LoadPipelineOptions = { env: { FEEDS: "" }, catalog: catalogOf([]) };
 * ```
 */
export interface LoadPipelineOptions {
  /** Values for `${VAR}` references; undefined: the process environment. */
  env?: Environment;
  /** The stages `use:` may name (built-ins, plus module loading when it has `loadModule`). */
  catalog: StageCatalog;
}

/**
 * Reads and loads the pipeline file `file`. Throws {@linkcode ConfigErrors} with every mistake found
 * (including a file that cannot be read).
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./load_pipeline_config.ts";
 * import { ConfigErrors } from "./config_error.ts";
 * import { catalogOf } from "./catalog.ts";
 * // The built-in stages are `builtinStages()` of stages/registry.ts (cli/load.ts loads with them).
 * const catalog = catalogOf([{ name: "numbers", inType: "none", outType: "number", options: {}, description: "counts" }]);
 * try {
 *   const spec = await loadPipelineConfig("no-such-pipeline.yaml", { catalog });
 *   console.log(spec.stages.map((s) => s.id));
 * } catch (e) {
 *   if (e instanceof ConfigErrors) console.error(e.format()); // no-such-pipeline.yaml: cannot read ...
 *   else throw e;
 * }
 * ```
 */
export async function loadPipelineConfig(file: string, options: LoadPipelineOptions): Promise<PipelineSpec> {
  return await parsePipelineConfig(await readPipelineFile(file), file, options);
}

/**
 * Loads a pipeline from `text`, reporting positions in `file` (module stages and dead-letter paths are
 * relative to `file`'s folder). Throws {@linkcode ConfigErrors} with every mistake found.
 *
 * @example
 * ```ts
 * import { catalogOf } from "./catalog.ts";
 * import { parsePipelineConfig } from "./load_pipeline_config.ts";
 * const catalog = catalogOf([
 *   { name: "numbers", inType: "none", outType: "number", options: {}, description: "counts" },
 * ]);
 * const spec = await parsePipelineConfig("name: n\nstages:\n  - use: numbers\n", "n.yaml", { catalog });
 * console.log(spec.stages[0].pos); // { file: "n.yaml", line: 3, column: 5 }
 * ```
 */
export async function parsePipelineConfig(
  text: string,
  file: string,
  options: LoadPipelineOptions,
): Promise<PipelineSpec> {
  const env = options.env ?? ((name: string) => runtime.env(name));
  const loaded = readYamlWithPositions(text, file, env);
  if (loaded.syntaxFailed) throw new ConfigErrors(file, loaded.errors);
  const errors = [...loaded.errors];
  const root = loaded.positions;
  const data = loaded.data;
  if (!isRecord(data)) {
    const got = data === null ? "an empty file" : Array.isArray(data) ? "a list" : JSON.stringify(data);
    errors.push(
      new ConfigError(
        ConfigErrorCode.MissingStages,
        `a pipeline file is a mapping with \`name:\` and \`stages:\`, got ${got}`,
        root.valueSpan(),
        { hint: "start with `name: my-pipeline` and `stages:` followed by `- use: <stage>` items" },
      ),
    );
    throw new ConfigErrors(file, errors);
  }
  const top = validateOptions(PIPELINE_KEYS, data, root, {
    noun: "top-level key",
    unknownCode: ConfigErrorCode.UnknownKey,
  });
  errors.push(...top.errors);
  if (typeof top.value.schedule === "string") errors.push(...checkSchedule(top.value.schedule, root));
  if (typeof top.value.state === "string") errors.push(...checkState(top.value.state, root));
  const loader = new StageLoader(file, options.catalog, errors);
  const stages = await loader.stages(data.stages, root.child("stages"));
  if (errors.length > 0) throw new ConfigErrors(file, errors);
  const spec: PipelineSpec = {
    file,
    name: (top.value.name as string | undefined) ?? path.basename(file).replace(/\.[^.]*$/, ""),
    stages,
  };
  if (top.value.description !== undefined) spec.description = top.value.description as string;
  if (top.value.schedule !== undefined) spec.schedule = top.value.schedule as string;
  if (top.value.budget !== undefined) spec.budget = top.value.budget as number;
  if (top.value.memory !== undefined) spec.memory = top.value.memory as number;
  const pool = top.value.pool as { size?: number } | undefined;
  if (pool?.size !== undefined) spec.pool = { size: pool.size };
  if (top.value.metrics !== undefined) spec.metrics = top.value.metrics as string;
  if (top.value.state !== undefined) spec.state = top.value.state as string;
  if (top.value.cluster !== undefined) spec.cluster = top.value.cluster as { nats?: string };
  return spec;
}

/** A state location no store can open (`ftp:x`, `sqlite:` without a path) is reported at its value. */
function checkState(state: string, root: PathPositions): ConfigError[] {
  try {
    parseStoreSpec(state);
    return [];
  } catch (e) {
    if (!(e instanceof StateStoreError)) throw e;
    const span = root.child("state").valueSpan();
    return [new ConfigError(ConfigErrorCode.BadState, `\`state\`: ${e.message}`, span, { hint: e.hint })];
  }
}

/** A schedule the scheduler could not read is a mistake in the file: report it at its value. */
function checkSchedule(schedule: string, root: PathPositions): ConfigError[] {
  try {
    parseCron(schedule);
    return [];
  } catch (e) {
    if (!(e instanceof CronError)) throw e;
    const span = root.child("schedule").valueSpan();
    return [
      new ConfigError(ConfigErrorCode.BadSchedule, `\`schedule\`: ${e.message}`, span, { hint: e.hint }),
    ];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
