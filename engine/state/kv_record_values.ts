/**
 * The values the two key-value adapters (Deno KV and NATS JetStream KV) store under their keys: one shape
 * for both, so a record means the same whichever bucket holds it.
 *
 * @example
 * ```ts
 * import type { DeliveryValue } from "./kv_record_values.ts";
 * const seen: DeliveryValue = { at: new Date(0).toISOString(), seen: true };
 * console.log(seen.seen); // true
 * ```
 * @module
 */

/** A feed record of an older schema, read by the upgrade that moves it to generic values. */
export interface FeedValue {
  url: string;
  state: unknown;
}

/** A scope of the ledger (its key part may be a hash). */
export interface ScopeValue {
  scope: string;
}

/** A generic value, with its key kept whole (the bucket's key may be a hash). */
export interface KeyValueValue {
  key: string;
  value: unknown;
}

/** A sending mark: a message on its way to the mailbox. */
export interface SendingValue {
  feedUrl: string;
  id: string;
  folder: string;
  messageId: string;
  at: string;
}

/** One entry of the delivery ledger. */
export interface DeliveryValue {
  folder?: string;
  messageId?: string;
  at: string;
  seen: boolean;
}
