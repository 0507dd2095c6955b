/**
 * A local OAuth 2.0 provider for tests: an RFC 7662 introspection endpoint (`/introspect`, which a
 * Dovecot started with `oauth2IntrospectionUrl` asks about every token) and a token endpoint
 * (`/token`, grant_type=refresh_token) that hands out fresh access tokens for known refresh tokens.
 *
 * @example
 * ```ts
 * import { startOAuth2Provider } from "./oauth2_provider.ts";
 * const provider = await startOAuth2Provider();
 * const token = provider.issue("sluice"); // an access token Dovecot will accept for user sluice
 * console.log(provider.introspectionUrl, token.length > 0);
 * await provider.close();
 * ```
 * @module
 */
import { startServer, type TestServer } from "./http_server.ts";

/**
 * A running provider.
 *
 * @example
 * ```ts
 * import { startOAuth2Provider } from "./oauth2_provider.ts";
 * const p: OAuth2Provider = await startOAuth2Provider();
 * await p.close();
 * ```
 */
export interface OAuth2Provider {
  /** Give this URL to `startDovecot({ oauth2IntrospectionUrl })`. */
  introspectionUrl: string;
  /** The token endpoint for refresh-token grants. */
  tokenUrl: string;
  /** Issues an access token valid for `user`. */
  issue(user: string): string;
  /** Registers a refresh token of `clientId` for `user`: the token endpoint then issues access tokens. */
  addRefreshToken(refreshToken: string, clientId: string, user: string): void;
  /** How many tokens the token endpoint issued. */
  readonly refreshes: number;
  /** The HTTP server (request counters). */
  server: TestServer;
  close(): Promise<void>;
}

/**
 * Starts the provider on 127.0.0.1.
 *
 * @returns the running provider
 * @example
 * ```ts
 * import { startOAuth2Provider } from "./oauth2_provider.ts";
 * const p = await startOAuth2Provider();
 * p.addRefreshToken("rt-1", "client", "sluice");
 * await p.close();
 * ```
 */
export async function startOAuth2Provider(): Promise<OAuth2Provider> {
  const active = new Map<string, string>();
  const refreshTokens = new Map<string, { clientId: string; user: string }>();
  let refreshes = 0;
  const issue = (user: string) => {
    const token = `at-${crypto.randomUUID()}`;
    active.set(token, user);
    return token;
  };
  const form = async (req: import("node:http").IncomingMessage) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    return new URLSearchParams(body);
  };
  const server = await startServer({
    "/introspect": async (req, res) => {
      const token = (await form(req)).get("token") ?? "";
      const user = active.get(token);
      res.writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(user ? { active: true, username: user } : { active: false }));
    },
    "/token": async (req, res) => {
      const params = await form(req);
      const grant = refreshTokens.get(params.get("refresh_token") ?? "");
      if (
        params.get("grant_type") !== "refresh_token" || !grant || grant.clientId !== params.get("client_id")
      ) {
        res.writeHead(400, { "content-type": "application/json" }).end(
          JSON.stringify({ error: "invalid_grant" }),
        );
        return;
      }
      refreshes++;
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ access_token: issue(grant.user), token_type: "Bearer", expires_in: 3600 }),
      );
    },
  });
  return {
    introspectionUrl: server.url("/introspect"),
    tokenUrl: server.url("/token"),
    issue,
    addRefreshToken: (refreshToken, clientId, user) => refreshTokens.set(refreshToken, { clientId, user }),
    get refreshes() {
      return refreshes;
    },
    server,
    close: () => server.close(),
  };
}
