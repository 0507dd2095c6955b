/**
 * Runs `cli.ts` as a user meets it: a child process of the test's own runtime (Deno with KV and cron
 * enabled), in the repository, colours off and `IMAP_URL` empty unless the test sets it.
 * @module
 */
import { spawn } from "node:child_process";
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
 * How long a CLI child may run before it is killed and its test fails (a hang must not stall the suite).
 * Also the `timeout` of the suite's other `spawn`/`execFile` calls that wait for a child to exit.
 */
export const CLI_CHILD_TIMEOUT_MS = 240_000;

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
