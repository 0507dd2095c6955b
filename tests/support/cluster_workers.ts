/**
 * What the cluster tests share: `cli.ts worker` child processes, the entry ids a Dovecot mailbox holds,
 * waiting for the mailbox to fill, and which worker holds the mailbox's lease. One copy here instead of
 * one per test file, so a fix (a child that must be killed, a wait that must end) lands in every test.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../../engine/runtime/mod.ts";
import type { WorkQueue } from "../../engine/cluster/work_queue.ts";
import { stopChild } from "./child_stop.ts";
import type { RunningDovecot } from "./dovecot.ts";
import { readMaildir } from "./maildir_reader.ts";
import { headerValue, parseMime } from "./mime_reader.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** A `cli.ts worker` child process; `stopped` resolves with its exit code once it has exited. */
export interface WorkerChild {
  child: ChildProcess;
  stopped: Promise<number | null>;
  /** What the worker wrote to stderr so far (shown when a test fails). */
  log(): string;
}

/**
 * Starts `cli.ts worker --nats URL` under the runtime running the test. `env` adds to (an undefined value
 * removes from) this process's environment: secrets such as IMAP_URL come from each worker's own
 * environment, never from NATS. With CLUSTER_VERBOSE=1 the worker logs at debug level.
 *
 * @example
 * ```ts ignore
 * const worker = startClusterWorker(nats.url, { IMAP_URL: dove.url });
 * await stopWorkers([worker]);
 * ```
 */
export function startClusterWorker(
  nats: string,
  env: Record<string, string | undefined> = {},
  args: string[] = [],
): WorkerChild {
  const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const pre = runtime.name === "deno"
    ? ["run", "-A", "--unstable-kv", "--unstable-cron", path.join(repo, "cli.ts")]
    : [path.join(repo, "cli.ts")];
  const verbose = runtime.env("CLUSTER_VERBOSE") ? ["-v"] : [];
  const child = spawn(process.execPath, [...pre, "worker", "--nats", nats, ...verbose, ...args], {
    cwd: repo,
    env: childEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  child.stderr!.on("data", (d) => (text += d));
  const stopped = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stopped, log: () => text };
}

/**
 * Stops every worker (SIGTERM, then SIGKILL after a grace period) and waits until each has exited.
 *
 * @example
 * ```ts ignore
 * after(() => stopWorkers(workers));
 * ```
 */
export async function stopWorkers(workers: WorkerChild[]): Promise<void> {
  await Promise.all(workers.map((w) => stopChild(w.child, w.stopped)));
}

/**
 * The `X-Sluice-Entry-Id` of every message in the Dovecot's mailboxes, each as often as it is stored
 * (in a fixed order: `readMaildir` sorts).
 *
 * @example
 * ```ts ignore
 * const ids = await storedEntryIds(dove);
 * assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []); // nothing twice
 * ```
 */
export async function storedEntryIds(dove: RunningDovecot): Promise<string[]> {
  const stored = await readMaildir(dove.mailRoot);
  return stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "?");
}

/**
 * Waits 20 ms, or less when `done` settles first (the poll step of the waits below).
 *
 * @example
 * ```ts
 * import { tick } from "./cluster_workers.ts";
 * await tick(Promise.resolve()); // returns at once: `done` has settled
 * ```
 */
export async function tick(done: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise((r) => timer = setTimeout(r, 20))]);
  clearTimeout(timer);
}

/**
 * Resolves once the mailbox holds at least `n` messages, or once `done` (the run) settles: a run that
 * ends early never leaves the test waiting.
 *
 * @example
 * ```ts ignore
 * await untilStored(dove, 5, run); // then kill the worker holding the mailbox
 * ```
 */
export async function untilStored(dove: RunningDovecot, n: number, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.then(() => finished = true, () => finished = true);
  while (!finished && (await readMaildir(dove.mailRoot)).length < n) await tick(done);
}

/**
 * The process id of the worker holding a mailbox's single-owner lease now, if one does.
 *
 * @example
 * ```ts ignore
 * process.kill(await mailboxHolder(queue) ?? 0, "SIGKILL");
 * ```
 */
export async function mailboxHolder(queue: WorkQueue): Promise<number | undefined> {
  for await (const key of await queue.leases.keys("owner.>")) {
    const entry = await queue.leases.get(key);
    if (entry?.operation !== "PUT") continue;
    const holder = (JSON.parse(entry.string()) as { holder: string }).holder;
    return Number(holder.slice(holder.lastIndexOf(":") + 1));
  }
  return undefined;
}

/**
 * A random integer from `lo` to `hi`, both included (where the crash tests strike).
 *
 * @example
 * ```ts
 * import { randomBetween } from "./cluster_workers.ts";
 * const n = randomBetween(1, 3); // 1, 2 or 3
 * ```
 */
export function randomBetween(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}
