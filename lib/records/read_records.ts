/**
 * Reads records from files, globs or stdin as a stream: a file is read in 64 KiB chunks and each record
 * is handed on before the next chunk is read, so a 2 GB file takes the memory of a chunk plus what the
 * consumer holds (the consumer's backpressure pauses the reading).
 * @module
 */
import { createReadStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { SluiceError } from "../../engine/errors.ts";
import { CsvParser } from "./csv.ts";
import type { RecordFormat } from "./formats.ts";

/** Options of {@linkcode readRecords}. */
export interface ReadRecordsOptions {
  /** How records are stored. */
  format: RecordFormat;
  /** CSV: the first row names the fields (records are objects); false: records are arrays. Default true. */
  header?: boolean;
  /** Stops the reading between records. */
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;

/**
 * The records of `source`: a file, a glob whose last part has `*` or `?` (`logs/*.log`, matched files in
 * name order), or `-` for stdin.
 *
 * @example
 * ```ts ignore
 * for await (const event of readRecords("events.jsonl", { format: "jsonl" })) console.log(event);
 * ```
 */
export async function* readRecords(source: string, options: ReadRecordsOptions): AsyncGenerator<unknown> {
  for (const file of await expandSource(source)) {
    if (options.signal?.aborted) return;
    yield* readOne(file, options);
  }
}

/**
 * The files `source` names: itself, `-`, or the matches of a glob in its last path segment.
 *
 * @example
 * ```ts ignore
 * await expandSource("logs/*.log"); // ["logs/a.log", "logs/b.log"]
 * ```
 */
export async function expandSource(source: string): Promise<string[]> {
  const base = path.basename(source);
  if (source === "-" || !/[*?]/.test(base)) return [source];
  const dir = path.dirname(source);
  const pattern = new RegExp(
    "^" + base.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*").replaceAll("?", "[^/]") + "$",
  );
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new SluiceError(
      "E_READ_GLOB",
      `cannot list ${dir} for ${source}: ${(e as Error).message}`,
      "check the folder",
      {
        cause: e,
      },
    );
  }
  return names.filter((n) => pattern.test(n)).sort().map((n) => path.join(dir, n));
}

async function* readOne(file: string, options: ReadRecordsOptions): AsyncGenerator<unknown> {
  const where = file === "-" ? "stdin" : file;
  if (options.format === "json") {
    const text = file === "-" ? await readAll(chunks(file)) : await readFile(file, "utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SluiceError(
        "E_READ_JSON",
        `${where} is not JSON: ${(e as Error).message}`,
        "for one JSON value a line use `format: jsonl`",
      );
    }
    if (Array.isArray(value)) yield* value;
    else yield value;
    return;
  }
  if (options.format === "bytes") {
    for await (const chunk of chunks(file)) yield chunk;
    return;
  }
  const decoder = new TextDecoder();
  const csv = options.format === "csv" ? new CsvParser() : undefined;
  let header: string[] | undefined;
  const record = (row: string[]) => {
    if (options.header === false) return row;
    if (!header) {
      header = row;
      return undefined;
    }
    return Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""]));
  };
  let rest = "";
  let lineNo = 0;
  const line = (text: string): unknown => {
    lineNo++;
    if (options.format === "lines") return text;
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new SluiceError(
        "E_READ_JSONL",
        `${where}:${lineNo}: not a JSON value: ${(e as Error).message}`,
        "each line of a jsonl file holds one JSON value; for plain text use `format: lines`",
      );
    }
  };
  for await (const chunk of chunks(file)) {
    if (options.signal?.aborted) return;
    const text = decoder.decode(chunk, { stream: true });
    if (csv) {
      for (const row of csv.push(text)) {
        const r = record(row);
        if (r !== undefined) yield r;
      }
      continue;
    }
    // Lines are cut from the chunk's text itself: only the line that spans two chunks is joined. (Joining
    // every chunk to the rest of the last one copied the whole file once more, a large share of a big
    // read's garbage.)
    let nl = text.indexOf("\n");
    if (nl < 0) {
      rest += text;
      continue;
    }
    let r = line(withoutCr(rest + text.slice(0, nl)));
    if (r !== undefined) yield r;
    let start = nl + 1;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      r = line(withoutCr(text.slice(start, nl)));
      start = nl + 1;
      if (r !== undefined) yield r;
    }
    rest = text.slice(start);
  }
  const tail = decoder.decode();
  if (csv) {
    for (const row of [...csv.push(tail), ...csv.end()]) {
      const r = record(row);
      if (r !== undefined) yield r;
    }
    return;
  }
  rest += tail;
  if (rest !== "") {
    const r = line(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
    if (r !== undefined) yield r;
  }
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

async function* chunks(file: string): AsyncGenerator<Uint8Array> {
  const stream = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) {
      yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk as Uint8Array;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new SluiceError(
      "E_READ_FILE",
      `cannot read ${file}: ${(e as Error).message}`,
      code === "ENOENT"
        ? "check the path (relative paths in the pipeline file start at its folder)"
        : undefined,
      { cause: e },
    );
  } finally {
    if (file !== "-") (stream as { destroy?: () => void }).destroy?.();
  }
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of source) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
