/**
 * The entry of the child process behind `placement: process` for module functions: reads one batch a line
 * on stdin (`{ id, module, export, mode, items }`), answers `{ id, outcomes }` a line on stdout, and exits
 * when stdin ends. Items and results travel as JSON.
 *
 * @example
 * ```sh
 * echo '{"id":1,"module":"file:///f.ts","export":"double","mode":"call","items":[1,2]}' | deno run -A process_batch_child.ts
 * ```
 * @module
 */
// Bun gives a script run outside the sluice folder no bunfig preload: load the npm: plugin before any
// user module is imported (they are imported afterwards, dynamically).
import "../runtime/bun_npm_plugin.ts";
import process from "node:process";
import { createInterface } from "node:readline";

const { callBatch } = await import("./pool_batch.ts");
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
const pending: Promise<void>[] = [];
for await (const line of lines) {
  if (line.trim() === "") continue;
  const batch = JSON.parse(line) as {
    id: number;
    module: string;
    export: string;
    mode: "call";
    items: unknown[];
  };
  pending.push(
    callBatch(batch.module, batch.export, batch.mode, batch.items).then(
      (outcomes) => void process.stdout.write(JSON.stringify({ id: batch.id, outcomes }) + "\n"),
      (error) =>
        void process.stdout.write(
          JSON.stringify({
            id: batch.id,
            error: { name: "Error", message: String(error?.message ?? error) },
          }) + "\n",
        ),
    ),
  );
}
await Promise.all(pending);
