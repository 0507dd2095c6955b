/**
 * `cli.ts` with a crash built in, for the exactly-once tests: run this file instead of `cli.ts` (same
 * arguments) with `CRASH_AFTER_BATCHES=N`, and the process exits with code 137, as if killed, right after
 * the mailbox accepted its Nth batch (an IMAP APPEND answered OK, or Maildir files renamed into `new/`)
 * and before the sink could record the batch as delivered. With `CRASH_AFTER_UPDATES=N` instead, it
 * exits right after the Nth changed entry (`on-update`) was replaced or sent again, before it is recorded.
 * The product has no hook for it: this wraps the writers' methods before the CLI loads them.
 *
 * @example Not run here: the process it starts dies on purpose (`tests/rss2imap_crash_test.ts`).
 * ```ts ignore
 * import { runCliChild } from "./cli_child.ts";
 * import { CRASH_AFTER_APPEND_CLI } from "./crash_after_append.ts";
 * const crashed = await runCliChild(["pipelines/rss2imap.yaml"], { CRASH_AFTER_BATCHES: "2" }, {
 *   entry: CRASH_AFTER_APPEND_CLI,
 * });
 * ```
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { ImapUploader } from "../../lib/imap/uploader.ts";
import { MaildirWriter } from "../../lib/maildir/writer.ts";

/** The path of this script, to run in place of `cli.ts`. */
export const CRASH_AFTER_APPEND_CLI: string = fileURLToPath(import.meta.url);

// deno-lint-ignore no-explicit-any
type BatchMethod = (this: unknown, ...args: any[]) => Promise<unknown>;

let accepted = 0;

function crashAfterNthBatch(proto: Record<string, BatchMethod>, method: string, crashAfter: number): void {
  const original = proto[method];
  proto[method] = async function (...args) {
    const result = await original.apply(this, args);
    if (++accepted >= crashAfter) process.exit(137);
    return result;
  };
}

if (import.meta.main) {
  const crashAfter = Number(process.env.CRASH_AFTER_BATCHES);
  const crashAfterUpdates = Number(process.env.CRASH_AFTER_UPDATES);
  if (!(crashAfter > 0) && !(crashAfterUpdates > 0)) {
    throw new Error("set CRASH_AFTER_BATCHES (or CRASH_AFTER_UPDATES) to the batch to die after (1, 2...)");
  }
  if (crashAfter > 0) {
    crashAfterNthBatch(
      ImapUploader.prototype as unknown as Record<string, BatchMethod>,
      "appendBatch",
      crashAfter,
    );
    crashAfterNthBatch(
      MaildirWriter.prototype as unknown as Record<string, BatchMethod>,
      "writeBatch",
      crashAfter,
    );
  } else {
    // After an update (on-update) is complete in the mailbox (appended and the old one removed), before
    // the sink records it.
    crashAfterNthBatch(
      ImapUploader.prototype as unknown as Record<string, BatchMethod>,
      "updateEntry",
      crashAfterUpdates,
    );
    crashAfterNthBatch(
      MaildirWriter.prototype as unknown as Record<string, BatchMethod>,
      "replaceEntry",
      crashAfterUpdates,
    );
  }
  // The classes patched above live in this thread: the run must stay in it, not go in a thread of its own.
  process.env.SLUICE_YOUNG_GENERATION_MB = "0";
  await import("../../cli.ts");
}
