/**
 * The error every HTTP fetch in sluice raises: what failed (the URL, redacted), why, and what to do.
 * @module
 */
import { redactUrl, SluiceError } from "../../engine/errors.ts";
import { permissionProblem } from "../../engine/permission_error.ts";

/** Why a fetch failed; the suffix of the error code (`E_FETCH_HTTP`, `E_FETCH_TIMEOUT`, ...). */
export type FetchFailure = "HTTP" | "TIMEOUT" | "DEADLINE" | "TOO_LARGE" | "REDIRECTS" | "NETWORK" | "URL";

/**
 * A failed HTTP fetch. The message names the URL (credentials redacted) and the reason; `hint` says what
 * to do; `retryable` tells the retry loop whether another attempt can help.
 *
 * @example
 * ```ts
 * import { FetchError } from "./fetch_error.ts";
 * const e = new FetchError("HTTP", "https://example.org/feed.xml", "HTTP 404 Not Found", "check the URL", {
 *   status: 404,
 * });
 * e.code; // "E_FETCH_HTTP"
 * e.message; // "fetching https://example.org/feed.xml failed: HTTP 404 Not Found"
 * ```
 */
export class FetchError extends SluiceError {
  /** The URL that failed, with credentials replaced by `***`. */
  readonly url: string;
  /** HTTP status when the server answered. */
  readonly status?: number;
  /** Whether a later attempt may succeed (network errors, timeouts, 408, 429, 5xx). */
  readonly retryable: boolean;
  /** How long the server asked us to wait (`Retry-After`, in ms), when it did. */
  readonly retryAfterMs?: number;

  /**
   * A fetch failure; the URL is redacted before it reaches the message or `url`.
   * @param failure why it failed (becomes the code `E_FETCH_<failure>`)
   * @param url the URL that failed (redacted here)
   * @param reason what happened, e.g. `HTTP 503 Service Unavailable`
   * @param hint what the user can do
   * @param extra status, retryability, Retry-After and the underlying cause
   */
  constructor(
    failure: FetchFailure,
    url: string,
    reason: string,
    hint: string,
    extra: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    const safe = redactUrl(url);
    super(`E_FETCH_${failure}`, `fetching ${safe} failed: ${reason}`, hint, { cause: extra.cause });
    this.url = safe;
    this.status = extra.status;
    this.retryable = extra.retryable ?? false;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

/**
 * Turns what `fetch` rejects with on a connection problem into a `FetchError` whose reason says which
 * problem it was (DNS, refused, reset, TLS). Deno puts the detail in `cause`, Bun in `code`/`message`.
 *
 * @example
 * ```ts
 * import { networkFetchError } from "./fetch_error.ts";
 * const e = networkFetchError("http://127.0.0.1:9/", new TypeError("ECONNREFUSED: Unable to connect"));
 * e.message; // "fetching http://127.0.0.1:9/ failed: connection refused (ECONNREFUSED: Unable to connect)"
 * ```
 */
export function networkFetchError(url: string, error: unknown): FetchError {
  const detail = describeCause(error);
  const lower = detail.toLowerCase();
  let reason = "network error";
  let hint = "check the network connection and that the host is up; sluice retries network errors";
  if (/enotfound|dns error|name or service not known|getaddrinfo|nodename nor servname/.test(lower)) {
    reason = "DNS lookup failed";
    hint = "check the host name in the URL; the name does not resolve";
  } else if (/econnrefused|connection refused/.test(lower)) {
    reason = "connection refused";
    hint = "the host is reachable but nothing listens on that port; check the URL's port and the server";
  } else if (/econnreset|connection reset|socket hang up|connection closed/.test(lower)) {
    reason = "connection reset by the server";
  } else if (/certificate|tls|ssl/.test(lower)) {
    reason = "TLS error";
    hint = "the server's certificate was rejected; check the https URL or the server's certificate";
  }
  // A refused permission (Deno without --allow-net) will not pass on a later attempt.
  const retryable = !permissionProblem(error);
  return new FetchError("NETWORK", url, `${reason} (${detail})`, hint, { retryable, cause: error });
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      const text = typeof code === "string" && !e.message.includes(code)
        ? `${code}: ${e.message}`
        : e.message;
      if (text && !parts.some((p) => p.includes(text))) parts.push(text);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  // Deno's outer message is just "fetch failed"; the cause carries the useful part.
  const useful = parts.filter((p) => p !== "fetch failed");
  return (useful.length ? useful : parts).join(": ") || "unknown error";
}
