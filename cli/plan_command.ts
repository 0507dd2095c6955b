/**
 * `plan`: prints how a pipeline will run.
 * @module
 */
import { ConfigErrors } from "../engine/config/mod.ts";
import { EXIT } from "./exit_codes.ts";
import { loadPipeline } from "./load.ts";
import { planMermaid, planRows, planText } from "./plan.ts";

/**
 * Prints the plan of `file` in `format` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * await planCommand("pipelines/rss2imap.yaml", "mermaid");
 * ```
 */
export async function planCommand(file: string, format: "text" | "mermaid" | "json"): Promise<number> {
  try {
    const { spec, pipeline } = await loadPipeline(file);
    if (format === "mermaid") console.log(planMermaid(pipeline));
    else if (format === "json") console.log(JSON.stringify({ name: spec.name, stages: planRows(pipeline) }, null, 2));
    else console.log(planText(pipeline, spec.name));
    return EXIT.OK;
  } catch (e) {
    if (e instanceof ConfigErrors) {
      console.error(e.format());
      return EXIT.CONFIG;
    }
    throw e;
  }
}
