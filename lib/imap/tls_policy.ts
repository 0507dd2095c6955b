/**
 * When a password may be sent without TLS. sluice uses TLS whenever it can (imaps, or STARTTLS when the
 * server offers it, except on loopback unless `?tls=starttls`) and verifies certificates; the password
 * goes in the clear only on loopback (`?tls=off` is refused for any other host by `parseImapUrl`). No option
 * turns this off: a trusted network today is a coffee-shop Wi-Fi tomorrow.
 * @module
 */
import { ImapError } from "./errors.ts";
import { endpointLabel, type ImapEndpoint, isLoopbackHost } from "./imap_url.ts";

/**
 * Throws unless a plaintext login to `endpoint` is acceptable. Called when the server offers no STARTTLS.
 *
 * @param endpoint the parsed URL (its `tls` mode and host decide)
 * @throws {ImapError} `E_IMAP_TLS` when the URL demands STARTTLS; `E_IMAP_PLAINTEXT` for a remote host
 * @example
 * ```ts
 * import { checkPlaintextLogin } from "./tls_policy.ts";
 * import { parseImapUrl } from "./imap_url.ts";
 * checkPlaintextLogin(parseImapUrl("imap://bob:pw@127.0.0.1:1143")); // fine: loopback
 * ```
 */
export function checkPlaintextLogin(endpoint: ImapEndpoint): void {
  const where = endpointLabel(endpoint);
  if (endpoint.tls === "starttls") {
    throw new ImapError(
      "E_IMAP_TLS",
      `${where} does not offer STARTTLS, but the URL asks for it (tls=starttls)`,
      "use imaps:// if the server has an implicit-TLS port (993), or enable TLS on the server",
    );
  }
  if (endpoint.implicitTls || isLoopbackHost(endpoint.host)) return;
  throw new ImapError(
    "E_IMAP_PLAINTEXT",
    `${where} offers no TLS: refusing to send the password of ${endpoint.user} unencrypted`,
    "use imaps://HOST (port 993), or enable STARTTLS on the server; plaintext logins are for loopback only",
  );
}
