/**
 * The User-Agent sluice sends: a real product token with a contact URL, so feed hosts can tell sluice
 * apart from browsers and reach its maintainers instead of blocking it.
 * @module
 */

/**
 * The User-Agent header value for every request sluice makes (feeds and images).
 *
 * @example
 * ```ts
 * import { SLUICE_USER_AGENT } from "./user_agent.ts";
 * import { startServer } from "../../tests/support/http_server.ts";
 * const server = await startServer({ "/feed.xml": (req, res) => res.end(req.headers["user-agent"]) });
 * const res = await fetch(server.url("/feed.xml"), { headers: { "user-agent": SLUICE_USER_AGENT } });
 * console.log(await res.text()); // sluice/0.1 (+https://github.com/sluice/sluice)
 * await server.close();
 * ```
 */
export const SLUICE_USER_AGENT = "sluice/0.1 (+https://github.com/sluice/sluice)";
