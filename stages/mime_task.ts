/**
 * The worker-pool task of the `mime` stage, in a module of its own: a pool worker imports only the MIME
 * writer (16 modules) and not the stage's pipeline engine (97 modules).
 *
 * Under Bun the pool's worker registers the `npm:` plugin before it imports task modules, so the static
 * `npm:` imports of `lib/mime/header_encoding.ts` resolve in a worker too.
 * @module
 */
import type { EntryItem, MailMessage } from "./types.ts";
import { type TransferResult, transferResult } from "../engine/kernel/pool_transfer.ts";
import { composeMessage, type ComposeOptions } from "../lib/mime/compose.ts";

/**
 * Pool task of the `mime` stage: composes on a worker and moves the message bytes back instead of
 * copying them. (Image bytes go to the worker as copies: the image cache shares them between entries.)
 *
 * @example Not run here: the `mime` stage calls it on the worker pool with an entry the earlier stages built.
 * ```ts ignore
 * const msg = await pool.run(MIME_TASK, [item, {}]);
 * ```
 */
export async function composeMessageTask(
  item: EntryItem,
  options: ComposeOptions = {},
): Promise<TransferResult<MailMessage>> {
  const msg = await composeMessage(item, options);
  const own = msg.raw.byteOffset === 0 && msg.raw.byteLength === msg.raw.buffer.byteLength;
  return transferResult(msg, own ? [msg.raw.buffer as ArrayBuffer] : []);
}
