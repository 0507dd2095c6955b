/**
 * Reading a pipeline file's text, with the errors a user meets there (a TypeScript module given instead,
 * a path that does not exist, a read the runtime refuses) as {@linkcode ConfigErrors} at the file.
 * @module
 */
import process from "node:process";
import { PERMISSION_HINT, permissionProblem } from "../permission_error.ts";
import { nodeReadTextFile } from "../runtime/node_common.ts";
import { ConfigError, ConfigErrorCode, ConfigErrors } from "./config_error.ts";
import type { Span } from "./position.ts";

/**
 * The text of the pipeline file `file`. Throws {@linkcode ConfigErrors} (`E_CONFIG_FILE`) when it is a
 * TypeScript or JavaScript module, or cannot be read (the runtime's refusal has the flags to add as hint).
 * `read` reads the file (default: `node:fs/promises`, loaded on the first call; the CLI's main thread
 * passes `runtime.readTextFile`, which does not load `node:fs` under Deno).
 *
 * @example
 * ```ts
 * import { readPipelineFile } from "./read_pipeline_file.ts";
 * const text = await readPipelineFile("pipelines/rss2imap.yaml");
 * console.log(text.includes("stages:")); // true
 * ```
 */
export async function readPipelineFile(
  file: string,
  read: (file: string) => Promise<string> = nodeReadTextFile,
): Promise<string> {
  const span: Span = { pos: { file, line: 0, column: 0 }, length: 0 };
  if (/\.(ts|mts|js|mjs)$/i.test(file)) {
    // Read as YAML it would fail with a baffling syntax error on its first import line.
    const reason = "a TypeScript or JavaScript module is not a pipeline file (those are YAML)";
    const hint = "run a pipeline built in TypeScript as a script that passes it to sluice's `runPipeline` " +
      "(mod.ts), with `deno run -A script.ts` or `bun script.ts`";
    throw new ConfigErrors(file, [new ConfigError(ConfigErrorCode.File, reason, span, { hint })]);
  }
  try {
    return await read(file);
  } catch (e) {
    const reason = `cannot read pipeline file: ${(e as Error).message}`;
    const hint = permissionProblem(e)
      ? PERMISSION_HINT
      : `check the path (relative paths start at ${process.cwd()})`;
    throw new ConfigErrors(file, [new ConfigError(ConfigErrorCode.File, reason, span, { hint, cause: e })]);
  }
}
