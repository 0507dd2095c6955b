/**
 * `placement: process` for module functions: one child process per stage and run (the runtime running
 * sluice, started on the first item), taking batches of items as JSON lines and answering each batch with
 * one line. The child is a separate process: a crash or a leak there does not reach the pipeline.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setImmediate } from "node:timers";
import { SluiceError } from "../errors.ts";
import { reviveError } from "../kernel/pool_protocol.ts";
import { runtime } from "../runtime/mod.ts";
import type { BatchOutcome } from "./pool_batch.ts";
import type { BatchTarget } from "./pool_batcher.ts";

// Resolved when a child starts, not at import: mod.ts imported by an http(s) URL must still load.
const childScript = () => fileURLToPath(new URL("./process_batch_child.ts", import.meta.url));

interface Waiting {
  item: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Sends items to a child process in batches (those that arrived in one turn of the event loop, up to
 * `maxBatch`), in order; `close` ends the child once its answers are in.
 *
 * @example
 * ```ts ignore
 * const batcher = new ProcessBatcher({ module: "file:///f.ts", export: "double", mode: "call" });
 * console.log(await batcher.call(21)); // 42
 * await batcher.close();
 * ```
 */
export class ProcessBatcher {
  #child?: ChildProcess;
  #waiting: Waiting[] = [];
  #sent = new Map<number, Waiting[]>();
  #nextId = 1;
  #scheduled = false;
  #failed?: Error;

  /**
   * @param target the module function every item goes to (`call` mode: items and results are JSON)
   * @param maxBatch the most items one line carries (default 256)
   */
  constructor(readonly target: BatchTarget, readonly maxBatch = 256) {}

  /** Calls the target on `item` in the child process. */
  call(item: unknown): Promise<unknown> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (this.#waiting.length >= this.maxBatch) this.#send();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#send();
        });
      }
    });
  }

  /** Ends the child's input and waits for it to exit. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    await exited;
  }

  #send(): void {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.maxBatch);
      const id = this.#nextId++;
      this.#sent.set(id, batch);
      const { module, export: name, mode } = this.target;
      this.#start().stdin!.write(
        JSON.stringify({ id, module, export: name, mode, items: batch.map((w) => w.item) }) + "\n",
      );
    }
  }

  #start(): ChildProcess {
    if (this.#child) return this.#child;
    const [command, ...args] = runtime.scriptCommand(childScript());
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.#child = child;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const answer = JSON.parse(line) as {
        id: number;
        outcomes?: BatchOutcome[];
        error?: { name: string; message: string };
      };
      const batch = this.#sent.get(answer.id);
      this.#sent.delete(answer.id);
      batch?.forEach((w, i) => {
        const outcome = answer.outcomes?.[i];
        if (!outcome) w.reject(reviveError(answer.error ?? { name: "Error", message: "no answer" }));
        else if (outcome[0] === 1) w.resolve(outcome[1]);
        else w.reject(reviveError(outcome[1]));
      });
    });
    child.on("exit", (code, signal) => {
      if (this.#sent.size === 0 && this.#waiting.length === 0) return;
      this.#failed = new SluiceError(
        "E_PROCESS_EXITED",
        `the process of ${this.target.module}#${this.target.export} exited (${
          signal ?? `code ${code}`
        }) with items in flight`,
        "see its error output above; the items it had are failed",
      );
      for (const batch of this.#sent.values()) for (const w of batch) w.reject(this.#failed);
      this.#sent.clear();
    });
    child.on("error", (e) => {
      this.#failed = new SluiceError(
        "E_PROCESS_START",
        `cannot start ${command}: ${e.message}`,
        "check the runtime's installation",
      );
      for (const batch of this.#sent.values()) for (const w of batch) w.reject(this.#failed);
      this.#sent.clear();
    });
    return child;
  }
}
