/**
 * Opening a logged-in session: connect, secure the connection (imaps, or STARTTLS when the server
 * offers it and the TLS policy wants it), log in (LOGIN, or SASL PLAIN when LOGIN is disabled or the
 * credentials are not printable ASCII), and make sure the capabilities are known.
 * @module
 */
import { ImapConnection } from "./connection.ts";
import { astring, type CommandPart } from "./command_syntax.ts";
import { ImapConnectionError, ImapError } from "./errors.ts";
import { endpointLabel, type ImapEndpoint, isLoopbackHost, parseImapUrl } from "./imap_url.ts";
import { checkPlaintextLogin } from "./tls_policy.ts";
import type { OAuthTokenSource } from "./oauth_token.ts";
import { oauthErrorAcknowledgement, oauthInitialResponse, type OAuthMechanism } from "./sasl_oauth.ts";

/**
 * How to open a session, besides the URL.
 *
 * @example
 * ```ts
 * const o: SessionOptions = { ca: "-----BEGIN CERTIFICATE-----...", connectTimeoutMs: 5000 };
 * ```
 */
export interface SessionOptions {
  /** Extra trusted CA certificates (PEM), e.g. a self-signed test server's certificate. */
  ca?: string | string[];
  /** Verify the server certificate (default true). Turn off only for a test server. */
  tlsRejectUnauthorized?: boolean;
  /** Time to connect, finish TLS and get the greeting. Default 15 s. */
  connectTimeoutMs?: number;
  /** Longest server silence while a command is in flight. Default 60 s. */
  commandTimeoutMs?: number;
  /**
   * Log in with an OAuth 2.0 access token (SASL XOAUTH2 or OAUTHBEARER) instead of the URL's password.
   * `mechanism` defaults to XOAUTH2 when the server offers it, else OAUTHBEARER.
   */
  oauth?: { token: OAuthTokenSource; mechanism?: OAuthMechanism };
}

/**
 * A logged-in connection and the URL it was opened with.
 *
 * @example
 * ```ts
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const session: OpenedSession = await openSession(dovecot.url);
 * await session.conn.close();
 * ```
 */
export interface OpenedSession {
  /** The connection, logged in. */
  conn: ImapConnection;
  /** The parsed URL, credentials included. */
  endpoint: ImapEndpoint;
}

/**
 * Connects to `url`, secures the connection and logs in; closes the connection when any step fails.
 *
 * @param url `imap://user:pass@host:port` or `imaps://...`
 * @param options TLS trust, timeouts, plaintext permission
 * @returns the logged-in connection, its capabilities known
 * @throws {ImapError} `E_IMAP_AUTH` (login refused), `E_IMAP_TLS`, `E_IMAP_PLAINTEXT`, `E_IMAP_URL`
 * @throws {ImapConnectionError} when the server cannot be reached
 * @example
 * ```ts
 * import { openSession } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * await conn.close();
 * ```
 */
export async function openSession(url: string, options: SessionOptions = {}): Promise<OpenedSession> {
  const endpoint = parseImapUrl(url);
  const label = `${endpoint.user}@${endpointLabel(endpoint).replace(/^imaps?:\/\//, "")}`;
  const token = options.oauth ? await options.oauth.token.accessToken() : undefined;
  const conn = await ImapConnection.open({
    host: endpoint.host,
    port: endpoint.port,
    implicitTls: endpoint.implicitTls,
    label,
    ca: options.ca,
    tlsRejectUnauthorized: options.tlsRejectUnauthorized,
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    secrets: [endpoint.password, encodeURIComponent(endpoint.password), ...(token ? [token] : [])],
  });
  try {
    if (conn.greeting?.status !== "PREAUTH") {
      await secure(conn, endpoint);
      if (token !== undefined) await oauthLogin(conn, endpoint, token, options.oauth?.mechanism);
      else await login(conn, endpoint);
    }
    if (conn.capabilities.size === 0) await requestCapabilities(conn);
    return { conn, endpoint };
  } catch (e) {
    await conn.close();
    throw e;
  }
}

/**
 * Asks the server for its capabilities (CAPABILITY); the connection records them.
 *
 * @param conn the connection
 * @returns the connection's capability set, updated
 * @example
 * ```ts
 * import { openSession, requestCapabilities } from "./open_session.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot();
 * const { conn } = await openSession(dovecot.url);
 * (await requestCapabilities(conn)).has("MULTIAPPEND");
 * await conn.close();
 * ```
 */
export async function requestCapabilities(conn: ImapConnection): Promise<ReadonlySet<string>> {
  await conn.run(["CAPABILITY"], "CAPABILITY");
  return conn.capabilities;
}

