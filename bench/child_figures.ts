/**
 * Runs a command as a child process and reports the figures a benchmark table needs: wall time, and
 * (through GNU `/usr/bin/time` when it is installed) user and system CPU time and peak resident memory.
 *
 * @example
 * ```ts
 * const f = await measureChild(["node", "-e", "1"], { cwd: "." });
 * console.log(f.wallS, f.maxRssMb);
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** What one child run cost. CPU and memory are undefined without GNU time. */
export interface ChildFigures {
  wallS: number;
  userS?: number;
  sysS?: number;
  maxRssMb?: number;
  exitCode: number;
  /** The last lines the child wrote to stderr (for a failed run's report). */
  stderrTail: string;
}

const GNU_TIME = "/usr/bin/time";

/**
 * Runs `argv` to completion and measures it.
 *
 * @example
 * ```ts
 * const { wallS, exitCode } = await measureChild(["sleep", "0.1"], {});
 * ```
 */
export async function measureChild(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> },
): Promise<ChildFigures> {
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-time-"));
  const timeFile = path.join(dir, "time.txt");
  const useTime = existsSync(GNU_TIME);
  const full = useTime ? [GNU_TIME, "-f", "%e %U %S %M", "-o", timeFile, ...argv] : argv;
  const started = performance.now();
  let stderr = "";
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
  const wallS = (performance.now() - started) / 1000;
  const figures: ChildFigures = { wallS, exitCode, stderrTail: stderr.split("\n").slice(-12).join("\n") };
  if (useTime) {
    const last = (await readFile(timeFile, "utf8")).trim().split("\n").pop() ?? "";
    const [wall, user, sys, rssKb] = last.split(" ").map(Number);
    if (Number.isFinite(wall)) figures.wallS = wall;
    figures.userS = user;
    figures.sysS = sys;
    figures.maxRssMb = rssKb / 1024;
  }
  await rm(dir, { recursive: true, force: true });
  return figures;
}
