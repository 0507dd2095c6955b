/**
 * The base of every error sluice raises for a user's input, and the helpers that keep secrets out of
 * messages.
 * @module
 */

/**
 * An error with a stable `code`, the input that caused it in the message, and a `hint` that says what
 * to do. The CLI prints `message` and `hint`, never a stack, for a `SluiceError`.
 *
 * @example
 * ```ts
 * import { SluiceError } from "./errors.ts";
 * const error = new SluiceError("E_FEED_HTTP", "https://example.org/feed.xml: HTTP 500", "retry later");
 * console.log(`${error.message} (${error.code}): ${error.hint}`);
 * ```
 */
export class SluiceError extends Error {
  /** Stable machine-readable code such as `E_CONFIG_UNKNOWN_OPTION`. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint?: string;
  /**
   * True when no other item of the run can get past it either (a refused login, a missing permission):
   * a pipeline run then stops at once instead of retrying and failing item after item.
   */
  readonly stopsRun: boolean;

  /**
   * Creates the error; `name` becomes the subclass's name, so logs show `ConfigError`, not `Error`.
   *
   * @param code stable code
   * @param message what happened, naming the input (URL, file:line:col, folder)
   * @param hint what to do about it
   * @param options standard error options (`cause`), and `stopsRun` (default false)
   */
  constructor(code: string, message: string, hint?: string, options?: ErrorOptions & { stopsRun?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
    this.stopsRun = options?.stopsRun ?? false;
  }
}

/**
 * The error behind `error` (itself or one of its causes) that stops a run ({@linkcode SluiceError.stopsRun}),
 * or undefined.
 *
 * @param error anything thrown
 * @returns the first `SluiceError` with `stopsRun` along the `cause` chain
 * @example
 * ```ts
 * import { runStopperIn, SluiceError } from "./errors.ts";
 * const login = new SluiceError("E_IMAP_AUTH", "login refused", "check the password", { stopsRun: true });
 * runStopperIn(new Error("batch failed", { cause: login })) === login; // true
 * ```
 */
export function runStopperIn(error: unknown): SluiceError | undefined {
  return findInCauses(error, (e): e is SluiceError => e instanceof SluiceError && e.stopsRun);
}

/**
 * The first of `error` and its causes (`cause`, up to 8 deep) that `matches`, or undefined.
 *
 * @param error anything thrown
 * @param matches the test, a type guard
 * @returns the matching error
 * @example
 * ```ts
 * import { findInCauses } from "./errors.ts";
 * const inner = new RangeError("too big");
 * findInCauses(new Error("outer", { cause: inner }), (e): e is RangeError => e instanceof RangeError); // inner
 * ```
 */
export function findInCauses<T>(error: unknown, matches: (e: object) => e is T & object): T | undefined {
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === "object" && depth < 8; depth++) {
    if (matches(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Query parameters whose values are secrets by their name (`?token=`, `?api_key=`, `?sig=`...): feed
 * services put access tokens there as often as in the user-info part.
 */
const SECRET_QUERY_NAME =
  /(?:token|secret|passw(?:or)?d|credentials?|sessionid)$|(?:^|[_.-])(?:api[_-]?)?(?:key|sig|signature|auth|pwd|session(?:[_-]?id)?)$/i;

/**
 * Whether a query parameter named `name` carries a secret (see {@linkcode redactUrl}).
 *
 * @param name the parameter's name
 * @returns true for names such as `token`, `api_key`, `access_token`, `sig`, `password`
 * @example
 * ```ts
 * import { isSecretQueryName } from "./errors.ts";
 * isSecretQueryName("access_token"); // true
 * isSecretQueryName("category"); // false
 * ```
 */
export function isSecretQueryName(name: string): boolean {
  return SECRET_QUERY_NAME.test(name);
}

/**
 * Returns `url` with any password and user name, and the values of query parameters named like secrets
 * (`token`, `api_key`, `sig`...), replaced by `***`, for logs and errors.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./errors.ts";
 * redactUrl("imap://bob:secret@mail.example:143"); // "imap://***:***@mail.example:143"
 * redactUrl("https://example.org/feed?token=abc&lang=en"); // "https://example.org/feed?token=***&lang=en"
 * ```
 */
export function redactUrl(url: string): string {
  if (!url.includes("@") && !url.includes("?") && !url.includes(";")) return url;
  try {
    const u = new URL(url);
    let changed = false;
    if (u.username || u.password) {
      if (u.username) u.username = "***";
      if (u.password) u.password = "***";
      changed = true;
    }
    // `;jsessionid=...` and the like: a session or key in the path's parameters.
    const path = u.pathname.replace(/;([^;=/]+)=([^;/]*)/g, (all, name: string) => {
      if (!isSecretQueryName(decodeName(name))) return all;
      changed = true;
      return `;${name}=***`;
    });
    if (path !== u.pathname) u.pathname = path;
    if (u.search) {
      const query = u.search.slice(1).split("&").map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0 || !isSecretQueryName(decodeName(pair.slice(0, eq)))) return pair;
        changed = true;
        return `${pair.slice(0, eq)}=***`;
      });
      if (changed) u.search = query.join("&");
    }
    return changed ? u.toString() : url;
  } catch {
    // Unparseable, often because the password holds an unencoded `/`, `?` or `#`: hide everything up to
    // the last `@` of the authority-looking run, so no part of the password survives.
    return url.replace(/\/\/\S*@/, "//***@");
  }
}

/**
 * `text` with every URL in it passed through {@linkcode redactUrl}: for messages that may quote a URL given
 * by someone else (a runtime's fetch error, a command's stderr), on their way to logs, summaries and dead
 * letters.
 *
 * @example
 * ```ts
 * import { redactUrlsIn } from "./errors.ts";
 * redactUrlsIn("error sending request for url (http://bob:123456@example.org/feed)");
 * // "error sending request for url (http://***:***@example.org/feed)"
 * ```
 */
export function redactUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, (match) => {
    // Punctuation after a quoted URL ("(url):", "url.") belongs to the sentence.
    const url = match.replace(/[).,;:!?\]]+$/, "");
    return redactUrl(url) + match.slice(url.length);
  });
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}
