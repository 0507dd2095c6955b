/**
 * `exec`: streams items through an external command (process placement), one line or JSON line per
 * item each way.
 * @module
 */
import { processMap } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";

/** The `exec` stage for YAML. */
export const execStage: StageFactory = {
  name: "exec",
  description: "streams items through an external command (stdin/stdout, lines or JSON lines)",
  inType: "any",
  outType: "any",
  example: `- use: exec
  with:
    command: [jq, -c, "{title: .entry.title}"]
    format: jsonl`,
  options: {
    command: {
      type: "string[]",
      required: true,
      argv: true,
      description: "the program and its arguments, as a list",
    },
    format: {
      type: "string",
      enum: ["lines", "jsonl"],
      default: "jsonl",
      description: "item encoding (`lines`: an object item is written as JSON)",
    },
  },
  defaults: { placement: "process" },
  streamsItems: true,
  placements: ["process"],
  placementNote: "it streams every item through one external command",
  create: (o) =>
    processMap({ command: o.command as string[], format: o.format as "lines" | "jsonl" }, { name: "exec" }),
};
