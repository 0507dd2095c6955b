/**
 * Fetches feeds over HTTP the polite way: conditional GET (a 304 costs one round trip), compressed
 * transfer, bounded redirects, two timeouts, a size limit, retries with backoff on transient failures,
 * and concurrency limits per host and overall.
 * @module
 */
import type { FeedRef, FetchedFeed } from "./types.ts";
import { parseRetryAfter } from "../http/retry_after.ts";
import { backoffDelay, sleep } from "../../engine/kernel/backoff.ts";
import { finishDeflate } from "../http/content_encoding.ts";
import { Deadline } from "../http/deadline.ts";
import { FetchError, networkFetchError } from "../http/fetch_error.ts";
import { HostLimiter } from "../http/host_limiter.ts";
import { BodyTooLargeError, formatBytes, readLimited } from "../http/read_limited.ts";
import { SLUICE_USER_AGENT } from "../http/user_agent.ts";
import { redactUrl } from "../../engine/errors.ts";

/**
 * Options of `ConditionalFetcher`; every field is optional and defaults to `DEFAULT_FETCH_OPTIONS`.
 *
 * @example
 * ```ts
 * const opts: ConditionalFetcherOptions = { timeoutMs: 60_000, maxBytes: 20 * 1024 * 1024 };
 * ```
 */
export interface ConditionalFetcherOptions {
  /** Ms to wait for response headers of each request (fetch has no separate TCP connect phase). */
  connectTimeoutMs?: number;
  /** Ms one attempt may take in all: every redirect hop and the whole body. */
  timeoutMs?: number;
  /**
   * Ms one feed may take in all: every attempt, retry and back-off wait. A server that trickles its body
   * would otherwise hold the run for `timeoutMs` times every attempt.
   */
  deadlineMs?: number;
  /** Largest body accepted, in bytes (after decompression); larger bodies are cancelled mid-stream. */
  maxBytes?: number;
  /** Redirects followed before giving up. */
  maxRedirects?: number;
  /** Extra attempts after a network error, a timeout, or HTTP 408/429/5xx (never after other 4xx). */
  retries?: number;
  /** First backoff delay in ms; doubles per retry, with jitter. */
  retryBaseDelayMs?: number;
  /** Largest backoff delay in ms. */
  retryMaxDelayMs?: number;
  /** Largest `Retry-After` honoured, in ms; a server asking for longer is waited this long. */
  maxRetryAfterMs?: number;
  /** Concurrent requests per host (`host:port`). */
  perHostConcurrency?: number;
  /** Concurrent requests overall. */
  globalConcurrency?: number;
  /** User-Agent header. */
  userAgent?: string;
  /** Share one limiter between fetchers (then the two concurrency options above are ignored). */
  limiter?: HostLimiter;
}

/**
 * The defaults of `ConditionalFetcherOptions`.
 *
 * @example
 * ```ts
 * import { DEFAULT_FETCH_OPTIONS } from "./conditional_fetcher.ts";
 * DEFAULT_FETCH_OPTIONS.maxBytes; // 10485760 (10 MB)
 * DEFAULT_FETCH_OPTIONS.perHostConcurrency; // 32
 * ```
 */
export const DEFAULT_FETCH_OPTIONS: Readonly<Required<Omit<ConditionalFetcherOptions, "limiter">>> = {
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
  deadlineMs: 60_000,
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 5,
  retries: 3,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  // One host often serves many feeds (a blog platform, a self-hosted farm): 32 keeps such a list fast; a
  // busy host answering 429 or 503 is retried with back-off and its Retry-After honoured.
  perHostConcurrency: 32,
  globalConcurrency: 64,
  userAgent: SLUICE_USER_AGENT,
};

/**
 * `opts` over `DEFAULT_FETCH_OPTIONS` (an undefined option keeps its default), `limiter` left out.
 *
 * @example
 * ```ts
 * import { fetchOptionsWithDefaults } from "./conditional_fetcher.ts";
 * fetchOptionsWithDefaults({ retries: 1 }).timeoutMs; // 30000
 * ```
 */
export function fetchOptionsWithDefaults(
  opts: ConditionalFetcherOptions,
): Readonly<Required<Omit<ConditionalFetcherOptions, "limiter">>> {
  const { limiter: _limiter, ...rest } = opts;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...DEFAULT_FETCH_OPTIONS, ...defined });
}

