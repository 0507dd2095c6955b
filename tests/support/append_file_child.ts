/**
 * A run of the example append-file sink in a process of its own, so a test can make it die mid-way:
 * `COUNT` messages of one feed go to `FILE` with the ledger at `STATE`, in batches of 4. With
 * `CRASH=MODE` and `CRASH_AT_BATCH=N` the process exits with code 137, as if killed, at the Nth batch:
 * `after-write` once the lines are in the file and before they are recorded, `before-write` after the
 * "sending" marks and before any line is written, `torn-write` half-way through a line. The sink has no
 * hook for it: this wraps the writer's method before the run.
 *
 * @example Not run here: the process dies on purpose (`tests/example_sink_test.ts` runs it).
 * ```ts ignore
 * // deno run -A tests/support/append_file_child.ts  (FILE=... STATE=... COUNT=20 CRASH=after-write CRASH_AT_BATCH=2)
 * ```
 * @module
 */
import { appendFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { fromIterable, pipeline, runPipeline, silentLogger } from "../../mod.ts";
import { appendFileSink, AppendFileWriter } from "./append_file_sink.ts";
import type { MailMessage } from "../../stages/types.ts";

/** The path of this script, to run as a child process. */
export const APPEND_FILE_CHILD: string = fileURLToPath(import.meta.url);

/** The feed every message of the child's run comes from. */
export const CHILD_FEED = "https://example.org/feed.xml";

/**
 * The `i`th message of a run.
 *
 * @example
 * ```ts
 * childMessage(1).entryId; // "entry-1"
 * ```
 */
export function childMessage(i: number): MailMessage {
  return {
    folder: "News",
    raw: new TextEncoder().encode(`Subject: entry ${i}\r\n\r\nbody ${i}\r\n`),
    date: new Date("2026-01-02T03:04:05Z"),
    feedUrl: CHILD_FEED,
    entryId: `entry-${i}`,
    messageId: `<entry-${i}@sluice.test>`,
  };
}

if (import.meta.main) {
  const env = process.env;
  const file = env.FILE!;
  const mode = env.CRASH ?? "";
  const crashAt = Number(env.CRASH_AT_BATCH ?? 0);
  let batches = 0;
  const original = AppendFileWriter.prototype.appendBatch;
  AppendFileWriter.prototype.appendBatch = async function (messages: MailMessage[]) {
    if (++batches === crashAt) {
      if (mode === "before-write") process.exit(137);
      if (mode === "torn-write") {
        await appendFile(file, `{"feedUrl":"${CHILD_FEED}","entryId":"${messages[0].entryId}","mess`);
        process.exit(137);
      }
    }
    await original.call(this, messages);
    if (batches === crashAt && mode === "after-write") process.exit(137);
  };
  const messages = Array.from({ length: Number(env.COUNT) }, (_, i) => childMessage(i + 1));
  const summary = await runPipeline(
    pipeline(fromIterable(messages)).to(appendFileSink({ file, state: env.STATE!, maxBatch: 4 })),
    { logger: silentLogger, measureLag: false },
  );
  if (!summary.ok) {
    console.error(summary.error ?? summary.failures);
    process.exit(1);
  }
}
