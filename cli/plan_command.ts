/**
 * `plan`: prints how a pipeline will run.
 * @module
 */
import { EXIT } from "./exit_codes.ts";
import { loadOrReport } from "./load.ts";
import { planMermaid, planRows, planText } from "./plan.ts";

/**
 * Prints the plan of `file` in `format` and returns the exit code.
 *
 * @example
 * ```ts
 * await planCommand("pipelines/rss2imap.yaml", "mermaid");
 * ```
 */
export async function planCommand(file: string, format: "text" | "mermaid" | "json"): Promise<number> {
  const loaded = await loadOrReport(file);
  if (typeof loaded === "number") return loaded;
  const { spec, pipeline } = loaded;
  if (format === "mermaid") console.log(planMermaid(pipeline));
  else if (format === "json") {
    console.log(JSON.stringify({ name: spec.name, stages: planRows(pipeline) }, null, 2));
  } else console.log(planText(pipeline, spec.name));
  return EXIT.OK;
}
