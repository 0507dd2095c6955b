/**
 * Pieces shared by the adapters: Deno 2 and Bun both implement these `node:` modules the same way.
 * @module
 */
import process from "node:process";
import os from "node:os";
import { isMainThread } from "node:worker_threads";
import type { SignalName } from "./adapter.ts";

/** Logical core count from `node:os`, at least 1. */
export function nodeCpuCount(): number {
  const n = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n || 1);
}

/** Whether this is the main thread, through `node:worker_threads` (right under Bun and Node). */
export function nodeOnMainThread(): boolean {
  return isMainThread;
}

/** Reads an environment variable through `node:process`. */
export function nodeEnv(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined; // Deno without --allow-env
  }
}

/** A copy of the environment through `node:process`. */
export function nodeEnvObject(): Record<string, string | undefined> {
  try {
    return { ...process.env };
  } catch {
    return {};
  }
}

/** Adds a signal listener through `node:process`; returns its remover. */
export function nodeOnSignal(signal: SignalName, handler: () => void): () => void {
  process.on(signal, handler);
  return () => process.off(signal, handler);
}

/** Whether stdout is a terminal, through `node:process`. */
export function nodeIsTerminal(): boolean {
  return Boolean(process.stdout?.isTTY);
}

/** Resident set size through `node:process`. */
export function nodeMemoryRss(): number {
  try {
    return process.memoryUsage().rss;
  } catch {
    return 0;
  }
}

/** `[runtime, file]`: Bun and Node run a script file as their first argument. */
export function nodeScriptCommand(file: string): string[] {
  return [process.execPath, file];
}

/** Exits through `node:process`. */
export function nodeExit(code: number): never {
  process.exit(code);
}

/** The UTF-8 text of the file at `path`, through `node:fs/promises` (loaded on the first call). */
export async function nodeReadTextFile(path: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return await readFile(path, "utf8");
}

/** The process arguments after the script. */
export function nodeArgs(): string[] {
  return process.argv.slice(2);
}
