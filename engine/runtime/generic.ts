/**
 * The fallback adapter for any other runtime that implements `node:process` (Node itself, for tools).
 * @module
 */
import type { RuntimeAdapter } from "./adapter.ts";
import {
  nodeArgs,
  nodeCpuCount,
  nodeEnv,
  nodeEnvObject,
  nodeExit,
  nodeIsTerminal,
  nodeMemoryRss,
  nodeOnMainThread,
  nodeOnSignal,
  nodeReadTextFile,
  nodeScriptCommand,
} from "./node_common.ts";

/** The adapter used when neither Deno nor Bun is detected. */
export const genericAdapter: RuntimeAdapter = {
  name: "node",
  cpuCount: nodeCpuCount(),
  hasWorkers: typeof (globalThis as { Worker?: unknown }).Worker === "function",
  onMainThread: nodeOnMainThread,
  scriptCommand: nodeScriptCommand,
  env: nodeEnv,
  envObject: nodeEnvObject,
  args: nodeArgs,
  readTextFile: nodeReadTextFile,
  onSignal: nodeOnSignal,
  nativeCron: () => undefined,
  nativeCronMissingHint: () => undefined,
  exit: nodeExit,
  isTerminal: nodeIsTerminal,
  memoryRss: nodeMemoryRss,
};
