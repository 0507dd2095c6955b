/**
 * `check`: validates a pipeline file without running it.
 * @module
 */
import { ConfigErrors } from "../engine/config/mod.ts";
import { EXIT } from "./exit_codes.ts";
import { loadPipeline } from "./load.ts";

/**
 * Validates `file`; prints every error and returns 1, or prints a one-line OK and returns 0.
 *
 * @example
 * ```ts ignore
 * const code = await checkCommand("pipelines/rss2imap.yaml");
 * ```
 */
export async function checkCommand(file: string): Promise<number> {
  try {
    const { spec } = await loadPipeline(file);
    console.log(`${file}: ok (pipeline ${spec.name}, ${spec.stages.length} stages)`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof ConfigErrors) {
      console.error(e.format());
      return EXIT.CONFIG;
    }
    throw e;
  }
}
