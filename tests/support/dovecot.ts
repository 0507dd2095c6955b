/**
 * A private Dovecot IMAP server for tests and benchmarks: its own config, run/state directories, user and
 * Maildir in a temp directory, listening on a free loopback port, stopped and removed by `stop()`.
 * It never touches a system Dovecot. Needs `/usr/sbin/dovecot` (Debian: `apt-get install dovecot-imapd`)
 * and root (Dovecot switches to the `mail` user for the mailbox).
 *
 * @example
 * ```ts
 * import { startDovecot } from "./dovecot.ts";
 * const dove = await startDovecot({ fsync: false });
 * console.log(dove.url); // imap://sluice:...@127.0.0.1:PORT
 * await dove.stop();
 * ```
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import process from "node:process";
import { tmpdir } from "node:os";
import path from "node:path";
import { runtime } from "../../engine/runtime/mod.ts";
import { freePort, probeImapGreeting } from "./loopback.ts";

/** Where the Debian package installs the Dovecot master binary. */
const DOVECOT_BIN = "/usr/sbin/dovecot";
/** How long a start may take before it is reported as failed. */
const START_TIMEOUT_MS = 15_000;

/** The message a test shows when it skips (or fails on CI) because Dovecot is missing. */
export const DOVECOT_MISSING = "Dovecot not installed: apt-get install dovecot-imapd";

/**
 * Options of {@linkcode startDovecot}.
 *
 * @example
 * ```ts
 * const opts: DovecotOptions = { fsync: false, tls: true, separator: "/" };
 * ```
 */
export interface DovecotOptions {
  /** `mail_fsync = optimized` when true (Dovecot's default), `never` when false. Default true. */
  fsync?: boolean;
  /** Also offer STARTTLS on the plain port and listen for imaps, with a fresh self-signed cert. */
  tls?: boolean;
  /** Hierarchy separator of the mailbox namespace. Default `.` (Maildir++ style). */
  separator?: "." | "/";
  /** Login name. Default `sluice`. */
  user?: string;
  /** Password (may hold any character but `:`). Default: random hex. */
  password?: string;
  /**
   * Also accept SASL XOAUTH2 and OAUTHBEARER, checking each token at this RFC 7662 introspection URL
   * (Dovecot POSTs `token=...`; the answer must be `{"active": true, "username": USER}`).
   */
  oauth2IntrospectionUrl?: string;
  /** More accounts on the same server (several accounts in one config); each has its own Maildir. */
  extraUsers?: { user: string; password: string }[];
  /**
   * Capabilities the server does not announce (`imap_capability`), before and after login, e.g.
   * `["MULTIAPPEND"]` to test a client's fallback. Dovecot still accepts the commands themselves.
   */
  hideCapabilities?: string[];
}

/** What Dovecot 2.3 announces after login by default (`imap_capability` unset). */
const DOVECOT_CAPABILITIES = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY " +
  "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN " +
  "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH " +
  "LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY").split(
    " ",
  );

/**
 * A running private Dovecot.
 *
 * @example
 * ```ts
 * const dove: RunningDovecot = await startDovecot();
 * await dove.stop();
 * ```
 */
export interface RunningDovecot {
  /** `imap://USER:PASS@127.0.0.1:PORT` with percent-encoded credentials. */
  url: string;
  host: string;
  /** Plain IMAP port (offers STARTTLS when started with `tls: true`). */
  port: number;
  user: string;
  password: string;
  /** imaps (implicit TLS) port, when started with `tls: true`. */
  tlsPort?: number;
  /** PEM of the self-signed certificate (use it as the CA), when started with `tls: true`. */
  caCertPem?: string;
  /** The user's Maildir (INBOX files and one `.Folder` directory per mailbox), for counting files. */
  mailRoot: string;
  /** The Maildir of any user, e.g. one of `extraUsers`. */
  mailRootOf(user: string): string;
  /** The instance's temp directory (config, logs, mail). */
  dir: string;
  /** Stops Dovecot and all its processes, then deletes the temp directory. */
  stop(): Promise<void>;
  /** `stop()`, for `await using dovecot = await startDovecot()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Whether the Dovecot binary is installed.
 *
 * @example
 * ```ts
 * if (!dovecotAvailable()) console.log("skipping IMAP tests");
 * ```
 */
export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT_BIN);
}

