/**
 * `write`: a sink of records into a file (appended, or replaced atomically) or stdout.
 * @module
 */
import { setImmediate } from "node:timers";
import type { SettingsWithoutEffect, StageFactory } from "../engine/config/mod.ts";
import type { Stage } from "../engine/pipeline/mod.ts";
import { formatOfPath, type RecordFormat, RecordWriter } from "../lib/records/mod.ts";

/** Records written in one call to the operating system, at most. */
const MAX_BATCH = 1024;

const STOPS =
  "a failed write stops the run (exit 3) with the file as far as it got, so nothing counts as written that is not in it";

/**
 * The stage settings `write` cannot honour: it writes its whole input in arrival order, a batch of records a
 * call, and handles no item on its own that a setting could retry, time or set aside.
 *
 * @example
 * ```ts
 * import { WRITE_SETTINGS } from "./write.ts";
 * console.log(WRITE_SETTINGS.retry?.hint); // says what to do instead
 * ```
 */
export const WRITE_SETTINGS: SettingsWithoutEffect = {
  retry: {
    reason: `records go to the file in batches, not one by one: ${STOPS}`,
    hint: "remove it; run the pipeline again once the cause is fixed (`mode: replace` starts the file over)",
  },
  onError: {
    reason: `no record fails on its own: ${STOPS}`,
    hint: "remove it; to set records aside, do it in a stage before `write` (a `filter`, or a `map` with " +
      "`on-error: dead-letter`)",
  },
  deadLetter: {
    reason: `no record fails on its own: ${STOPS}`,
    hint: "remove it; put `dead-letter:` on the stage before `write` whose items may fail",
  },
  concurrency: {
    reason: "one writer keeps the file in arrival order",
    hint: "remove it; `capacity:` sets how many records may wait for the writer",
  },
  ordered: {
    reason: "records are always written in arrival order",
    hint: "remove it",
  },
  timeout: {
    reason: "it writes batches of records, not one item at a time that could be timed",
    hint: "remove it; the pipeline's `budget:` limits the whole run",
  },
};

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
  settingsWithoutEffect: WRITE_SETTINGS,
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
 * A sink writing each item as a record, in arrival order: items are handed to the operating system in
 * batches (those that arrived in one turn of the event loop), into the file, or into the temporary file of a
 * `replace`, which is renamed over the target when the run ends without error and removed when it fails. A
 * failed write stops the run (exit 3) with the file as far as it got: nothing is reported written that was not.
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
  return {
    options: {
      name: "write",
      placement: "loop",
      concurrency: 1,
      capacity: 512,
      ordered: true,
      onError: "fail",
      outType: "none",
    },
    body: {
      kind: "stream",
      // One reader keeps the file in arrival order; what has arrived is written in one call, up to MAX_BATCH.
      // A sink's stream yields nothing: its output type is `none`.
      // deno-lint-ignore require-yield
      stream: async function* (input, ctx) {
        const writer = await RecordWriter.open(target, options);
        let done = false;
        try {
          const items = input[Symbol.asyncIterator]();
          let next = items.next();
          let batch: unknown[] = [];
          while (true) {
            const r = batch.length === 0 ? await next : await Promise.race([next, turn()]);
            if (r === IDLE) {
              await writer.write(batch);
              batch = [];
              continue;
            }
            if (r.done) break;
            batch.push(r.value);
            next = items.next();
            if (batch.length >= MAX_BATCH) {
              await writer.write(batch);
              batch = [];
            }
          }
          if (batch.length > 0) await writer.write(batch);
          done = !ctx.signal.aborted;
        } finally {
          if (done) await writer.commit();
          else await writer.abandon();
        }
      },
    },
  };
}

const IDLE = Symbol("idle");

/** Resolves after the current turn of the event loop: the items that arrived in it form a batch. */
function turn(): Promise<typeof IDLE> {
  return new Promise((resolve) => setImmediate(() => resolve(IDLE)));
}

function formatOf(o: Record<string, unknown>): RecordFormat {
  return (o.format as RecordFormat | undefined) ?? formatOfPath(String(o.path ?? ""), "jsonl");
}
