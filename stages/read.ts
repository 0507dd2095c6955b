/**
 * `read`: a source of records from a file, a glob or stdin, streamed (bounded memory).
 * @module
 */
import type { StageFactory } from "../engine/config/mod.ts";
import { source } from "../engine/pipeline/mod.ts";
import { formatOfPath, readRecords, RECORD_FORMATS, type RecordFormat } from "../lib/records/mod.ts";

const OUT_TYPES: Record<RecordFormat, string> = {
  lines: "string",
  jsonl: "any",
  json: "any",
  csv: "any",
  bytes: "Uint8Array",
};

/**
 * The `read` stage for YAML: `path: ./events.jsonl` (or `logs/*.log`, or `-` for stdin).
 *
 * @example
 * ```ts
 * import { readStage } from "./read.ts";
 * const stage = readStage.create({ path: "events.jsonl", header: true }, {});
 * ```
 */
export const readStage: StageFactory = {
  name: "read",
  description: "reads records from a file, a glob or stdin (`-`), streamed: lines, jsonl, json, csv or bytes",
  inType: "none",
  outType: "any",
  options: {
    path: {
      type: "string",
      required: true,
      path: true,
      description: "a file, a glob in the file name (`logs/*.log`), or `-` for stdin",
    },
    format: {
      type: "string",
      enum: [...RECORD_FORMATS],
      description:
        "lines (a string a line), jsonl, json (an array's elements; read whole), csv (objects by the header row), " +
        "bytes (64 KiB chunks); default from the extension: .jsonl/.ndjson, .json, .csv, else lines",
    },
    header: {
      type: "boolean",
      default: true,
      description: "csv: the first row names the fields (false: arrays)",
    },
  },
  placements: ["loop"],
  placementNote:
    "it does its I/O on the event loop, where waiting costs nothing; a worker would only add a copy of each item",
  forOptions: (o) => ({ outType: OUT_TYPES[formatOf(o)] }),
  create: (o) => {
    const format = formatOf(o);
    return source(
      (ctx) => readRecords(o.path as string, { format, header: o.header as boolean, signal: ctx.stopSignal }),
      { name: "read", outType: OUT_TYPES[format] },
    );
  },
};

function formatOf(o: Record<string, unknown>): RecordFormat {
  return (o.format as RecordFormat | undefined) ?? formatOfPath(String(o.path ?? ""), "lines");
}