/**
 * The skip policy for test suites that need Dovecot, as a value for `describe(name, { skip }, ...)`:
 * false when Dovecot is installed; the reason to skip when it is not; and false again on CI (env `CI`
 * set), so the suite runs and fails loudly instead of skipping quietly.
 *
 * @example
 * ```ts
 * // in a test file: describe("imap", { skip: dovecotSkip() }, () => { ... });
 * console.log(dovecotSkip()); // false where Dovecot is installed
 * ```
 */
export function dovecotSkip(): string | false {
  if (dovecotAvailable() || runtime.env("CI")) return false;
  return DOVECOT_MISSING;
}

/**
 * The same policy for a single test: skips `t` and returns false when Dovecot is missing, throws on CI
 * (a missing Dovecot must fail there), returns true when Dovecot is installed.
 *
 * @example
 * ```ts
 * // in a test file: test("append", async (t) => { if (!requireDovecot(t)) return; ... });
 * const t = { skip: (why?: string) => console.log("skipped:", why) };
 * console.log(requireDovecot(t)); // true where Dovecot is installed
 * ```
 */
export function requireDovecot(t: { skip(message?: string): void }): boolean {
  if (dovecotAvailable()) return true;
  if (runtime.env("CI")) throw new Error(`${DOVECOT_MISSING} (CI is set: failing instead of skipping)`);
  t.skip(DOVECOT_MISSING);
  return false;
}

/**
 * Starts a private Dovecot and resolves once it greets on its port.
 *
 * @param options fsync, TLS, separator and credentials
 * @returns the running instance; call `stop()` when done
 * @example
 * ```ts
 * const dove = await startDovecot({ tls: true });
 * console.log(dove.tlsPort, dove.caCertPem?.length);
 * await dove.stop();
 * ```
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<RunningDovecot> {
  if (!dovecotAvailable()) {
    throw new Error(`${DOVECOT_MISSING} (${DOVECOT_BIN} not found)`);
  }
  const user = options.user ?? "sluice";
  const password = options.password ?? `pw-${crypto.randomUUID().replaceAll("-", "")}`;
  if (password.includes(":") || user.includes(":")) throw new Error("Dovecot passwd-file cannot hold ':'");
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-dovecot-"));
  try {
    await chmod(dir, 0o755); // Dovecot's auth process (user dovecot) reads the users file inside
    const caCertPem = options.tls ? makeSelfSignedCert(dir) : undefined;
    // A free port can be taken between probing and Dovecot's bind: retry with fresh ports.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const tlsPort = options.tls ? await freePort() : undefined;
      await writeInstance(dir, { ...options, user, password, port, tlsPort });
      try {
        const child = await launch(dir, port);
        const mailRoot = path.join(dir, "mail", user, "Maildir");
        return {
          url: `imap://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
          host: "127.0.0.1",
          port,
          user,
          password,
          tlsPort,
          caCertPem,
          mailRoot,
          mailRootOf: (u: string) => path.join(dir, "mail", u, "Maildir"),
          dir,
          stop: () => stopInstance(child, dir, instanceName(port)),
          [Symbol.asyncDispose]: () => stopInstance(child, dir, instanceName(port)),
        };
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Writes config, users file and mail directory for one instance. */
async function writeInstance(
  dir: string,
  o: DovecotOptions & { user: string; password: string; port: number; tlsPort?: number },
): Promise<void> {
  const mailUid = idOf("-u", "mail");
  const mailGid = idOf("-g", "mail");
  for (const sub of ["run", "state", "mail"]) await mkdir(path.join(dir, sub), { recursive: true });
  await chown(path.join(dir, "mail"), mailUid, mailGid);
  await writeFile(
    path.join(dir, "users"),
    [{ user: o.user, password: o.password }, ...(o.extraUsers ?? [])].map((u) =>
      `${u.user}:{PLAIN}${u.password}:${mailUid}:${mailGid}::${path.join(dir, "mail", u.user)}::\n`
    ).join(""),
    { mode: 0o644 },
  );
  const ssl = o.tls
    ? `ssl = yes\nssl_cert = <${path.join(dir, "cert.pem")}\nssl_key = <${path.join(dir, "key.pem")}`
    : "ssl = no";
  const config = `# private Dovecot for sluice tests, instance dir ${dir}
instance_name = ${instanceName(o.port)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
${ssl}
disable_plaintext_auth = no
# Tests try wrong passwords on purpose: no failure delay, and no per-IP penalty for the next login
# (the auth process cannot open a mode-0 socket, which switches the penalty off).
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
auth_mechanisms = plain login${o.oauth2IntrospectionUrl ? " xoauth2 oauthbearer" : ""}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = ${o.fsync === false ? "never" : "optimized"}
mail_max_userip_connections = 200
${
    o.hideCapabilities?.length
      ? `imap_capability = ${
        DOVECOT_CAPABILITIES.filter((c) => !o.hideCapabilities!.includes(c.toUpperCase())).join(" ")
      }\n`
      : ""
  }namespace inbox {
  inbox = yes
  separator = ${o.separator ?? "."}
  prefix =
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/users
}${
    o.oauth2IntrospectionUrl
      ? `
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf
}`
      : ""
  }
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${o.tlsPort ?? 0}
  }
}
`;
  if (o.oauth2IntrospectionUrl) {
    await writeFile(
      path.join(dir, "oauth2.conf"),
      `introspection_mode = post\nintrospection_url = ${o.oauth2IntrospectionUrl}\n` +
        "force_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n",
      { mode: 0o644 },
    );
  }
  await writeFile(path.join(dir, "dovecot.conf"), config);
}

