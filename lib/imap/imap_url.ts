/**
 * Parses the `imap://` and `imaps://` URLs a pipeline names its mailbox server by.
 *
 * `imap://USER:PASS@HOST[:PORT][/?tls=auto|starttls|off]` (port 143) or `imaps://USER:PASS@HOST[:PORT]`
 * (implicit TLS, port 993). User and password are percent-decoded (`%40` for `@`, `%3A` for `:`).
 * `tls=auto` (default) upgrades with STARTTLS when the server offers it, except on loopback (nothing
 * crosses a network there, and local servers often have self-signed certificates); `starttls` insists
 * on it, loopback included; `off` never uses TLS and is refused for any host but loopback (127.0.0.0/8, ::1,
 * localhost): a password must not cross a network in the clear, and no option turns this off.
 * @module
 */
import { redactUrl } from "../../engine/errors.ts";
import { ImapError } from "./errors.ts";

/** How a plain `imap://` connection treats TLS. */
export type ImapTlsMode = "auto" | "starttls" | "off";

/**
 * Where and how to connect, as read from the URL.
 *
 * @example
 * ```ts
 * const e: ImapEndpoint = { host: "mail.example", port: 993, implicitTls: true, tls: "auto",
 *   user: "bob", password: "secret" };
 * ```
 */
export interface ImapEndpoint {
  /** Host name or IP (IPv6 without brackets). */
  host: string;
  port: number;
  /** True for `imaps://`: TLS from the first byte. */
  implicitTls: boolean;
  /** STARTTLS policy for `imap://` (ignored for `imaps://`). */
  tls: ImapTlsMode;
  /** Decoded user name. */
  user: string;
  /** Decoded password. */
  password: string;
}

const TLS_MODES: readonly ImapTlsMode[] = ["auto", "starttls", "off"];

/**
 * Reads an IMAP URL into an {@linkcode ImapEndpoint}.
 *
 * @param url `imap://user:pass@host:port` or `imaps://...`
 * @returns the endpoint with decoded credentials
 * @throws {ImapError} `E_IMAP_URL` for another scheme, a missing user or host, or an unknown option;
 *   `E_IMAP_PLAINTEXT` for `tls=off` to a host that is not loopback
 * @example
 * ```ts
 * import { parseImapUrl } from "./imap_url.ts";
 * parseImapUrl("imaps://bob%40example.org:s%3Acret@mail.example.org").port; // 993
 * ```
 */
export function parseImapUrl(url: string): ImapEndpoint {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw urlError(`not a URL: ${shown}`);
  }
  const implicitTls = u.protocol === "imaps:";
  if (!implicitTls && u.protocol !== "imap:") {
    throw urlError(`${shown}: scheme ${u.protocol} is not imap: or imaps:`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw urlError(`${shown}: no host`);
  const port = u.port ? Number(u.port) : implicitTls ? 993 : 143;
  const user = decode(u.username, shown, "user name");
  if (!user) throw urlError(`${shown}: no user name`);
  const password = decode(u.password, shown, "password");
  const tls = (u.searchParams.get("tls") ?? "auto") as ImapTlsMode;
  if (!TLS_MODES.includes(tls)) throw urlError(`${shown}: tls=${tls} is not one of ${TLS_MODES.join(", ")}`);
  for (const key of u.searchParams.keys()) {
    if (key !== "tls") throw urlError(`${shown}: unknown option '${key}' (known: tls)`);
  }
  if (tls === "off" && !implicitTls && !isLoopbackHost(host)) {
    throw new ImapError(
      "E_IMAP_PLAINTEXT",
      `${shown}: tls=off would send the password of ${user} unencrypted across the network to ${host}; ` +
        "a login without TLS is allowed on loopback only (127.0.0.0/8, ::1, localhost)",
      `drop ?tls=off: imap://${host.includes(":") ? `[${host}]` : host} upgrades with STARTTLS, ` +
        "or use imaps://HOST (TLS from the start, port 993)",
    );
  }
  return { host, port, implicitTls, tls, user, password };
}

/**
 * What is wrong with an IMAP URL (it does not parse, or asks for a plaintext login across a network), for
 * `check` to report before a run; undefined when it is fine.
 *
 * @param url the URL as configured
 * @returns the error `parseImapUrl` would throw, or undefined
 * @example
 * ```ts
 * import { imapUrlProblem } from "./imap_url.ts";
 * imapUrlProblem("imap://bob:pw@mail.example.org/?tls=off")?.code; // "E_IMAP_PLAINTEXT"
 * ```
 */
export function imapUrlProblem(url: string): ImapError | undefined {
  try {
    parseImapUrl(url);
    return undefined;
  } catch (e) {
    if (e instanceof ImapError) return e;
    throw e;
  }
}

/**
 * Whether `host` is this machine, where a plaintext login exposes nothing on the network.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./imap_url.ts";
 * isLoopbackHost("127.0.0.1"); // true
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  return h === "localhost" || h === "::1" || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The URL without credentials, for messages and `Delivery.location`: `imap://host:port`.
 *
 * @example
 * ```ts
 * import { endpointLabel } from "./imap_url.ts";
 * endpointLabel({ host: "::1", port: 143, implicitTls: false }); // "imap://[::1]:143"
 * ```
 */
export function endpointLabel(e: Pick<ImapEndpoint, "host" | "port" | "implicitTls">): string {
  const host = e.host.includes(":") ? `[${e.host}]` : e.host;
  return `${e.implicitTls ? "imaps" : "imap"}://${host}:${e.port}`;
}

function decode(s: string, shown: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw urlError(`${shown}: the ${what} has a broken percent-escape`);
  }
}

function urlError(message: string): ImapError {
  return new ImapError(
    "E_IMAP_URL",
    message,
    "write imap://USER:PASSWORD@HOST:PORT or imaps://USER:PASSWORD@HOST (percent-encode @ : / in credentials)",
  );
}
