/**
 * A private Cyrus IMAP server for tests, the second real server beside Dovecot: its own `imapd.conf`,
 * `cyrus.conf`, sasldb user, spool and sockets in a temp directory, its `master` listening on a free
 * loopback port, stopped and removed by `stop()`. Debian's cyrus-imapd conflicts with dovecot-imapd when
 * installed, so it runs from the packages unpacked by `.ci/install_cyrus` into `CYRUS_PREFIX` (default
 * `/opt/sluice-cyrus`). Needs root (the services run as the `mail` user; Cyrus refuses to run as root).
 *
 * @example
 * ```ts ignore
 * import { startCyrus } from "./cyrus.ts";
 * const cyrus = await startCyrus();
 * console.log(cyrus.url); // imap://sluice:...@127.0.0.1:PORT
 * await cyrus.stop();
 * ```
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import process from "node:process";
import { tmpdir } from "node:os";
import path from "node:path";
import { runtime } from "../../engine/runtime/mod.ts";
import { freePort, probeImapGreeting } from "./loopback.ts";

/** Where `.ci/install_cyrus` unpacks Cyrus (the `CYRUS_PREFIX` variable overrides it). */
const PREFIX = runtime.env("CYRUS_PREFIX") || "/opt/sluice-cyrus";
const MASTER = path.join(PREFIX, "usr/lib/cyrus/bin/master");
const BIN = path.join(PREFIX, "usr/lib/cyrus/bin");
const SASLPASSWD = path.join(PREFIX, "usr/sbin/saslpasswd2");
const LIBS = [path.join(PREFIX, "usr/lib/x86_64-linux-gnu"), path.join(PREFIX, "lib/x86_64-linux-gnu")].join(
  ":",
);
/** How long a start may take before it is reported as failed. */
const START_TIMEOUT_MS = 20_000;

/** The message a test shows when it skips (or fails on CI) because Cyrus is not unpacked. */
export const CYRUS_MISSING = `Cyrus IMAP not unpacked in ${PREFIX}: run bash .ci/install_cyrus`;

/**
 * A running private Cyrus.
 *
 * @example
 * ```ts ignore
 * const cyrus: RunningCyrus = await startCyrus();
 * await cyrus.stop();
 * ```
 */
export interface RunningCyrus {
  /** `imap://USER:PASS@127.0.0.1:PORT` with percent-encoded credentials. */
  url: string;
  port: number;
  user: string;
  password: string;
  /** The instance's temp directory (config, spool). */
  dir: string;
  /** Stops the master and its services, then deletes the temp directory. */
  stop(): Promise<void>;
}

/**
 * Whether Cyrus is unpacked where the launcher looks.
 *
 * @example
 * ```ts
 * import { cyrusAvailable } from "./cyrus.ts";
 * console.log(typeof cyrusAvailable()); // "boolean"
 * ```
 */
export function cyrusAvailable(): boolean {
  return existsSync(MASTER) && existsSync(SASLPASSWD);
}

/**
 * The skip policy for suites that need Cyrus: false when it is unpacked or on CI (env `CI`: the suite
 * runs and fails loudly), else the reason to skip.
 *
 * @example
 * ```ts
 * import { cyrusSkip } from "./cyrus.ts";
 * // in a test file: describe("against Cyrus", { skip: cyrusSkip() }, () => { ... });
 * ```
 */
export function cyrusSkip(): string | false {
  if (cyrusAvailable() || runtime.env("CI")) return false;
  return CYRUS_MISSING;
}

/**
 * Starts a private Cyrus IMAP and resolves once it greets on its port.
 *
 * @example
 * ```ts ignore
 * const cyrus = await startCyrus();
 * await cyrus.stop();
 * ```
 */