async function secure(conn: ImapConnection, endpoint: ImapEndpoint): Promise<void> {
  if (endpoint.implicitTls || endpoint.tls === "off") return;
  if (conn.capabilities.size === 0) await requestCapabilities(conn);
  // On loopback nothing crosses a network, and local servers mostly have self-signed certificates:
  // `tls=auto` stays in plaintext there; `tls=starttls` insists.
  const upgrade = endpoint.tls === "starttls" || !isLoopbackHost(endpoint.host);
  if (upgrade && conn.capabilities.has("STARTTLS")) {
    await conn.startTls();
    await requestCapabilities(conn);
    return;
  }
  checkPlaintextLogin(endpoint);
}

async function login(conn: ImapConnection, endpoint: ImapEndpoint): Promise<void> {
  const caps = conn.capabilities;
  const plainSasl = caps.has("AUTH=PLAIN");
  try {
    if (plainSasl && (caps.has("LOGINDISABLED") || needsSasl(endpoint))) {
      const token = btoa(
        String.fromCharCode(...new TextEncoder().encode(`\0${endpoint.user}\0${endpoint.password}`)),
      );
      const parts: CommandPart[] = caps.has("SASL-IR")
        ? [`AUTHENTICATE PLAIN ${token}`]
        : ["AUTHENTICATE PLAIN", { afterContinuation: token }];
      await conn.run(parts, "AUTHENTICATE PLAIN");
    } else if (caps.has("LOGINDISABLED")) {
      throw new ImapError(
        "E_IMAP_AUTH",
        `${conn.label}: the server disables LOGIN and offers no AUTH=PLAIN`,
        "use imaps:// or a server that allows PLAIN authentication over TLS",
      );
    } else {
      await conn.run(["LOGIN ", astring(endpoint.user), " ", astring(endpoint.password)], "LOGIN");
    }
  } catch (e) {
    if (!(e instanceof ImapError) || e instanceof ImapConnectionError || e.code === "E_IMAP_AUTH") throw e;
    throw new ImapError(
      "E_IMAP_AUTH",
      `login as ${endpoint.user} on ${endpointLabel(endpoint)} refused: ${
        e.message.replace(/^.*? failed: /, "")
      }`,
      "check the user name and password in the IMAP URL (percent-encode @ : / and % in them)",
      { command: e.command, responseCode: e.responseCode, cause: e },
    );
  }
}

/** AUTHENTICATE XOAUTH2 / OAUTHBEARER; a refused token gets its own hint. */
async function oauthLogin(
  conn: ImapConnection,
  endpoint: ImapEndpoint,
  token: string,
  wanted: OAuthMechanism | undefined,
): Promise<void> {
  const caps = conn.capabilities;
  const mechanism = wanted ??
    (caps.has("AUTH=XOAUTH2") || !caps.has("AUTH=OAUTHBEARER") ? "XOAUTH2" : "OAUTHBEARER");
  if (!caps.has(`AUTH=${mechanism}`)) {
    const offered = [...caps].filter((c) => c.startsWith("AUTH=")).map((c) => c.slice(5)).join(" ") || "none";
    throw new ImapError(
      "E_IMAP_AUTH",
      `${conn.label}: the server does not offer SASL ${mechanism} (it offers: ${offered})`,
      "choose a mechanism the server offers (sasl: xoauth2 or oauthbearer), or log in with a password",
    );
  }
  const ir = oauthInitialResponse(mechanism, endpoint.user, token, endpoint.host, endpoint.port);
  // A refused token comes back as a `+` with the server's error; the acknowledgement then gets the NO.
  // An accepted one ends the command with OK and the acknowledgement is never sent.
  const ack = { afterContinuation: oauthErrorAcknowledgement(mechanism) };
  const parts: CommandPart[] = caps.has("SASL-IR")
    ? [`AUTHENTICATE ${mechanism} ${ir}`, ack]
    : [`AUTHENTICATE ${mechanism}`, { afterContinuation: ir }, ack];
  try {
    await conn.run(parts, `AUTHENTICATE ${mechanism}`);
  } catch (e) {
    if (!(e instanceof ImapError) || e instanceof ImapConnectionError) throw e;
    throw new ImapError(
      "E_IMAP_AUTH",
      `OAuth2 login (${mechanism}) as ${endpoint.user} on ${endpointLabel(endpoint)} refused: ${
        e.message.replace(/^.*? failed: /, "")
      }`,
      "the access token was refused: check that token-command (or the refresh token) gives a current token " +
        "for this account with the mail scope (Gmail: https://mail.google.com/, Microsoft: IMAP.AccessAsUser.All)",
      { command: e.command, responseCode: e.responseCode, cause: e },
    );
  }
}

/** The user or password needs SASL PLAIN: LOGIN's astring cannot carry NUL, and 8-bit is safer in SASL. */
function needsSasl(e: ImapEndpoint): boolean {
  return /[^\x20-\x7e]/.test(e.user + e.password);
}
