/**
 * The options of the mail sinks (`upload-imap`, `maildir`, `mailbox`) and their defaults, for TypeScript
 * pipelines and YAML alike.
 * @module
 */
import type { OAuthTokenSource } from "../lib/imap/oauth_token.ts";
import type { OAuthMechanism } from "../lib/imap/sasl_oauth.ts";

/** Options of the IMAP sink. */
export interface ImapSinkOptions {
  /** `imap://user:pass@host:port` or `imaps://...`. */
  url: string;
  /** State location (delivered ids); default: the pipeline's. */
  state?: string;
  /** Most messages per MULTIAPPEND. */
  maxBatch?: number;
  /**
   * Search the folder for every entry's id before appending (slower). Crashes are covered without it;
   * it adds safety when the state store does not know what the folder holds (a lost or reset state
   * directory, or another sluice with its own state delivering to the same folders).
   */
  serverCheck?: boolean;
  /** PEM file of an extra trusted CA (a private server's self-signed certificate). */
  caFile?: string;
  /**
   * IMAP connections, each owning a share of the folders (default 2: the server appends on both at once,
   * 9-12% faster on the W1 benchmark than one; a folder always goes to the same connection, in order).
   */
  connections?: number;
  /**
   * Log in with an OAuth 2.0 access token (SASL XOAUTH2 or OAUTHBEARER) instead of the URL's password;
   * `mechanism` defaults to XOAUTH2 when offered (see `tokenFromCommand`, `tokenFromRefresh`).
   */
  oauth?: { token: OAuthTokenSource; mechanism?: OAuthMechanism };
  /**
   * Several accounts: a top-level folder (`Work` covers `Work/Releases`) to the URL of the account that
   * holds it; other folders go to `url`. Each account has its own connections and fails alone: a refused
   * login fails that account's messages (named in the summary, exit 2), the others are delivered.
   */
  accounts?: Record<string, string>;
}

/** The defaults of the sinks' options (TypeScript and YAML alike). */
export const MAILBOX_DEFAULTS = {
  maxBatch: 50,
  serverCheck: false,
  connections: 2,
  maildir: "./mail",
  fsync: true,
} as const;

/** Options of the Maildir sink. */
export interface MaildirSinkOptions {
  /** The Maildir root. */
  path: string;
  /** State location recording delivered entries (sqlite dir, `kv:PATH`, `memory:`); default: the pipeline's. */
  state?: string;
  /** fsync each message (default true). */
  fsync?: boolean;
}