export async function startCyrus(): Promise<RunningCyrus> {
  if (!cyrusAvailable()) throw new Error(CYRUS_MISSING);
  const user = "sluice";
  const password = `pw-${crypto.randomUUID().replaceAll("-", "")}`;
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-cyrus-"));
  try {
    await chmod(dir, 0o755);
    for (const sub of ["conf", "spool", "socket"]) await mkdir(path.join(dir, sub), { recursive: true });
    const sasl = spawnSync(
      SASLPASSWD,
      ["-p", "-c", "-f", path.join(dir, "sasldb2"), "-u", "localhost", user],
      {
        input: password,
        env: { ...process.env, LD_LIBRARY_PATH: LIBS },
      },
    );
    if (sasl.status !== 0) throw new Error(`saslpasswd2 failed: ${sasl.stderr?.toString().trim()}`);
    const uid = idOf("-u", "mail");
    const gid = idOf("-g", "mail");
    let lastError: unknown;
    // A free port can be taken between probing and Cyrus's bind: retry with fresh ports.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      await writeConfig(dir, port);
      await chownTree(dir, uid, gid);
      try {
        const child = await launch(dir, port);
        return {
          url: `imap://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
          port,
          user,
          password,
          dir,
          stop: () => stopInstance(child, dir),
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

async function writeConfig(dir: string, port: number): Promise<void> {
  // altnamespace: the user's folders sit beside INBOX (`News`, not `INBOX/News`), as on Dovecot.
  await writeFile(
    path.join(dir, "imapd.conf"),
    `# private Cyrus for sluice tests, instance dir ${dir}
configdirectory: ${dir}/conf
partition-default: ${dir}/spool
defaultpartition: default
servername: localhost
cyrus_user: mail
admins: cyrusadmin
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: ${dir}/sasldb2
sasl_mech_list: PLAIN LOGIN
unixhierarchysep: yes
altnamespace: yes
autocreate_quota: 0
# Spool directories by mailbox name (3.x defaults to uuid paths), so tests can count messages by folder.
mailbox_legacy_dirs: yes
idlesocket: ${dir}/socket/idle
lmtpsocket: ${dir}/socket/lmtp
notifysocket: ${dir}/socket/notify
syslog_prefix: sluice-cyrus
`,
  );
  await writeFile(
    path.join(dir, "cyrus.conf"),
    `START {
  recover cmd="${BIN}/ctl_cyrusdb -C ${dir}/imapd.conf -r"
}
SERVICES {
  imap cmd="${BIN}/imapd -C ${dir}/imapd.conf" listen="127.0.0.1:${port}" prefork=0
}
EVENTS {
}
DAEMON {
}
`,
  );
}

/** Runs `master -D` (in the foreground) and waits for the IMAP greeting. */
async function launch(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    MASTER,
    ["-D", "-C", path.join(dir, "imapd.conf"), "-M", path.join(dir, "cyrus.conf"), "-p", `${dir}/master.pid`],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LD_LIBRARY_PATH: LIBS } },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => stderr += s);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const greeted = await Promise.race([probeImapGreeting(port), exited.then(() => "exited" as const)]);
    if (greeted === true) return child;
    if (greeted === "exited") {
      throw new Error(`cyrus master exited during startup (code ${child.exitCode}): ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopInstance(child, undefined);
  throw new Error(`cyrus did not greet on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
}

/** SIGTERM to the master (it stops its services), SIGKILL to anything of the instance left after 5 s. */
async function stopInstance(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    let hasExited = false;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve())).then(() =>
      hasExited = true
    );
    child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise((r) => timer = setTimeout(r, 5_000))]);
    clearTimeout(timer);
    if (!hasExited && child.pid) process.kill(child.pid, "SIGKILL");
    await exited;
  }
  // Services of this instance (their command line names its imapd.conf) that outlived the master.
  if (dir) {
    for (const pid of await instanceProcesses(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  child.stderr?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}

async function instanceProcesses(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(`${dir}/imapd.conf`)) found.push(Number(entry));
  }
  return found;
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid, gid);
    else await chown(full, uid, gid);
  }
}

function idOf(flag: "-u" | "-g", name: string): number {
  const out = spawnSync("id", [flag, name], { encoding: "utf8" });
  const id = Number(out.stdout?.trim());
  if (out.status !== 0 || !Number.isInteger(id)) throw new Error(`no ${name} user/group on this machine`);
  return id;
}
