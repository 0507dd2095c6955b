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
  settingsWithoutEffect: {
    retry: {
      reason: "it streams every item through one process, which cannot take an item back",
      hint: "remove it (`on-error` and `dead-letter` do work here); for per-item retries, use a module " +
        "stage (or `map`) that runs the command for each item",
    },
    concurrency: {
      reason: "one process reads every item in turn",
      hint: "remove it; for several processes at once, use a module stage (or `map`) that runs the command",
    },
    ordered: {
      reason: "the command answers in the order it reads, one line per item",
      hint: "remove it",
    },
    timeout: {
      reason: "one process handles every item, so no single item can be timed out",
      hint: "remove it; the pipeline's `budget:` limits the whole run",
    },
  },
  placements: ["process"],
  placementNote: "it streams every item through one external command",
  create: (o) =>
    processMap({ command: o.command as string[], format: o.format as "lines" | "jsonl" }, { name: "exec" }),
};
