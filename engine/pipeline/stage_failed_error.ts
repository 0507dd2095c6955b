/**
 * The error that stops a pipeline when an item fails in a stage with `onError: "fail"`.
 * @module
 */
import { redactUrlsIn, SluiceError } from "../errors.ts";

/**
 * A stage's item failed with `onError: "fail"`, which stops the pipeline.
 *
 * @example
 * ```ts
 * const error = new StageFailedError("parse", "https://x/feed", new Error("bad xml"));
 * console.log(error.message); // stage `parse` failed on https://x/feed: bad xml
 * ```
 */
export class StageFailedError extends SluiceError {
  /**
   * Builds the error for `item` failing in `stage`; the message names both and the cause's message.
   *
   * @param stage name of the failing stage
   * @param item short label of the failing item (URL, entry id); undefined when it has none
   * @param cause the item's error, kept as `cause`
   */
  constructor(readonly stage: string, readonly item: string | undefined, cause: unknown) {
    super(
      "E_STAGE_FAILED",
      `stage \`${stage}\` failed${item ? ` on ${item}` : ""}: ${messageOf(cause)}`,
      "set `on-error: drop` or `dead-letter` on the stage to keep going past failing items",
      { cause },
    );
  }
}

/**
 * The message of an error, or the string form of anything else thrown.
 *
 * @param e what was thrown
 * @returns a one-line description
 * @example
 * ```ts
 * messageOf(new Error("bad xml")); // "bad xml"
 * ```
 */
export function messageOf(e: unknown): string {
  return redactUrlsIn(e instanceof Error ? e.message : String(e));
}
