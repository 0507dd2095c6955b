/**
 * The three ways of writing the delivery ledger ({@linkcode DeliveryMarks.markDelivered},
 * {@linkcode DeliveryMarks.markDeliveredMany}, {@linkcode DeliveryMarks.markAllSeen}), written once over the
 * one write an adapter implements: record some entries of a scope, delivered or seen, and clear their
 * "sending" marks in the same transaction.
 * @module
 */
import { type DeliveryRecord, scopeKey } from "./store.ts";

/**
 * What a state-store adapter extends for its delivery-ledger writes: it implements `recordDeliveries` and
 * gets the contract's three marking methods, each taking the scope as the caller gives it (a feed URL with
 * its credentials redacted by {@linkcode scopeKey} before anything is written).
 *
 * @example
 * ```ts
 * import { DeliveryMarks } from "./delivery_marks.ts";
 * import type { DeliveryRecord } from "./store.ts";
 * class Ledger extends DeliveryMarks {
 *   written: Array<[string, string[], boolean]> = [];
 *   protected recordDeliveries(scope: string, entries: readonly DeliveryRecord[], seen: boolean) {
 *     this.written.push([scope, entries.map((e) => e.id), seen]);
 *     return Promise.resolve();
 *   }
 * }
 * const ledger = new Ledger();
 * await ledger.markAllSeen("https://bob:pw@x/feed", ["a", "b"]);
 * ledger.written; // [["https://***:***@x/feed", ["a", "b"], true]]
 * ```
 */
export abstract class DeliveryMarks {
  /**
   * Records `entries` of `scope` (already redacted) as delivered, or as seen when `seen`: the first record
   * of an id wins, and each entry's "sending" mark is cleared in the same transaction.
   */
  protected abstract recordDeliveries(
    scope: string,
    entries: readonly DeliveryRecord[],
    seen: boolean,
  ): Promise<void>;

  /** Records a confirmed delivery (see `StateStore.markDelivered`). */
  markDelivered(
    scope: string,
    id: string,
    info: { folder?: string; messageId?: string } = {},
  ): Promise<void> {
    return this.recordDeliveries(scopeKey(scope), [{ id, ...info }], false);
  }

  /** Records many deliveries in one transaction (see `StateStore.markDeliveredMany`). */
  markDeliveredMany(scope: string, entries: DeliveryRecord[]): Promise<void> {
    return this.recordDeliveries(scopeKey(scope), entries, false);
  }

  /** Marks ids as seen without delivering them (see `StateStore.markAllSeen`). */
  markAllSeen(scope: string, ids: string[]): Promise<void> {
    return this.recordDeliveries(scopeKey(scope), ids.map((id) => ({ id })), true);
  }
}
