/**
 * sluice's command line: `deno run -A cli.ts FILE` or `bun cli.ts FILE`. See `cli.ts --help`.
 * @module
 */
import process from "node:process";
import { main } from "./cli/main.ts";

process.exit(await main(process.argv.slice(2)));
