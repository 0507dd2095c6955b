/**
 * Loading a pipeline file into a runnable pipeline: YAML -> validated spec (with positions) -> stages.
 * @module
 */
import { loadPipelineConfig, type PipelineSpec } from "../engine/config/mod.ts";
import { buildPipeline, type Pipeline } from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { builtinStages } from "../stages/registry.ts";

/**
 * Loads and validates `file` against the built-in stages; throws `ConfigErrors` listing every mistake.
 *
 * @example
 * ```ts ignore
 * const { spec, pipeline } = await loadPipeline("pipelines/rss2imap.yaml");
 * ```
 */
export async function loadPipeline(
  file: string,
  env: Record<string, string | undefined> = runtime.envObject(),
): Promise<{ spec: PipelineSpec; pipeline: Pipeline }> {
  const registry = builtinStages();
  const spec = await loadPipelineConfig(file, { env, catalog: registry });
  return { spec, pipeline: buildPipeline(spec, registry) };
}
