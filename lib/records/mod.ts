/**
 * Records in files: reading lines, JSON lines, JSON, CSV or bytes from files, globs and stdin as a
 * stream, and writing them to files (append, or replace atomically) or stdout.
 *
 * @example
 * ```ts
 * import { csvRow, formatOfPath } from "./mod.ts";
 * console.log(formatOfPath("x.csv", "lines"), csvRow(["a", "b"])); // csv a,b
 * ```
 * @module
 */
export { CsvParser, csvRow } from "./csv.ts";
export { formatOfPath, RECORD_FORMATS, type RecordFormat } from "./formats.ts";
export { expandSource, readRecords, type ReadRecordsOptions } from "./read_records.ts";
export { RecordWriter, type RecordWriterOptions } from "./record_writer.ts";
