/**
 * sluice's command line: `deno run -A cli.ts FILE` or `bun cli.ts FILE`. See `cli.ts --help`.
 * @module
 */
import process from "node:process";
import { runtime } from "./engine/runtime/mod.ts";
import { CLI_MALLOC_ARENAS } from "./engine/runtime/malloc_arenas.ts";
import { main } from "./cli/main.ts";

// Before the run's threads start: they then share the C allocator's arenas (malloc_arenas.ts).
runtime.limitMallocArenas?.(CLI_MALLOC_ARENAS);
process.exit(await main(process.argv.slice(2)));
