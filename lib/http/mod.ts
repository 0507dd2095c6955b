/**
 * HTTP with limits: concurrency per host and overall (`HostLimiter`), a headers timeout and a total one
 * (`Deadline`), a size-limited body reader (`readLimited`), `Retry-After`, and the errors a fetch ends in
 * (`FetchError`). The feed fetcher (`lib/feed/conditional_fetcher.ts`) and the image cache are built on it.
 *
 * @example
 * ```ts
 * import { HostLimiter, readLimited } from "./mod.ts";
 * import { startServer } from "../../tests/support/http_server.ts";
 *
 * const server = await startServer({ "/logo.png": (_req, res) => res.end(new Uint8Array(100)) });
 * const limiter = new HostLimiter({ perHost: 2, global: 8 });
 * const url = new URL(server.url("/logo.png"));
 * const release = await limiter.acquire(url);
 * try {
 *   const bytes = await readLimited(await fetch(url), 1024 * 1024);
 *   console.log(bytes.length); // 100
 * } finally {
 *   release();
 *   await server.close();
 * }
 * ```
 * @module
 */
export { FetchError, type FetchFailure } from "./fetch_error.ts";
export { HostLimiter } from "./host_limiter.ts";
export { BodyTooLargeError, formatBytes, readLimited } from "./read_limited.ts";
export { Deadline } from "./deadline.ts";
export { type FetchedEnclosure, fetchEnclosure } from "./fetch_enclosure.ts";
export { parseRetryAfter } from "./retry_after.ts";
export { SLUICE_USER_AGENT } from "./user_agent.ts";
export { HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse } from "./http_client.ts";
