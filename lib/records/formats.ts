/**
 * The record formats of files sluice reads and writes, and the default format of a file by its extension.
 * @module
 */
import path from "node:path";

/**
 * How a file holds records: a line each (`lines`), a JSON value a line (`jsonl`), one JSON array or value
 * (`json`), CSV rows with a header (`csv`), or raw chunks (`bytes`).
 *
 * @example
 * ```ts
 * const format: RecordFormat = "jsonl";
 * ```
 */
export type RecordFormat = "lines" | "jsonl" | "json" | "csv" | "bytes";

/**
 * The record formats by name, for option schemas.
 *
 * @example
 * ```ts
 * import { RECORD_FORMATS } from "./formats.ts";
 * RECORD_FORMATS.includes("csv"); // true
 * ```
 */
export const RECORD_FORMATS: readonly RecordFormat[] = ["lines", "jsonl", "json", "csv", "bytes"];

/**
 * The format a file's extension implies: `.jsonl`/`.ndjson` -> jsonl, `.json` -> json, `.csv` -> csv,
 * anything else (and stdin/stdout, `-`) -> `fallback`.
 *
 * @example
 * ```ts
 * import { formatOfPath } from "./formats.ts";
 * formatOfPath("events.ndjson", "lines"); // "jsonl"
 * formatOfPath("app.log", "lines"); // "lines"
 * ```
 */
export function formatOfPath(file: string, fallback: RecordFormat): RecordFormat {
  switch (path.extname(file).toLowerCase()) {
    case ".jsonl":
    case ".ndjson":
      return "jsonl";
    case ".json":
      return "json";
    case ".csv":
      return "csv";
    default:
      return fallback;
  }
}
