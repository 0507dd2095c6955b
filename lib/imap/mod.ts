/**
 * The IMAP client: one connection (plain, STARTTLS or implicit TLS), LOGIN, folder creation in the
 * server's hierarchy, APPEND / MULTIAPPEND / pipelined appends, header SEARCH (`ImapClient`), and the
 * uploader that delivers composed messages to folders in batches and reports what was stored
 * (`ImapUploader`).
 *
 * @example
 * ```ts
 * import { ImapUploader } from "./mod.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 *
 * await using dovecot = await startDovecot();
 * const up = new ImapUploader({ url: dovecot.url });
 * await up.connect();
 * const deliveries = await up.appendBatch("News", []);
 * await up.close();
 * ```
 * @module
 */
export {
  type AppendMessage,
  type AppendMode,
  type AppendOutcome,
  type AppendResult,
  ImapClient,
  type ImapClientOptions,
  type MailboxInfo,
} from "./client.ts";
export { ImapConnectionError, ImapError, isConnectionError, isPermanentRefusal } from "./errors.ts";
export { type ImapEndpoint, type ImapTlsMode, parseImapUrl } from "./imap_url.ts";
export {
  type OAuthTokenSource,
  type RefreshTokenGrant,
  tokenFromCommand,
  tokenFromRefresh,
} from "./oauth_token.ts";
export type { OAuthMechanism } from "./sasl_oauth.ts";
export type { SessionOptions } from "./open_session.ts";
export { decodeMailboxName, encodeMailboxName } from "./mailbox_name.ts";
export {
  deliveredBefore,
  ENTRY_ID_HEADER,
  ImapBatchError,
  ImapUploader,
  type ImapUploaderOptions,
  type RefusedMessage,
} from "./uploader.ts";