/**
 * The HTTP validators of the last successful fetch of a feed, sent back as `If-None-Match` /
 * `If-Modified-Since`.
 *
 * @example
 * ```ts
 * const v: Validators = { etag: '"abc"', lastModified: "Wed, 21 Oct 2015 07:28:00 GMT" };
 * ```
 */
export interface Validators {
  /** The `ETag` header verbatim, quotes included (sent as `If-None-Match`); undefined when none was given. */
  etag?: string;
  /** The `Last-Modified` date as the server wrote it (sent as `If-Modified-Since`); undefined when none. */
  lastModified?: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, " +
  "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";
const PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";
// Both runtimes' fetch decode gzip and br; deflate is finished by finishDeflate where Deno leaves it.
const ACCEPT_ENCODING = "gzip, br, deflate";

/**
 * Fetches feeds with conditional GET, retries and limits (see `ConditionalFetcherOptions`). One instance
 * per run shares its per-host limits across all feeds.
 *
 * @example
 * ```ts
 * import { ConditionalFetcher } from "./conditional_fetcher.ts";
 * import { startServer } from "../../tests/support/http_server.ts";
 * const server = await startServer({
 *   "/feed.xml": (req, res) => {
 *     if (req.headers["if-none-match"] === '"v1"') return res.writeHead(304).end();
 *     res.writeHead(200, { etag: '"v1"', "content-type": "application/rss+xml" }).end("<rss/>");
 *   },
 * });
 * const fetcher = new ConditionalFetcher({ timeoutMs: 20_000 });
 * const feed = { url: server.url("/feed.xml"), folder: "News" };
 * const first = await fetcher.fetchFeed(feed, {});
 * const again = await fetcher.fetchFeed(feed, { etag: first.etag, lastModified: first.lastModified });
 * console.log(again.notModified); // true: the server answered 304
 * await server.close();
 * ```
 */
export class ConditionalFetcher {
  /** The options in effect (defaults filled in). */
  readonly options: Readonly<Required<Omit<ConditionalFetcherOptions, "limiter">>>;
  readonly #limiter: HostLimiter;

  /**
   * A fetcher with its own host limiter (unless `opts.limiter` shares one); undefined options keep the defaults.
   * @param opts overrides of `DEFAULT_FETCH_OPTIONS`
   */
  constructor(opts: ConditionalFetcherOptions = {}) {
    const { limiter } = opts;
    this.options = fetchOptionsWithDefaults(opts);
    this.#limiter = limiter ??
      new HostLimiter({ perHost: this.options.perHostConcurrency, global: this.options.globalConcurrency });
  }

  /**
   * Fetches `feed.url`, sending `validators` as conditional headers. Resolves with the raw body (or, for
   * a 304, `notModified: true` and an empty body); rejects with a `FetchError` once retries are spent, or
   * with `signal.reason` when `signal` aborts.
   */
  fetchFeed(feed: FeedRef, validators: Validators = {}, signal?: AbortSignal): Promise<FetchedFeed> {
    return this.#fetch(feed, validators, ACCEPT, signal);
  }

  /**
   * Fetches a web page (an entry's link, for its article) with the same limits, retries, redirects and
   * per-host queue as the feeds: resolves with its bytes, `contentType` and `finalUrl`; rejects with a
   * `FetchError` like {@linkcode ConditionalFetcher.fetchFeed}.
   *
   * @example
   * ```ts ignore
   * const page = await new ConditionalFetcher().fetchPage("https://example.org/post/1");
   * console.log(page.finalUrl, page.body.byteLength);
   * ```
   */
  fetchPage(url: string, signal?: AbortSignal): Promise<FetchedFeed> {
    return this.#fetch({ url, folder: "" }, {}, PAGE_ACCEPT, signal);
  }

