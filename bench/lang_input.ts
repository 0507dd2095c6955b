/**
 * Writes the JSON-lines input of `lang_bench.ts` (`FILE MEGABYTES`) and prints how many records it wrote. The
 * bench runs it as a child process, so the garbage of writing 1 GB (the strings, the stream's buffers) is
 * not in the heap that the measured run starts from (under Deno it left the bench at 84 MB before the run
 * began, 35 MB more than the modules take).
 *
 * @example
 * ```sh
 * deno run -A bench/lang_input.ts /tmp/in.jsonl 100
 * ```
 * @module
 */
import { createWriteStream } from "node:fs";
import process from "node:process";

const [file, megabytes] = process.argv.slice(-2);
const out = createWriteStream(file);
const text = "lorem ipsum dolor sit amet consectetur ".repeat(24);
const bytes = Number(megabytes) * 1024 * 1024;
let written = 0;
let id = 0;
while (written < bytes) {
  const line = JSON.stringify({ id: id++, text }) + "\n";
  written += line.length;
  if (!out.write(line)) await new Promise((r) => out.once("drain", r));
}
await new Promise((r) => out.end(r));
console.log(id);
