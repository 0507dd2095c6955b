/**
 * Loading a pipeline file into a runnable pipeline: YAML -> validated spec (with positions) -> stages.
 * @module
 */
import process from "node:process";
import {
  ConfigErrors,
  type Environment,
  loadPipelineConfig,
  type PipelineSpec,
} from "../engine/config/mod.ts";
import type { Pipeline } from "../engine/pipeline/mod.ts";
import { buildPipeline } from "../engine/config/stage_factory.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Loads and validates `file` against the built-in stages; throws `ConfigErrors` listing every mistake.
 *
 * @example
 * ```ts
 * const { spec, pipeline } = await loadPipeline("pipelines/rss2imap.yaml");
 * console.log(spec.name, pipeline.names().length); // rss2imap 7
 * ```
 */
export async function loadPipeline(
  file: string,
  // A lookup, not a copy: Deno's scoped --allow-env=FEEDS,... refuses listing the environment, and an
  // empty copy would silently replace FEEDS and IMAP_URL with the YAML's defaults.
  env: Environment = (name) => runtime.env(name),
): Promise<{ spec: PipelineSpec; pipeline: Pipeline }> {
  const registry = builtinStages();
  const spec = await loadPipelineConfig(file, { env, catalog: registry });
  return { spec, pipeline: buildPipeline(spec, registry) };
}

/**
 * {@linkcode loadPipeline} for the commands: a configuration error is printed (every error, with its
 * position) and comes back as the exit code `EXIT.CONFIG`.
 *
 * @example
 * ```ts
 * const loaded = await loadOrReport("pipelines/rss2imap.yaml");
 * if (typeof loaded === "number") console.log("exit code", loaded); // the errors were printed
 * else console.log(loaded.pipeline.names());
 * ```
 */
export async function loadOrReport(
  file: string,
  env?: Environment,
): Promise<Awaited<ReturnType<typeof loadPipeline>> | number> {
  try {
    return await loadPipeline(file, env);
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    process.stderr.write(e.format() + "\n");
    return EXIT.CONFIG;
  }
}
