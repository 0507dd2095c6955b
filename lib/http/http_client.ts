/**
 * Any HTTP request (the `http` stage's), with the limits of the feed fetcher: concurrency per host and
 * overall, a headers timeout and a total timeout, a size limit, and retries with back-off (honouring
 * `Retry-After`) on network errors, timeouts and 408/429/5xx, never on other statuses.
 * @module
 */
import { backoffDelay, sleep } from "../../engine/kernel/backoff.ts";
import { Deadline } from "./deadline.ts";
import { FetchError, networkFetchError } from "./fetch_error.ts";
import { HostLimiter } from "./host_limiter.ts";
import { BodyTooLargeError, formatBytes, readLimited } from "./read_limited.ts";
import { parseRetryAfter } from "./retry_after.ts";

/**
 * One request.
 *
 * @example
 * ```ts
 * const req: HttpRequest = { method: "POST", url: "https://example.org/api", body: '{"a":1}', headers: { "content-type": "application/json" } };
 * ```
 */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/**
 * A response, its body read whole (up to the size limit).
 *
 * @example
 * ```ts
 * const res: HttpResponse = { status: 200, headers: { "content-type": "text/plain" }, body: new Uint8Array() };
 * ```
 */
export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Limits of {@linkcode HttpClient}. They have no defaults here: the `http` stage passes the feed
 * fetcher's (`DEFAULT_FETCH_OPTIONS` of lib/feed), so the two clients behave alike.
 */
export interface HttpClientOptions {
  /** Ms to wait for response headers. */
  connectTimeoutMs: number;
  /** Ms one attempt may take in all, body included. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Extra attempts after a network error, a timeout, or HTTP 408/429/5xx. */
  retries: number;
  /** First back-off delay in ms (doubles per retry, with jitter). */
  retryBaseDelayMs: number;
  /** Largest back-off delay, and largest `Retry-After` honoured, in ms. */
  retryMaxDelayMs: number;
  /** Concurrent requests per host. */
  perHostConcurrency: number;
  /** Concurrent requests overall. */
  globalConcurrency: number;
  /** Whether a status outside 200-299 (after retries) is an error; false returns it. Default true. */
  failOnStatus?: boolean;
}

/**
 * Sends requests under per-host and global limits, with timeouts and retries.
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_FETCH_OPTIONS } from "../feed/mod.ts";
 * const client = new HttpClient({ ...DEFAULT_FETCH_OPTIONS, perHostConcurrency: 4 });
 * const res = await client.request({ method: "GET", url: "https://example.org/" });
 * console.log(res.status, new TextDecoder().decode(res.body).length);
 * ```
 */
export class HttpClient {
  readonly #o: Required<HttpClientOptions>;
  readonly #limiter: HostLimiter;

  constructor(options: HttpClientOptions) {
    this.#o = { ...options, failOnStatus: options.failOnStatus ?? true };
    this.#limiter = new HostLimiter({
      perHost: this.#o.perHostConcurrency,
      global: this.#o.globalConcurrency,
    });
  }

  /** Sends `req`, retrying transient failures; rejects with a `FetchError` once retries are spent. */
  async request(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch (e) {
      throw new FetchError(
        "URL",
        req.url,
        "not a valid URL",
        "the `url` template must give a full http(s) URL",
        {
          cause: e,
        },
      );
    }
    for (let attempt = 1;; attempt++) {
      try {
        const res = await this.#attempt(req, url, signal);
        if (this.#o.failOnStatus && (res.status < 200 || res.status > 299)) throw statusError(url, res);
        return res;
      } catch (e) {
        if (!(e instanceof FetchError) || !e.retryable || attempt > this.#o.retries) throw e;
        const wait = e.retryAfterMs ??
          backoffDelay(attempt, { baseMs: this.#o.retryBaseDelayMs, maxMs: this.#o.retryMaxDelayMs });
        await sleep(Math.min(wait, this.#o.retryMaxDelayMs), signal);
      }
    }
  }

  async #attempt(req: HttpRequest, url: URL, signal?: AbortSignal): Promise<HttpResponse> {
    const release = await this.#limiter.acquire(url, signal);
    const deadline = new Deadline({
      headersMs: this.#o.connectTimeoutMs,
      totalMs: this.#o.timeoutMs,
      signal,
    });
    try {
      deadline.startHeaders();
      const response = await fetch(url, {
        method: req.method,
        headers: req.headers,
        body: req.body as BodyInit | undefined,
        signal: deadline.signal,
      });
      deadline.headersReceived();
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      if (retryable && this.#o.failOnStatus) {
        await response.body?.cancel().catch(() => {});
        throw statusError(url, {
          status: response.status,
          headers: headersOf(response.headers),
          body: new Uint8Array(),
        });
      }
      const body = await readLimited(response, this.#o.maxBytes);
      return { status: response.status, headers: headersOf(response.headers), body };
    } catch (e) {
      if (e instanceof FetchError) throw e;
      if (signal?.aborted) throw signal.reason;
      const timedOut = deadline.timedOut;
      if (timedOut) {
        throw new FetchError(
          "TIMEOUT",
          url.href,
          `timeout after ${timedOut.ms / 1000} s (${
            timedOut.phase === "headers" ? "no response headers" : "response not complete"
          })`,
          "the server is slow or unreachable; raise the stage's `timeout` or `connect-timeout`",
          { retryable: true, cause: e },
        );
      }
      if (e instanceof BodyTooLargeError) {
        throw new FetchError(
          "TOO_LARGE",
          url.href,
          `response is larger than the ${formatBytes(e.maxBytes)} limit`,
          "raise the stage's `max-size`",
          { cause: e },
        );
      }
      throw networkFetchError(url.href, e);
    } finally {
      release();
      deadline.dispose();
    }
  }
}

function headersOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => (out[name] = value));
  return out;
}

function statusError(url: URL, res: HttpResponse): FetchError {
  const s = res.status;
  const retryable = s === 408 || s === 429 || s >= 500;
  return new FetchError(
    "HTTP",
    url.href,
    `HTTP ${s}`,
    retryable
      ? "the server failed or rate-limits; sluice retried, try again later"
      : "check the request (method, URL, body); `fail-on-status: false` passes such responses on",
    {
      status: s,
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(res.headers["retry-after"] ?? null) : undefined,
    },
  );
}
