/**
 * A logged-in session's life: what the server can do (capabilities), whether the connection is
 * encrypted or broken, keeping it alive (NOOP) and ending it (LOGOUT, or closing the socket). The
 * commands are added by `ImapClient` (`client.ts`); opening is `open_session.ts`.
 * @module
 */
import type { ImapConnection } from "./connection.ts";
import type { ImapEndpoint } from "./imap_url.ts";
import { requestCapabilities } from "./open_session.ts";

/** How long LOGOUT may take before the socket is closed anyway. */
const LOGOUT_WAIT_MS = 3_000;

/**
 * The lifecycle part of `ImapClient` (`client.ts`); use `ImapClient.connect` to get one.
 *
 * @example
 * ```ts
 * import { ImapClient } from "./client.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const session: ImapSession = await ImapClient.connect(dovecot.url);
 * if (!session.broken) await session.noop();
 * await session.logout();
 * ```
 */
export class ImapSession {
  /** Where this session is connected (no credentials). */
  readonly endpoint: Readonly<Omit<ImapEndpoint, "password">>;
  #conn: ImapConnection;

  /**
   * Wraps a logged-in connection (see `openSession`).
   *
   * @param conn the logged-in connection
   * @param endpoint the URL it was opened with (the password is not kept)
   */
  protected constructor(conn: ImapConnection, endpoint: ImapEndpoint) {
    this.#conn = conn;
    const { password: _password, ...rest } = endpoint;
    this.endpoint = rest;
  }

  /** Capabilities in upper case (`IMAP4REV1`, `LITERAL+`, `MULTIAPPEND`, `UIDPLUS`, ...). */
  get capabilities(): ReadonlySet<string> {
    return this.#conn.capabilities;
  }

  /** Whether the connection is encrypted. */
  get secure(): boolean {
    return this.#conn.secure;
  }

  /** Whether the connection failed (then every command rejects with `ImapConnectionError`). */
  get broken(): boolean {
    return this.#conn.broken !== undefined;
  }

  /**
   * Asks for the capabilities again.
   *
   * @returns the capability set
   * @example
   * ```ts
   * import { ImapClient } from "./client.ts";
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * (await client.capability()).has("MULTIAPPEND");
   * await client.logout();
   * ```
   */
  capability(): Promise<ReadonlySet<string>> {
    return requestCapabilities(this.#conn);
  }

  /**
   * Sends NOOP (keeps the session alive, shows new messages of the selected mailbox).
   *
   * @example
   * ```ts
   * import { ImapClient } from "./client.ts";
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.noop();
   * await client.logout();
   * ```
   */
  async noop(): Promise<void> {
    await this.#conn.run(["NOOP"], "NOOP");
  }

  /**
   * Says LOGOUT (politely, when the connection still works) and closes the socket. Never throws.
   *
   * @example
   * ```ts
   * import { ImapClient } from "./client.ts";
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.logout();
   * ```
   */
  async logout(): Promise<void> {
    if (!this.#conn.broken) {
      // A polite goodbye, but a shutdown must not wait a full command timeout for a stuck server.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#conn.run(["LOGOUT"], "LOGOUT").catch(() => {}),
        new Promise<void>((resolve) => timer = setTimeout(resolve, LOGOUT_WAIT_MS)),
      ]);
      clearTimeout(timer);
    }
    await this.#conn.close();
  }

  /**
   * Closes the socket without LOGOUT (for a connection that is broken or being abandoned).
   *
   * @example
   * ```ts
   * import { ImapClient } from "./client.ts";
   * import { startDovecot } from "../../tests/support/dovecot.ts";
   * await using dovecot = await startDovecot();
   * const client = await ImapClient.connect(dovecot.url);
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#conn.close();
  }
}