/** Dovecot's instance name, which prefixes the titles of its processes. */
function instanceName(port: number): string {
  return `dovecot-sluice-${port}`;
}

/** Numeric uid/gid of a system account through `id`. */
function idOf(flag: "-u" | "-g", name: string): number {
  const r = spawnSync("id", [flag, name], { encoding: "utf8" });
  const n = Number(String(r.stdout).trim());
  if (r.status !== 0 || !Number.isInteger(n)) throw new Error(`system account '${name}' not found`);
  return n;
}

/** A self-signed certificate for 127.0.0.1 (EC: generated in milliseconds); returns its PEM. */
function makeSelfSignedCert(dir: string): string {
  const r = spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    path.join(dir, "key.pem"),
    "-out",
    path.join(dir, "cert.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ], { encoding: "utf8" }); // deno-fmt-ignore
  if (r.status !== 0) throw new Error(`openssl could not create a test certificate: ${r.stderr || r.error}`);
  return readFileSync(path.join(dir, "cert.pem"), "utf8");
}

/** Runs `dovecot -F` (foreground: its exit ends every child) and waits for the IMAP greeting. */
async function launch(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(DOVECOT_BIN, ["-F", "-c", path.join(dir, "dovecot.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => stderr += s);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const greeted = await Promise.race([probeImapGreeting(port), exited.then(() => "exited" as const)]);
    if (greeted === true) return child;
    if (greeted === "exited") {
      const log = await readFile(path.join(dir, "dovecot.log"), "utf8").catch(() => "");
      throw new Error(
        `dovecot exited during startup: ${(stderr + log).trim().split("\n").slice(-5).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stopInstance(child, undefined, instanceName(port));
  throw new Error(`dovecot did not greet on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
}

/**
 * Stops the master with SIGTERM, which makes it stop its children, and then removes the directory.
 * The master and its log process linger about a second after the other children are gone; once they
 * are, the master is killed instead of waited for, and the log process follows it at once.
 */
async function stopInstance(child: ChildProcess, dir: string | undefined, instance: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // Our own flag: Deno sets `signalCode` as soon as kill() is called, before the process has exited.
    let hasExited = false;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve())).then(() =>
      hasExited = true
    );
    child.kill("SIGTERM");
    await pollUntil(async () => (await instanceChildren(instance)).every((p) => p.service === "log"), exited);
    // process.kill, not child.kill: Deno's child.kill() ignores a second signal.
    if (!hasExited && child.pid) process.kill(child.pid, "SIGKILL");
    await exited;
  }
  await pollUntil(async () => (await instanceChildren(instance)).length === 0);
  child.stderr?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Re-checks `done` every 20 ms (or when `wake` settles) for at most 5 s. */
async function pollUntil(done: () => Promise<boolean>, wake?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!await done() && Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([wake, new Promise((r) => timer = setTimeout(r, 20))].filter(Boolean));
    clearTimeout(timer);
  }
}

/** The instance's child processes: Dovecot titles them `INSTANCE_NAME/service`. */
async function instanceChildren(instance: string): Promise<{ pid: number; service: string }[]> {
  const found: { pid: number; service: string }[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith(`${instance}/`)) {
      found.push({
        pid: Number(entry),
        service: cmdline.slice(instance.length + 1).replace(/\0.*$/s, "").trim(),
      });
    }
  }
  return found;
}