  async #fetch(
    feed: FeedRef,
    validators: Validators,
    accept: string,
    signal?: AbortSignal,
  ): Promise<FetchedFeed> {
    const url = checkFeedUrl(feed.url);
    // Only the total clock of this Deadline runs (no headers phase): the feed's time in all.
    const whole = new Deadline({ headersMs: 0, totalMs: this.options.deadlineMs, signal });
    let attempt = 1;
    try {
      for (;; attempt++) {
        try {
          return await this.#attempt(feed, url, validators, accept, whole.signal);
        } catch (e) {
          // A failed attempt N is followed by retry number N, while retries remain.
          if (!(e instanceof FetchError) || !e.retryable || attempt > this.options.retries) throw e;
          const wait = e.retryAfterMs !== undefined
            ? Math.min(e.retryAfterMs, this.options.maxRetryAfterMs)
            : backoffDelay(attempt, {
              baseMs: this.options.retryBaseDelayMs,
              maxMs: this.options.retryMaxDelayMs,
            });
          await sleep(wait, whole.signal);
        }
      }
    } catch (e) {
      if (whole.timedOut && !signal?.aborted) {
        throw new FetchError(
          "DEADLINE",
          url.href,
          `gave up after ${whole.timedOut.ms / 1000} s in all (${attempt} attempt${
            attempt === 1 ? "" : "s"
          }): ` +
            "the server is too slow",
          "the feed is tried again next run; raise the fetch option `deadline` (`deadlineMs`) for a feed that is " +
            "slow but worth the wait",
          { retryable: false, cause: e },
        );
      }
      throw e;
    } finally {
      whole.dispose();
    }
  }

  /** One attempt: every redirect hop and the body, under one Deadline. */
  async #attempt(
    feed: FeedRef,
    start: URL,
    validators: Validators,
    accept: string,
    signal?: AbortSignal,
  ): Promise<FetchedFeed> {
    const o = this.options;
    const chain: URL[] = [start];
    let current = start;
    // Permits are taken before the clocks start: waiting in the host's queue is not the server's slowness.
    let release = await this.#limiter.acquire(current, signal);
    const deadline = new Deadline({ headersMs: o.connectTimeoutMs, totalMs: o.timeoutMs, signal });
    try {
      for (;;) {
        deadline.startHeaders();
        const response = await fetch(withoutCredentials(current), {
          method: "GET",
          headers: this.#headers(current, start, validators, accept),
          redirect: "manual",
          signal: deadline.signal,
        });
        deadline.headersReceived();
        if (REDIRECT_STATUSES.has(response.status)) {
          await response.body?.cancel().catch(() => {});
          current = nextHop(response, current, chain, o.maxRedirects);
          chain.push(current);
          release(); // idempotent: `finally` calling it again after a failed wait below is harmless
          release = await this.#limiter.acquire(current, deadline.signal);
          continue;
        }
        if (response.status === 304) {
          await response.body?.cancel().catch(() => {});
          return {
            feed,
            status: 304,
            notModified: true,
            body: new Uint8Array(0),
            contentType: response.headers.get("content-type") ?? undefined,
            finalUrl: current.href,
            // A 304 may omit the validators; the ones sent are still the current ones.
            etag: response.headers.get("etag") ?? validators.etag,
            lastModified: response.headers.get("last-modified") ?? validators.lastModified,
          };
        }
        if (!response.ok) {
          await response.body?.cancel().catch(() => {});
          throw httpError(current, response);
        }
        const raw = await readLimited(response, o.maxBytes);
        const body = finishDeflate(raw, response.headers.get("content-encoding"), o.maxBytes);
        return {
          feed,
          status: response.status,
          notModified: false,
          body,
          contentType: response.headers.get("content-type") ?? undefined,
          finalUrl: current.href,
          etag: response.headers.get("etag") ?? undefined,
          lastModified: response.headers.get("last-modified") ?? undefined,
        };
      }
    } catch (e) {
      throw classify(e, current, deadline, signal);
    } finally {
      release();
      deadline.dispose();
    }
  }

  #headers(url: URL, start: URL, validators: Validators, accept: string): Headers {
    const headers = new Headers({
      "user-agent": this.options.userAgent,
      "accept": accept,
      "accept-encoding": ACCEPT_ENCODING,
    });
    if (validators.etag) headers.set("if-none-match", validators.etag);
    if (validators.lastModified) headers.set("if-modified-since", validators.lastModified);
    // Credentials in the feed URL become Basic auth, sent only to the origin they were written for.
    if ((start.username || start.password) && url.origin === start.origin) {
      const user = decodeURIComponent(start.username);
      const pass = decodeURIComponent(start.password);
      headers.set(
        "authorization",
        `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)))}`,
      );
    }
    return headers;
  }
}

function checkFeedUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new FetchError(
      "URL",
      text,
      "not a valid URL",
      "write the feed URL in full, e.g. https://example.org/feed.xml",
      {
        cause: e,
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchError(
      "URL",
      text,
      `only http and https URLs are fetched, not ${url.protocol}`,
      "use an http:// or https:// feed URL (read local files with a file source instead)",
    );
  }
  return url;
}

function withoutCredentials(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function describeChain(chain: URL[]): string {
  return chain.map((u) => redactUrl(u.href)).join(" -> ");
}

/** The next URL of a redirect, or a FetchError when it leads nowhere, in a circle, or too far. */
function nextHop(response: Response, current: URL, chain: URL[], maxRedirects: number): URL {
  const location = response.headers.get("location");
  if (!location) {
    throw new FetchError(
      "HTTP",
      current.href,
      `HTTP ${response.status} redirect without a Location header`,
      "the server's redirect is broken; ask its owner or use the feed's new URL",
      { status: response.status },
    );
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch (e) {
    throw new FetchError(
      "REDIRECTS",
      current.href,
      `redirect to an invalid URL (${location})`,
      "the server's redirect is broken",
      { cause: e },
    );
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new FetchError(
      "REDIRECTS",
      chain[0].href,
      `redirected to a non-http URL: ${describeChain([...chain, next])}`,
      "only http and https are followed; use the feed's http(s) URL",
    );
  }
  if (chain.some((u) => u.href === next.href)) {
    throw new FetchError(
      "REDIRECTS",
      chain[0].href,
      `redirect loop: ${describeChain([...chain, next])}`,
      "the server redirects in a circle; open the URL in a browser and use the final feed URL",
    );
  }
  if (chain.length > maxRedirects) {
    throw new FetchError(
      "REDIRECTS",
      chain[0].href,
      `too many redirects (more than ${maxRedirects}): ${describeChain([...chain, next])}`,
      "use the final feed URL directly, or raise the fetch option `max-redirects` (`maxRedirects`)",
    );
  }
  return next;
}

function httpError(url: URL, response: Response): FetchError {
  const status = response.status;
  const reason = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`;
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = retryable ? parseRetryAfter(response.headers.get("retry-after")) : undefined;
  let hint = "check the feed URL";
  if (status === 404) hint = "the server has no feed at this URL; check it or remove the feed";
  else if (status === 410) hint = "the feed is gone for good; remove it from the list";
  else if (status === 401 || status === 403) {
    hint =
      "the feed needs credentials or refuses sluice; check access (user:password@ in the URL for Basic auth)";
  } else if (status === 429) hint = "the server rate-limits sluice; fetch this feed less often";
  else if (status >= 500) hint = "the server failed; sluice retried, try again later";
  return new FetchError("HTTP", url.href, reason, hint, { status, retryable, retryAfterMs });
}

function classify(
  e: unknown,
  url: URL,
  deadline: Deadline,
  signal?: AbortSignal,
): unknown {
  if (e instanceof FetchError) return e;
  if (signal?.aborted) return signal.reason;
  const timedOut = deadline.timedOut;
  if (timedOut) {
    const headers = timedOut.phase === "headers";
    const option = headers ? "`connect-timeout` (`connectTimeoutMs`)" : "`timeout` (`timeoutMs`)";
    return new FetchError(
      "TIMEOUT",
      url.href,
      headers
        ? `timeout after ${timedOut.ms / 1000} s: no response headers`
        : `timeout after ${timedOut.ms / 1000} s: response not complete`,
      `the server is slow or unreachable; raise the fetch option ${option}`,
      { retryable: true, cause: e },
    );
  }
  if (e instanceof BodyTooLargeError) {
    return new FetchError(
      "TOO_LARGE",
      url.href,
      `response is larger than the ${formatBytes(e.maxBytes)} limit`,
      `if the feed really is that large, raise the fetch option \`max-size\` (\`maxBytes\`, now ${e.maxBytes} bytes)`,
      { cause: e },
    );
  }
  return networkFetchError(url.href, e);
}
