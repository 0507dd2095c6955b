/**
 * `write`: a sink of records into a file (appended, or replaced atomically) or stdout.
 * @module
 */
import { GroupCommit } from "../engine/kernel/mod.ts";
import type { StageFactory } from "../engine/config/mod.ts";
import type { Stage } from "../engine/pipeline/mod.ts";
import { formatOfPath, type RecordFormat, RecordWriter } from "../lib/records/mod.ts";

/** Records written in one call to the operating system, at most. */
const MAX_BATCH = 1024;

/**
 * The `write` stage for YAML: `path: ./out.jsonl`, `mode: append | replace`.
 *
 * @example
 * ```ts
 * import { writeStage } from "./write.ts";
 * const stage = writeStage.create({ path: "out.jsonl", mode: "append" }, {});
 * ```
 */
export const writeStage: StageFactory = {
  name: "write",
  description:
    "writes records to a file (append, or replace atomically) or stdout (`-`): jsonl, lines, csv, json",
  inType: "any",
  outType: "none",
  options: {
    path: { type: "string", required: true, path: true, description: "the file, or `-` for stdout" },
    format: {
      type: "string",
      enum: ["jsonl", "lines", "csv", "json", "bytes"],
      description: "default from the extension: .jsonl/.ndjson, .csv, .json, else jsonl",
    },
    mode: {
      type: "string",
      enum: ["append", "replace"],
      default: "append",
      description:
        "append to the file, or replace it at the end of the run (write a temporary file, then rename)",
    },
    columns: {
      type: "string[]",
      description: "csv: the columns in order (default: the first record's keys)",
    },
  },
  placements: ["loop"],
  placementNote:
    "it does its I/O on the event loop, where waiting costs nothing; a worker would only add a copy of each item",
  checkOptions: (o) =>
    formatOf(o) === "json" && o.mode !== "replace" && o.path !== "-"
      ? [{
        option: "mode",
        message: "a JSON array cannot be appended to",
        hint: "use `mode: replace` for json, or `format: jsonl` to append",
      }]
      : [],
  create: (o) =>
    writeRecords(o.path as string, {
      format: formatOf(o),
      mode: o.mode as "append" | "replace",
      columns: o.columns as string[] | undefined,
    }),
};

/**
 * A sink writing each item as a record: an item counts as done once it is handed to the operating system
 * (in the file, or in the temporary file of a `replace`, which is renamed over the target when the run ends
 * without error and removed when it fails).
 *
 * @example
 * ```ts
 * import { writeRecords } from "./write.ts";
 * const out = writeRecords("out.jsonl", { format: "jsonl", mode: "append" });
 * ```
 */
export function writeRecords(
  target: string,
  options: { format: RecordFormat; mode: "append" | "replace"; columns?: string[] },
): Stage<unknown, never> {
  let writer: Promise<RecordWriter> | undefined;
  let commit: GroupCommit<unknown, void> | undefined;
  return {
    options: {
      name: "write",
      placement: "loop",
      // Items are written in the order they arrive, many per write: the batch is what the concurrency buys.
      concurrency: 256,
      capacity: 512,
      ordered: false,
      onError: "fail",
      outType: "none",
    },
    body: {
      kind: "transform",
      open: () => {
        writer = RecordWriter.open(target, options);
        commit = new GroupCommit<unknown, void>(async (_key, items) => {
          await (await writer!).write(items);
          return items.map(() => undefined);
        }, { maxBatch: MAX_BATCH });
      },
      handle: async (item) => {
        await commit!.submit(item);
        return { none: true };
      },
      close: async (ctx) => {
        // A file that never opened has failed every item already: nothing to finish.
        const w = await writer?.catch(() => undefined);
        if (!w) return;
        if (ctx.signal.aborted) await w.abandon();
        else await w.commit();
      },
    },
  };
}

function formatOf(o: Record<string, unknown>): RecordFormat {
  return (o.format as RecordFormat | undefined) ?? formatOfPath(String(o.path ?? ""), "jsonl");
}
