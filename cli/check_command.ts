/**
 * `check`: validates a pipeline file without running it.
 * @module
 */
import { EXIT } from "./exit_codes.ts";
import { loadOrReport } from "./load.ts";

/**
 * Validates `file`; prints every error and returns 1, or prints a one-line OK and returns 0.
 *
 * @example
 * ```ts
 * const code = await checkCommand("pipelines/rss2imap.yaml"); // prints "...: ok (pipeline rss2imap, 7 stages)"
 * console.log(code); // 0
 * ```
 */
export async function checkCommand(file: string): Promise<number> {
  const loaded = await loadOrReport(file);
  if (typeof loaded === "number") return loaded;
  console.log(`${file}: ok (pipeline ${loaded.spec.name}, ${loaded.spec.stages.length} stages)`);
  return EXIT.OK;
}
