/**
 * What an APPEND batch that failed leaves behind: the messages the server stored before the failure
 * ({@linkcode deliveredBefore}), and the refusals of single messages ({@linkcode ImapBatchError}), so that the
 * caller confirms the stored ones and retries or reports the rest.
 * @module
 */
import { redactUrl } from "../../engine/errors.ts";
import { ImapError } from "./errors.ts";
import type { Delivery, MailMessage } from "../mime/types.ts";

/** Where a failed `appendBatch` call's error carries the deliveries made before it ({@linkcode markDelivered}). */
const DELIVERED = Symbol("sluice.imap.delivered");

/**
 * Records on `error` the deliveries a failed batch made before it failed; {@linkcode deliveredBefore} reads them.
 *
 * @example
 * ```ts
 * const e = markDelivered(new Error("connection lost"), []);
 * console.log(deliveredBefore(e).length); // 0
 * ```
 */
export function markDelivered<E>(error: E, deliveries: Delivery[]): E {
  if (error instanceof Error) (error as Error & { [DELIVERED]?: Delivery[] })[DELIVERED] = deliveries;
  return error;
}

/**
 * The messages of a failed {@linkcode ImapUploader.appendBatch} call that the server did store before
 * the failure (confirm these, retry the rest).
 *
 * @param error what `appendBatch` threw
 * @returns the deliveries the server confirmed (empty when none, or for other errors)
 * @example
 * ```ts
 * import type { MailMessage } from "../mime/types.ts";
 * import { ImapUploader } from "./uploader.ts";
 * const up = new ImapUploader({ url: "imap://bob:secret@127.0.0.1:1143" });
 * const messages: MailMessage[] = [];
 * try {
 *   await up.appendBatch("News", messages);
 * } catch (e) {
 *   console.log(deliveredBefore(e).length, "stored before the failure");
 * }
 * ```
 */
export function deliveredBefore(error: unknown): Delivery[] {
  if (error instanceof ImapBatchError) return error.delivered;
  return (error as { [DELIVERED]?: Delivery[] } | undefined)?.[DELIVERED] ?? [];
}

/**
 * One message the server refused, and its reason.
 *
 * @example
 * ```ts
 * import type { MailMessage } from "../mime/types.ts";
 * import { ImapError } from "./errors.ts";
 * const message: MailMessage = { folder: "News", raw: new Uint8Array(), date: new Date(), feedUrl: "u",
 *   entryId: "urn:entry:1", messageId: "<1@sluice>" };
 * const r: RefusedMessage = { message, error: new ImapError("E_IMAP_NO", "APPEND failed: NO too big") };
 * ```
 */
export interface RefusedMessage {
  message: MailMessage;
  error: ImapError;
}

/**
 * The server refused some messages of an `appendBatch` call (each was tried on its own); the others
 * are stored and listed in `delivered`. Not a connection error: retrying the same messages will not help.
 *
 * @example
 * ```ts
 * import { ImapBatchError } from "./batch_outcome.ts";
 * const e = new ImapBatchError("News", 3, [], []);
 * console.log(e.code); // E_IMAP_REFUSED
 * ```
 */
export class ImapBatchError extends ImapError {
  /** The refused messages with the server's reasons. */
  readonly refused: RefusedMessage[];
  /** The messages of the call that were stored. */
  readonly delivered: Delivery[];

  /**
   * @param folder the pipeline folder
   * @param total how many messages the call had
   * @param refused the refused messages
   * @param delivered the stored ones
   */
  constructor(folder: string, total: number, refused: RefusedMessage[], delivered: Delivery[]) {
    const first = refused[0];
    super(
      "E_IMAP_REFUSED",
      `${refused.length} of ${total} messages for IMAP folder '${folder}' refused` +
        (first
          ? `; entry ${first.message.entryId} of ${redactUrl(first.message.feedUrl)}: ${first.error.message}`
          : ""),
      "the other messages were stored; a refused message is usually too large for the server or malformed",
      { command: "APPEND", responseCode: first?.error.responseCode, cause: first?.error },
    );
    this.refused = refused;
    this.delivered = delivered;
  }
}
