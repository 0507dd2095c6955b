/**
 * Runs `cli.ts` as a user meets it: a child process of the test's own runtime (Deno with KV and cron
 * enabled), in the repository, colours off and `IMAP_URL` empty unless the test sets it.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../../engine/runtime/mod.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** What a finished CLI child left: its exit code and everything it printed. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How long a child process may run before it is killed and its test fails (a hang must not stall the
 * suite): below the 120 s a test may take (`bun test --timeout 120000`, the Deno shim's default), so the
 * kill and the line that says so come before the test's own timeout. Also the `timeout` of the suite's
 * other `spawn`/`execFile` calls that wait for a child to exit.
 */
export const CLI_CHILD_TIMEOUT_MS = 100_000;

/** How long {@linkcode stopChild} waits after SIGTERM before it sends SIGKILL. */
export const STOP_GRACE_MS = 20_000;

/**
 * Stops a long-running child (a `cli.ts worker`, a scheduled run): SIGTERM, then SIGKILL when it has not
 * exited within `graceMs`; resolves with its exit code once it has exited. For `after()` hooks, which must
 * not hang on a child that ignores SIGTERM.
 *
 * @example Not run here: it needs a child process.
 * ```ts ignore
 * import { spawn } from "node:child_process";
 * import { stopChild } from "./cli_child.ts";
 * const child = spawn("sleep", ["60"]);
 * const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
 * await stopChild(child, exited);
 * ```
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs = STOP_GRACE_MS,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return await exited;
  // process.kill, not child.kill: Deno's child_process sends only the first kill() of a child.
  process.kill(child.pid!, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
      resolve();
    }, graceMs);
  });
  try {
    await Promise.race([exited, killed]);
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `cli.ts ARGS` (or `options.entry ARGS`, a script that wraps the CLI) with `env` over the test's
 * environment and resolves once the child exits. A child still running after `options.timeoutMs`
 * (default {@linkcode CLI_CHILD_TIMEOUT_MS}) is killed; it resolves with code `null` and a line saying so
 * at the end of `stderr`, which the test's assertion then shows.
 *
 * @example Not run here: it spawns the CLI, which the tests that use it do.
 * ```ts ignore
 * import { runCliChild } from "./cli_child.ts";
 * const { code, stdout } = await runCliChild(["state", "pipelines/rss2imap.yaml"], { STATE_DIR: "/tmp/s" });
 * ```
 */
export function runCliChild(
  args: string[],
  env: Record<string, string>,
  options: { entry?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const entry = options.entry ?? path.join(repo, "cli.ts");
  const pre = runtime.name === "deno" ? ["run", "-A", "--unstable-kv", "--unstable-cron", entry] : [entry];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...pre, ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1", IMAP_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const limit = options.timeoutMs ?? CLI_CHILD_TIMEOUT_MS;
    const timer = setTimeout(() => {
      stderr += `\n[test] cli.ts ${args.join(" ")} still running after ${limit / 1000} s: killed\n`;
      child.kill("SIGKILL");
    }, limit);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
