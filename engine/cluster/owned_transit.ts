/**
 * Items of a single-owner stage on their way to the process holding their owner: one message in
 * `SLUICE_OWNED` per item, on the subject `sluice.owned.<owner hash>.<job>`. The message is a line of JSON
 * (job, the item's key, and the sequences of its parts when it is large) followed by the item's bytes. An
 * item larger than a NATS message may be (the server's `max_payload`, 1 MB by default; a composed mail with
 * its images easily is) is cut into chunks published to `SLUICE_PARTS` first; the holder reads them back by
 * sequence and deletes them once the item is acknowledged.
 * @module
 */
import { createHash } from "node:crypto";
import type { JsMsg } from "npm:@nats-io/jetstream@^3.4.0";
import { concatBytes } from "../concat_bytes.ts";
import { retryTransient } from "../nats/transient.ts";
import { OWNED_STREAM, PARTS_STREAM, type WorkQueue } from "./work_queue.ts";

/** The header line of an item in transit. */
interface TransitHeader {
  job: string;
  key: string;
  /** Sequences in `SLUICE_PARTS` of the item's chunks, in order (absent: the bytes follow the header). */
  parts?: number[];
}

/**
 * An item as the holder reads it.
 *
 * @example
 * ```ts
 * const t: OwnedItem = { job: "j1", key: "<a@sluice>", bytes: new Uint8Array(), parts: [] };
 * ```
 */
export interface OwnedItem {
  job: string;
  key: string;
  bytes: Uint8Array;
  /** The chunks to delete once the item is acknowledged. */
  parts: number[];
}

/**
 * The subject token of an owner: the first 24 hex digits of its SHA-256.
 *
 * @example
 * ```ts
 * import { ownerHash } from "./owned_transit.ts";
 * ownerHash("imap://bob@127.0.0.1:1143").length; // 24
 * ```
 */
export function ownerHash(owner: string): string {
  return createHash("sha256").update(owner).digest("hex").slice(0, 24);
}

/** Room left in a message for its header line. */
const HEADER_ROOM = 16 * 1024;

/**
 * Publishes an item for the holder of `owner` and resolves once JetStream stored it. The message id
 * (job, owner and key) makes a second hand-off of the same item within the stream's duplicate window
 * count once.
 *
 * @example
 * ```ts ignore
 * await publishOwned(queue, "j1", "imap://bob@mail:143", "<a@sluice>", bytes, 1024 * 1024);
 * ```
 */
export async function publishOwned(
  queue: WorkQueue,
  job: string,
  owner: string,
  key: string,
  bytes: Uint8Array,
  maxPayload: number,
): Promise<void> {
  const hash = ownerHash(owner);
  const encoder = new TextEncoder();
  const header: TransitHeader = { job, key };
  let body = bytes;
  if (bytes.length + HEADER_ROOM > maxPayload) {
    const chunk = Math.max(1024, Math.min(512 * 1024, maxPayload - HEADER_ROOM));
    header.parts = [];
    for (let at = 0; at < bytes.length; at += chunk) {
      const ack = await retryTransient(() =>
        queue.js.publish(`sluice.part.${job}`, bytes.subarray(at, Math.min(bytes.length, at + chunk)))
      );
      header.parts.push(ack.seq);
    }
    body = new Uint8Array();
  }
  const head = encoder.encode(JSON.stringify(header) + "\n");
  const id = createHash("sha256").update(`${job}\n${hash}\n${key}`).digest("hex").slice(0, 32);
  await retryTransient(() =>
    queue.js.publish(`sluice.owned.${hash}.${job}`, concatBytes([head, body]), { msgID: id })
  );
}

/**
 * An item whose chunks are gone (deleted after an earlier delivery, or expired): it cannot be read again.
 *
 * @example
 * ```ts
 * import { OwnedItemLost } from "./owned_transit.ts";
 * const e = new OwnedItemLost("j1", "<a@sluice>", "part 7 is gone");
 * ```
 */
export class OwnedItemLost extends Error {
  constructor(readonly job: string, readonly key: string, message: string) {
    super(message);
  }
}

/**
 * Reads an item from its message (its parts too); undefined for a message that is not one.
 *
 * @throws OwnedItemLost when a chunk is gone
 *
 * @example
 * ```ts ignore
 * const item = await readOwned(queue, msg);
 * ```
 */
export async function readOwned(queue: WorkQueue, msg: JsMsg): Promise<OwnedItem | undefined> {
  const data = msg.data;
  const end = data.indexOf(10);
  if (end < 0) return undefined;
  let header: TransitHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(0, end))) as TransitHeader;
  } catch {
    return undefined;
  }
  if (!header.parts) return { job: header.job, key: header.key, bytes: data.subarray(end + 1), parts: [] };
  const chunks: Uint8Array[] = [];
  for (const seq of header.parts) {
    const lost = () => new OwnedItemLost(header.job, header.key, `part ${seq} is gone from ${PARTS_STREAM}`);
    const stored = await retryTransient(() => queue.jsm.streams.getMessage(PARTS_STREAM, { seq })).catch(
      (e) => {
        if (/no message found|not found/i.test((e as Error).message)) throw lost();
        throw e;
      },
    );
    if (!stored) throw lost();
    chunks.push(stored.data);
  }
  return { job: header.job, key: header.key, bytes: concatBytes(chunks), parts: header.parts };
}

/**
 * Deletes an acknowledged item's chunks (what is left expires with the stream's day).
 *
 * @example
 * ```ts ignore
 * await deleteParts(queue, item.parts);
 * ```
 */
export async function deleteParts(queue: WorkQueue, parts: number[]): Promise<void> {
  for (const seq of parts) await queue.jsm.streams.deleteMessage(PARTS_STREAM, seq, false).catch(() => {});
}

/**
 * Drops a cancelled job's items still queued for holders.
 *
 * @example
 * ```ts ignore
 * await purgeOwned(queue, "j1");
 * ```
 */
export async function purgeOwned(queue: WorkQueue, job: string): Promise<void> {
  await queue.jsm.streams.purge(OWNED_STREAM, { filter: `sluice.owned.*.${job}` }).catch(() => {});
  await queue.jsm.streams.purge(PARTS_STREAM, { filter: `sluice.part.${job}` }).catch(() => {});
}
