/**
 * SASL with an OAuth 2.0 access token: XOAUTH2 (Google, Microsoft) and OAUTHBEARER (RFC 7628). The
 * token comes from an {@linkcode OAuthTokenSource} (`oauth_token.ts`); this file only builds the
 * client's messages.
 * @module
 */

/**
 * The SASL mechanisms that carry an OAuth 2.0 bearer token.
 *
 * @example
 * ```ts
 * const m: OAuthMechanism = "XOAUTH2";
 * ```
 */
export type OAuthMechanism = "XOAUTH2" | "OAUTHBEARER";

/**
 * The client's first SASL message for `mechanism`, base64-encoded as AUTHENTICATE sends it.
 *
 * @param mechanism XOAUTH2 or OAUTHBEARER
 * @param user the mail account (the token's subject)
 * @param token the access token
 * @param host the server's host name (OAUTHBEARER carries it)
 * @param port the server's port (OAUTHBEARER carries it)
 * @returns the base64 initial response
 * @example
 * ```ts
 * import { oauthInitialResponse } from "./sasl_oauth.ts";
 * const ir = oauthInitialResponse("XOAUTH2", "bob@example.com", "ya29.token", "imap.example.com", 993);
 * console.log(atob(ir)); // "user=bob@example.com\x01auth=Bearer ya29.token\x01\x01"
 * ```
 */
export function oauthInitialResponse(
  mechanism: OAuthMechanism,
  user: string,
  token: string,
  host: string,
  port: number,
): string {
  const text = mechanism === "XOAUTH2"
    ? `user=${user}\x01auth=Bearer ${token}\x01\x01`
    : `n,a=${user.replaceAll("=", "=3D").replaceAll(",", "=2C")},\x01host=${host}\x01port=${port}\x01` +
      `auth=Bearer ${token}\x01\x01`;
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/**
 * What the client answers when the server refuses the token with a `+` carrying its error (JSON): an
 * empty line for XOAUTH2, a single ^A (`AQ==`) for OAUTHBEARER (RFC 7628 3.2.3). The server then ends
 * the command with NO.
 *
 * @param mechanism XOAUTH2 or OAUTHBEARER
 * @returns the line to send after the server's error challenge
 * @example
 * ```ts
 * import { oauthErrorAcknowledgement } from "./sasl_oauth.ts";
 * console.log(oauthErrorAcknowledgement("OAUTHBEARER")); // "AQ=="
 * ```
 */
export function oauthErrorAcknowledgement(mechanism: OAuthMechanism): string {
  return mechanism === "XOAUTH2" ? "" : "AQ==";
}
