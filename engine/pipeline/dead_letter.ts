/**
 * Dead letters: a failed item with its error, appended as one JSON line to a file or sent to a channel,
 * so nothing that failed is lost.
 * @module
 */
import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Channel } from "../kernel/mod.ts";
import type { DeadLetter } from "./stage.ts";
import { redactUrlsIn, SluiceError } from "../errors.ts";

/**
 * Builds the dead letter of `item` failed with `error` in `stage`.
 *
 * @example
 * ```ts
 * const letter = deadLetterOf("parse", { url: "u" }, new Error("bad xml"));
 * console.log(letter.error); // "bad xml"
 * ```
 */
export function deadLetterOf(stage: string, item: unknown, error: unknown): DeadLetter {
  return {
    stage,
    error: redactUrlsIn(error instanceof Error ? error.message : String(error)),
    ...(error instanceof SluiceError ? { code: error.code } : {}),
    item: jsonSafe(item),
    at: new Date().toISOString(),
  };
}

/**
 * Writes dead letters to `target`: a JSONL file path (created with its folder) or a channel.
 *
 * @example
 * ```ts
 * await writeDeadLetter("/tmp/failed.jsonl", deadLetterOf("s", 1, new Error("x")));
 * ```
 */
export async function writeDeadLetter(
  target: string | Channel<DeadLetter>,
  letter: DeadLetter,
): Promise<void> {
  if (typeof target !== "string") return target.send(letter);
  await mkdir(path.dirname(path.resolve(target)), { recursive: true });
  await appendFile(target, JSON.stringify(letter) + "\n");
}

/** JSON-friendly copy: bytes become their length, URLs (alone or in text) lose credentials, cycles are cut. */
function jsonSafe(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (value instanceof Date) return value.toISOString();
  // A URL, or text quoting one (an entry's HTML, a command's output line): no credentials in a dead letter.
  if (typeof value === "string") return redactUrlsIn(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[cycle]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v, seen);
  return out;
}
