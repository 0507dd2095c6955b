/**
 * The command line: parses arguments and hands each command to its module (loaded on demand, so that
 * `--help` starts fast). Everything a command does, a script can do through `mod.ts`.
 * @module
 */
import { parseArgs } from "node:util";
import { EXIT } from "./exit_codes.ts";
import { HELP } from "./help.ts";

const COMMANDS = new Set(["run", "check", "plan", "state", "help"]);

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  "dry-run": { type: "string" },
  every: { type: "string" },
  budget: { type: "string" },
  trace: { type: "string" },
  json: { type: "boolean" },
  "summary-json": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  placement: { type: "string" },
  sequential: { type: "boolean" },
  grace: { type: "string" },
  format: { type: "string" },
  forget: { type: "string" },
  "mark-seen": { type: "string" },
  "env-file": { type: "string" },
} as const;

/**
 * Runs the CLI with `argv` (the arguments after the script) and returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await main(["check", "pipelines/rss2imap.yaml"]);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let command = "run";
  let rest = argv;
  if (argv[0] && COMMANDS.has(argv[0])) {
    command = argv[0];
    rest = argv.slice(1);
  }
  // `--mark-seen` takes an optional URL: alone it means every feed.
  rest = rest.map((a, i) =>
    a === "--mark-seen" && !/^https?:\/\//i.test(rest[i + 1] ?? "") ? "--mark-seen=" : a
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: OPTIONS,
    });
  } catch (e) {
    return usage((e as Error).message, command);
  }
  const { values: v, positionals } = parsed;
  if (v.version) {
    console.log("sluice 0.1.0");
    return EXIT.OK;
  }
  if (command === "help") {
    console.log(HELP[positionals[0] ?? "main"] ?? HELP.main);
    return EXIT.OK;
  }
  if (v.help || positionals.length === 0) {
    console.log(HELP[command === "run" && !argv.includes("run") ? "main" : command]);
    return v.help ? EXIT.OK : usage("no pipeline file given", command);
  }
  if (positionals.length > 1) {
    return usage(`one pipeline file expected, got: ${positionals.join(" ")}`, command);
  }
  const file = positionals[0];
  try {
    if (v["env-file"]) await loadEnvFile(v["env-file"]);
    return await dispatch(command, file, v);
  } catch (e) {
    // Deno without an --allow-* flag sluice needs: say which flags, not a stack trace.
    const { permissionProblem } = await import("../engine/permission_error.ts");
    const refused = permissionProblem(e);
    if (!refused) throw e;
    console.error(`error: ${(e as Error).message}\n  hint: ${refused.hint}`);
    return EXIT.USAGE;
  }
}

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

async function dispatch(command: string, file: string, v: Options): Promise<number> {
  switch (command) {
    case "check": {
      const { checkCommand } = await import("./check_command.ts");
      return await checkCommand(file);
    }
    case "plan": {
      const { planCommand } = await import("./plan_command.ts");
      const format = v.format ?? "text";
      if (!["text", "mermaid", "json"].includes(format)) {
        return usage(`--format must be text, mermaid or json`, command);
      }
      return await planCommand(file, format as "text" | "mermaid" | "json");
    }
    case "state": {
      const { stateCommand } = await import("./state_command.ts");
      return await stateCommand({
        file,
        forget: v.forget,
        markSeen: v["mark-seen"] === undefined ? undefined : v["mark-seen"] || true,
        json: v.json,
      });
    }
    default: {
      if (v.placement !== undefined && v.placement !== "loop") {
        return usage("--placement takes only `loop`", command);
      }
      const { parseDuration } = await import("../engine/config/duration.ts");
      let budgetMs: number | undefined;
      let graceMs: number | undefined;
      try {
        budgetMs = v.budget === undefined ? undefined : parseDuration(v.budget);
        graceMs = v.grace === undefined ? undefined : parseDuration(v.grace);
      } catch (e) {
        return usage((e as Error).message, command);
      }
      if (v.every !== undefined) {
        const { parseCron } = await import("../engine/schedule/cron.ts");
        try {
          parseCron(v.every);
        } catch (e) {
          return usage(`--every: ${(e as Error).message}`, command);
        }
      }
      const { runCommand } = await import("./run_command.ts");
      return await runCommand({
        file,
        dryRun: v["dry-run"] === undefined ? undefined : v["dry-run"] || "./out/dry-run",
        every: v.every,
        budgetMs,
        graceMs,
        trace: v.trace,
        json: v.json,
        summaryJson: v["summary-json"],
        quiet: v.quiet,
        verbose: v.verbose,
        placement: v.placement as "loop" | undefined,
        sequential: v.sequential,
      });
    }
  }
}

function usage(message: string, command: string): number {
  console.error(`error: ${message}\nrun "cli.ts help${command === "run" ? "" : " " + command}" for usage`);
  return EXIT.USAGE;
}

async function loadEnvFile(file: string): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const process = (await import("node:process")).default;
  for (const line of (await readFile(file, "utf8")).split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    process.env[m[1]] ??= m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
}
