/**
 * Where an OAuth 2.0 access token for IMAP comes from: a command that prints it (`token-command`, e.g.
 * a password manager or `oama access bob@gmail.com`), or a refresh token exchanged at the provider's
 * token endpoint (RFC 6749 6), the access token kept until shortly before it expires. Tokens and
 * secrets never appear in errors.
 * @module
 */
import { execFile } from "node:child_process";
import { ImapError } from "./errors.ts";

/** Renew a refreshed token this long before the provider says it expires. */
const EXPIRY_MARGIN_MS = 60_000;
/** Longest a token command may run. */
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Gives an access token each time a connection logs in.
 *
 * @example
 * ```ts
 * const source: OAuthTokenSource = { accessToken: () => Promise.resolve("ya29.token") };
 * console.log(await source.accessToken());
 * ```
 */
export interface OAuthTokenSource {
  /** A currently valid access token. */
  accessToken(): Promise<string>;
}

/**
 * Runs `command` with `sh -c` at every login and takes its output (trimmed) as the access token.
 *
 * @param command a shell command printing the token on stdout
 * @returns the token source
 * @throws {ImapError} `E_IMAP_AUTH` from `accessToken()` when the command fails or prints nothing
 * @example
 * ```ts
 * import { tokenFromCommand } from "./oauth_token.ts";
 * const source = tokenFromCommand("echo ya29.token");
 * console.log(await source.accessToken()); // ya29.token
 * ```
 */
export function tokenFromCommand(command: string): OAuthTokenSource {
  return {
    accessToken: () =>
      new Promise<string>((resolve, reject) => {
        execFile("sh", ["-c", command], { timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
          const token = String(stdout).trim();
          if (error || !token) {
            const why = error
              ? `failed: ${String(stderr).trim().split("\n").pop() || error.message}`
              : "printed nothing";
            reject(
              new ImapError(
                "E_IMAP_AUTH",
                `the token command '${command}' ${why}`,
                "make token-command print a valid OAuth2 access token on stdout (run it by hand to check)",
              ),
            );
          } else resolve(token);
        });
      }),
  };
}

/**
 * How to refresh an access token at the provider's token endpoint.
 *
 * @example
 * ```ts
 * const r: RefreshTokenGrant = {
 *   tokenUrl: "https://oauth2.googleapis.com/token",
 *   clientId: "123.apps.googleusercontent.com",
 *   clientSecret: "secret",
 *   refreshToken: "1//0g...",
 * };
 * ```
 */
export interface RefreshTokenGrant {
  /** The token endpoint (Google: `https://oauth2.googleapis.com/token`). */
  tokenUrl: string;
  /** The OAuth client id. */
  clientId: string;
  /** The OAuth client secret (empty for public clients). */
  clientSecret?: string;
  /** The long-lived refresh token. */
  refreshToken: string;
}

/**
 * Exchanges the refresh token for an access token (grant_type=refresh_token) and reuses it until a
 * minute before `expires_in` runs out; logins at the same time share one request.
 *
 * @param grant token endpoint, client and refresh token
 * @returns the token source
 * @throws {ImapError} `E_IMAP_AUTH` from `accessToken()` when the endpoint refuses or cannot be reached
 * @example
 * ```ts
 * import { tokenFromRefresh } from "./oauth_token.ts";
 * const source = tokenFromRefresh({ tokenUrl: "https://oauth2.googleapis.com/token", clientId: "id", refreshToken: "rt" });
 * // await source.accessToken() posts to the endpoint at the first login
 * ```
 */
export function tokenFromRefresh(grant: RefreshTokenGrant): OAuthTokenSource {
  let cached: { token: string; until: number } | undefined;
  const fail = (why: string, cause?: unknown) =>
    new ImapError(
      "E_IMAP_AUTH",
      `refreshing the OAuth2 access token at ${grant.tokenUrl} failed: ${why}`,
      "check token-url, client-id, client-secret and refresh-token (a revoked refresh token needs a new consent)",
      { cause },
    );
  let inFlight: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: grant.refreshToken,
      client_id: grant.clientId,
    });
    if (grant.clientSecret) body.set("client_secret", grant.clientSecret);
    let res: Response;
    try {
      res = await fetch(grant.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
      });
    } catch (e) {
      throw fail(e instanceof Error ? e.message : String(e), e);
    }
    const json = await res.json().catch(() => ({})) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || typeof json.access_token !== "string" || !json.access_token) {
      const what = json.error
        ? `${json.error}${json.error_description ? ` (${json.error_description})` : ""}`
        : "";
      throw fail(`HTTP ${res.status}${what ? `: ${what}` : ", no access_token in the answer"}`);
    }
    const lifetimeMs = (Number(json.expires_in) || 3600) * 1000;
    cached = { token: json.access_token, until: Date.now() + Math.max(0, lifetimeMs - EXPIRY_MARGIN_MS) };
    return cached.token;
  };
  return {
    accessToken() {
      if (cached && Date.now() < cached.until) return Promise.resolve(cached.token);
      // Connections logging in at once share one request.
      inFlight ??= refresh().finally(() => inFlight = undefined);
      return inFlight;
    },
  };
}
