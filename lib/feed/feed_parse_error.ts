/**
 * The error every feed parsing failure becomes: which feed, what is wrong with it, and what to do.
 * @module
 */
import { redactUrl, SluiceError } from "../../engine/errors.ts";

/**
 * A document could not be read as a feed (an HTML page, an empty body, malformed XML or JSON, or a
 * document that is not RSS, Atom or JSON Feed). Code `E_FEED_PARSE`.
 *
 * @example
 * ```ts
 * import { FeedParseError } from "./feed_parse_error.ts";
 * const e = new FeedParseError("https://ex.org/", "not a feed: got an HTML page");
 * e.message; // "cannot parse feed https://ex.org/: not a feed: got an HTML page"
 * ```
 */
export class FeedParseError extends SluiceError {
  /** The feed URL (credentials redacted). */
  readonly url: string;
  /** What is wrong, without the URL: `not a feed: got an HTML page`. */
  readonly reason: string;

  /**
   * An `E_FEED_PARSE` error naming the (redacted) feed URL and the reason in its message.
   * @param url the feed URL (redacted before it is shown)
   * @param reason what is wrong with the document
   * @param hint what to do (a default per kind of problem when omitted)
   * @param options standard error options (`cause`)
   */
  constructor(url: string, reason: string, hint?: string, options?: ErrorOptions) {
    const shown = redactUrl(url);
    super("E_FEED_PARSE", `cannot parse feed ${shown}: ${reason}`, hint ?? defaultHint(reason), options);
    this.url = shown;
    this.reason = reason;
  }
}

function defaultHint(reason: string): string {
  if (reason.includes("HTML page")) {
    return 'the URL serves a web page: use the address of its feed (the page\'s <link rel="alternate"> element)';
  }
  if (reason.startsWith("malformed") || reason.includes("truncated")) {
    return "the feed is broken at its source or the download was cut off: retry later, or tell its publisher";
  }
  if (reason.includes("empty")) return "the server sent an empty body: check the URL, or retry later";
  return "check that the URL points at an RSS, Atom or JSON feed";
}
