/**
 * The record of an item that failed for good, shared by the runner and the chain runner.
 * @module
 */
/**
 * One item that failed for good: what a run's summary lists (`RunSummary.failures`).
 *
 * @example
 * ```ts
 * const f: ItemFailure = { stage: "fetch", item: "https://example.org/feed.xml", error: "HTTP 404" };
 * ```
 */
export interface ItemFailure {
  /** Name of the stage the item failed in. */
  stage: string;
  /** Short label of the item (URL, entry id); undefined when the item has none. */
  item?: string;
  /** The error's message. */
  error: string;
  /** The error's sluice code (`E_STAGE_TIMEOUT`...); undefined for errors that are not a `SluiceError`. */
  code?: string;
  /** What to do about it (a `SluiceError`'s hint, e.g. which option raises a limit); undefined when none. */
  hint?: string;
}
