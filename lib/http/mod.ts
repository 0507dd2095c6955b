/**
 * The HTTP client with its limits: conditional GET of feeds (`ConditionalFetcher`: ETag and
 * Last-Modified, gzip/br/deflate, bounded redirects, two timeouts, a size limit, retries with back-off),
 * concurrency per host and overall (`HostLimiter`), and a size-limited body reader (`readLimited`).
 *
 * @example
 * ```ts ignore
 * import { ConditionalFetcher } from "./mod.ts";
 *
 * const fetcher = new ConditionalFetcher({ perHostConcurrency: 2 });
 * const fetched = await fetcher.fetchFeed({ url: "https://example.org/feed.xml", folder: "News" });
 * console.log(fetched.status, fetched.etag);
 * ```
 * @module
 */
export {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  type Validators,
} from "./conditional_fetcher.ts";
export { FetchError, type FetchFailure } from "./fetch_error.ts";
export { HostLimiter } from "./host_limiter.ts";
export { BodyTooLargeError, formatBytes, readLimited } from "./read_limited.ts";
export { Deadline } from "./deadline.ts";
export { parseRetryAfter } from "./retry_after.ts";
export { SLUICE_USER_AGENT } from "./user_agent.ts";
