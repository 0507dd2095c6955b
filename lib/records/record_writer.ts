/**
 * Writes records to a file or stdout. `append` adds to the file; `replace` writes a temporary file next to
 * it and renames it over the old one at `commit` (readers see the old file or the whole new one, never a
 * half-written one). `write` resolves once the records are handed to the operating system, so what a
 * caller acknowledged after it is in the file (append) or in the temporary file (replace).
 * @module
 */
import { open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { SluiceError } from "../../engine/errors.ts";
import { csvRow } from "./csv.ts";
import type { RecordFormat } from "./formats.ts";

/** Bytes handed to the operating system in one call, at most (unless one record is larger). */
const BUFFER_BYTES = 256 * 1024;

/** Options of {@linkcode RecordWriter}. */
export interface RecordWriterOptions {
  /** How records are written (`bytes` writes byte arrays and text as they are). */
  format: RecordFormat;
  /** `append` (default) or `replace` (atomic: a temporary file renamed at commit). */
  mode?: "append" | "replace";
  /** CSV: the columns, in order; default the keys of the first record. */
  columns?: string[];
}

/**
 * One output file (or stdout, `-`) taking batches of records.
 *
 * @example
 * ```ts ignore
 * const out = await RecordWriter.open("out.jsonl", { format: "jsonl" });
 * await out.write([{ a: 1 }, { a: 2 }]);
 * await out.commit();
 * ```
 */
export class RecordWriter {
  #handle?: FileHandle;
  #columns?: string[];
  #first = true;
  #encoder = new TextEncoder();
  /** Encoded records waiting for the next write call to the operating system. */
  #buffer = new Uint8Array(BUFFER_BYTES);
  #used = 0;

  private constructor(
    readonly target: string,
    readonly options: RecordWriterOptions,
    readonly tempFile: string | undefined,
  ) {
    this.#columns = options.columns;
  }

  /** Opens `target` for writing (creating it; a `replace` writes to a temporary file beside it). */
  static async open(target: string, options: RecordWriterOptions): Promise<RecordWriter> {
    const replace = options.mode === "replace" && target !== "-";
    const temp = replace
      ? path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
      : undefined;
    const writer = new RecordWriter(target, options, temp);
    if (target !== "-") {
      try {
        writer.#handle = await open(temp ?? target, replace ? "w" : "a");
      } catch (e) {
        throw writeError(target, e);
      }
      if (!replace && options.format === "csv") writer.#first = (await writer.#handle.stat()).size === 0;
    }
    if (options.format === "json") await writer.#put("[");
    return writer;
  }

  /** Writes `records`; resolves once they are handed to the operating system. */
  async write(records: readonly unknown[]): Promise<void> {
    for (const record of records) {
      switch (this.options.format) {
        case "jsonl":
          await this.#text(JSON.stringify(record), true);
          break;
        case "json":
          await this.#text(this.#first ? "\n" : ",\n", false);
          await this.#text(JSON.stringify(record), false);
          this.#first = false;
          break;
        case "csv":
          await this.#text(this.#csv(record), false);
          break;
        case "bytes":
          if (record instanceof Uint8Array) {
            await this.#flush();
            await this.#put(record);
          } else await this.#text(String(record), false);
          break;
        default:
          await this.#text(typeof record === "string" ? record : JSON.stringify(record), true);
      }
    }
    await this.#flush();
  }

  /**
   * Encodes `text` (and a newline) straight into the writer's buffer, which goes to the operating system
   * when full and at the end of each `write`. Joining a batch's records into one string first, then
   * encoding it, made two more copies of every record (the joined string, the encoded bytes).
   */
  async #text(text: string, newline: boolean): Promise<void> {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most = text.length * 3 + 1;
    if (this.#used + most > this.#buffer.length) {
      await this.#flush();
      if (most > this.#buffer.length) this.#buffer = new Uint8Array(most);
    }
    this.#used += this.#encoder.encodeInto(text, this.#buffer.subarray(this.#used)).written;
    if (newline) this.#buffer[this.#used++] = 10;
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    await this.#put(this.#buffer.subarray(0, used));
  }

  /** Finishes the file: closes a JSON array, and for `replace` renames the temporary file over the target. */
  async commit(): Promise<void> {
    if (this.options.format === "json") await this.#put("\n]\n");
    if (!this.#handle) return;
    try {
      if (this.tempFile) await this.#handle.sync();
      await this.#handle.close();
      this.#handle = undefined;
      if (this.tempFile) await rename(this.tempFile, this.target);
    } catch (e) {
      throw writeError(this.target, e);
    }
  }

  /** Gives up: closes the file, and for `replace` removes the temporary file (the old target stays). */
  async abandon(): Promise<void> {
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
    if (this.tempFile) await rm(this.tempFile, { force: true });
  }

  #csv(record: unknown): string {
    const row = Array.isArray(record)
      ? record
      : typeof record === "object" && record !== null
      ? record
      : [record];
    let out = "";
    if (!Array.isArray(row)) {
      this.#columns ??= Object.keys(row);
      if (this.#first) out += csvRow(this.#columns) + "\n";
      out += csvRow(this.#columns.map((c) => (row as Record<string, unknown>)[c])) + "\n";
    } else {
      if (this.#first && this.#columns) out += csvRow(this.#columns) + "\n";
      out += csvRow(row) + "\n";
    }
    this.#first = false;
    return out;
  }

  async #put(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? this.#encoder.encode(data) : data;
    if (!this.#handle) {
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(bytes, (e) => (e ? reject(writeError("stdout", e)) : resolve()))
      );
      return;
    }
    try {
      let done = 0;
      while (done < bytes.length) done += (await this.#handle.write(bytes, done)).bytesWritten;
    } catch (e) {
      throw writeError(this.target, e);
    }
  }
}

function writeError(target: string, e: unknown): SluiceError {
  const code = (e as { code?: string }).code;
  return new SluiceError(
    "E_WRITE_FILE",
    `cannot write ${target}: ${(e as Error).message}`,
    code === "ENOSPC"
      ? "the disk is full: free space; the records not written were not acknowledged and fail"
      : code === "ENOENT"
      ? "the folder does not exist: create it (relative paths in the pipeline file start at its folder)"
      : code === "EACCES"
      ? "no permission to write there"
      : undefined,
    { cause: e },
  );
}
