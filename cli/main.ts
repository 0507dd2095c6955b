/**
 * The command line: parses arguments and hands each command to its module (loaded on demand, so that
 * `--help` starts fast). Everything a command does, a script can do through `mod.ts`.
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigErrors } from "../engine/config/config_error.ts";
import { suggest } from "../engine/config/suggest.ts";
import { readPipelineFile } from "../engine/config/read_pipeline_file.ts";
import { SluiceError } from "../engine/errors.ts";
import { permissionProblem } from "../engine/permission_error.ts";
import { refusedEveryVariable } from "./environment_refusal.ts";
import { EXIT } from "./exit_codes.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { HELP } from "./help.ts";
import type { RunThreadLimits } from "./run_thread_limits.ts";

/** The arguments `main` was given (a run under Deno hands them to its thread). */
let mainArgv: string[] = [];

const COMMANDS = new Set(["run", "check", "plan", "state", "test", "stages", "worker", "help"]);

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  "dry-run": { type: "string" },
  every: { type: "string" },
  budget: { type: "string" },
  trace: { type: "string" },
  metrics: { type: "string" },
  json: { type: "boolean" },
  "summary-json": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  placement: { type: "string" },
  sequential: { type: "boolean" },
  grace: { type: "string" },
  pool: { type: "string" },
  format: { type: "string" },
  forget: { type: "string" },
  "mark-seen": { type: "string" },
  "env-file": { type: "string" },
  nats: { type: "string" },
  "wait-lock": { type: "string" },
  "max-memory": { type: "string" },
} as const;

/**
 * Runs the CLI with `argv` (the arguments after the script) and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await main(["check", "pipelines/rss2imap.yaml"]);
 * console.log(code); // 0
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  mainArgv = argv;
  let command = "run";
  let rest = argv;
  if (argv[0] && COMMANDS.has(argv[0])) {
    command = argv[0];
    rest = argv.slice(1);
  } else if (argv[0] && await looksLikeCommand(argv[0])) {
    // `cli.ts chek x.yaml` would otherwise try to run a pipeline file called `chek`.
    const near = suggest(argv[0], COMMANDS);
    if (near) return usage(`unknown command \`${argv[0]}\`; did you mean \`${near}\`?`, "run");
  }
  // `--mark-seen` takes an optional URL: alone it means every feed; `--dry-run` alone means ./out/dry-run.
  rest = rest.map((a, i) =>
    a === "--mark-seen" && !/^https?:\/\//i.test(rest[i + 1] ?? "")
      ? "--mark-seen="
      : a === "--dry-run"
      ? "--dry-run="
      : a
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
    const topic = positionals[0] ?? "main";
    if (Object.hasOwn(HELP, topic)) {
      console.log(HELP[topic]);
      return EXIT.OK;
    }
    const topics = Object.keys(HELP).filter((t) => t !== "main");
    const near = suggest(topic, topics);
    console.error(
      `error: no help topic \`${topic}\`${near ? `; did you mean \`${near}\`?` : ""}\n` +
        `topics: ${topics.join(", ")} (cli.ts help TOPIC)`,
    );
    return EXIT.CONFIG;
  }
  if (command === "stages" && !v.help) {
    if (positionals.length > 1) {
      return usage(`one stage name expected, got: ${positionals.join(" ")}`, command);
    }
    try {
      const { stagesCommand } = await import("./stages_command.ts");
      return stagesCommand(positionals[0], (text) => console.log(text), (text) => console.error(text));
    } catch (e) {
      const refused = refusedPermission(e);
      if (refused === undefined) throw e;
      return refused;
    }
  }
  if (command === "worker" && !v.help) {
    // A worker takes its pipelines from the jobs it is given: no file.
    if (positionals.length > 0) {
      return usage(`worker takes no pipeline file, got: ${positionals.join(" ")}`, command);
    }
    // The worker's secrets may come from here: a file it cannot read is a mistake, not a default.
    if (v["env-file"]) {
      try {
        await loadEnvFile(v["env-file"]);
      } catch (e) {
        if (e instanceof EnvFileError) return usage(e.message, command);
        throw e;
      }
    }
    try {
      const { workerCommand } = await import("./worker_command.ts");
      return await workerCommand({ nats: v.nats, json: v.json, quiet: v.quiet, verbose: v.verbose });
    } catch (e) {
      const refused = refusedPermission(e);
      if (refused !== undefined) return refused;
      if (!(e instanceof SluiceError)) throw e;
      console.error(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
      return EXIT.RUN_FAILED;
    }
  }
  if (v.help || positionals.length === 0) {
    console.log(HELP[command === "run" && !argv.includes("run") ? "main" : command]);
    return v.help ? EXIT.OK : usage("no pipeline file given", command);
  }
  const action = command === "state" && ["rebuild", "reset"].includes(positionals[0])
    ? positionals.shift()
    : "";
  if (positionals.length === 0) return usage(`state ${action}: no pipeline file given`, command);
  if (positionals.length > 1) {
    return usage(`one pipeline file expected, got: ${positionals.join(" ")}`, command);
  }
  const file = positionals[0];
  const envFile = v["env-file"];
  try {
    if (envFile) await loadEnvFile(envFile);
    let text: string | undefined;
    if (command !== "test") {
      // A file this process may not read is reported here, as the command would: under Deno the command's
      // modules load when it starts (deno.json: lazy-dynamic-imports), which needs --allow-read too.
      // runtime.readTextFile: under Deno, node:fs would cost this thread 35-50 ms before a run's thread starts.
      text = await readPipelineFile(file, (f) => runtime.readTextFile(f)).catch((e: unknown) => {
        if (e instanceof ConfigErrors && e.errors.some((c) => permissionProblem(c.cause))) throw e;
        return undefined; // the command reports it
      });
      // Deno without --allow-env: every ${VAR} of the file would read as unset and take its default.
      const refused = text === undefined ? undefined : refusedEveryVariable(text);
      if (refused) throw refused;
    }
    return await dispatch(command, file, v, action, text);
  } catch (e) {
    if (e instanceof ConfigErrors) {
      console.error(e.format());
      return EXIT.CONFIG;
    }
    const refused = refusedPermission(e);
    if (refused !== undefined) return refused;
    if (e instanceof EnvFileError) return usage(e.message, command);
    // An error sluice explains (a state store it cannot open, a stage it cannot build): its message and
    // hint, not a stack trace. Anything else is a bug, and its stack helps.
    if (!(e instanceof SluiceError)) throw e;
    console.error(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
    return EXIT.RUN_FAILED;
  }
}

/**
 * Deno without an --allow-* flag sluice needs (a module of the command included, see deno.json's
 * lazy-dynamic-imports): prints the refusal and the flags, not a stack trace, and returns `EXIT.USAGE`;
 * undefined when `e` is something else.
 */
function refusedPermission(e: unknown): number | undefined {
  const refused = permissionProblem(e);
  if (!refused) return undefined;
  console.error(`error: ${(e as Error).message}\n  hint: ${refused.hint}`);
  return EXIT.USAGE;
}

/** `--env-file` names a file that cannot be read: a mistake on the command line. */
class EnvFileError extends Error {}

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** `text`: the pipeline file's text, when `main` could read it. */
async function dispatch(
  command: string,
  file: string,
  v: Options,
  action = "",
  text?: string,
): Promise<number> {
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
    case "test": {
      const { testCommand } = await import("./test_command.ts");
      return await testCommand(file, (l) => console.log(l), (l) => console.error(l));
    }
    case "state": {
      const { stateCommand } = await import("./state_command.ts");
      if (action === "reset" && v["mark-seen"] === undefined) {
        return usage("state reset needs --mark-seen (mark every current entry as seen)", command);
      }
      return await stateCommand({
        file,
        action: action as "rebuild" | "reset" | "",
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
      let waitLockMs: number | undefined;
      try {
        waitLockMs = v["wait-lock"] === undefined ? undefined : parseDuration(v["wait-lock"]);
        budgetMs = v.budget === undefined ? undefined : parseDuration(v.budget);
        graceMs = v.grace === undefined ? undefined : parseDuration(v.grace);
      } catch (e) {
        return usage((e as Error).message, command);
      }
      let maxMemory: number | undefined;
      if (v["max-memory"] !== undefined) {
        const { parseSize } = await import("../engine/config/size.ts");
        try {
          maxMemory = parseSize(v["max-memory"]);
        } catch (e) {
          return usage(`--max-memory: ${(e as Error).message}`, command);
        }
      }
      const poolSize = v.pool === undefined ? undefined : Number(v.pool);
      if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize >= 1)) {
        return usage(`--pool takes a whole number of workers, at least 1 (got ${v.pool})`, command);
      }
      if (v.metrics !== undefined) {
        const { parseListenAddress } = await import("../engine/monitor/mod.ts");
        try {
          parseListenAddress(v.metrics);
        } catch (e) {
          return usage((e as Error).message, command);
        }
      }
      if (v.every !== undefined) {
        const { parseCron } = await import("../engine/schedule/cron.ts");
        try {
          parseCron(v.every);
        } catch (e) {
          return usage(`--every: ${(e as Error).message}`, command);
        }
      }
      // Under Deno a small budget keeps the pool stages on the loop: no pool worker is started ahead.
      const { budgetOfRun, runThreadLimits } = await import("./run_thread_limits.ts");
      const limits = runThreadLimits(await budgetOfRun(maxMemory, file, text));
      const mayUsePool = v.placement === undefined && !v.sequential &&
        (limits.prestartPoolWorker || !runtime.poolWorkerIsOwnHeap);
      const threaded = await runInHeapLimitedThread(mayUsePool, limits);
      if (threaded !== undefined) return threaded;
      if (mayUsePool) {
        // The pool's first worker starts while the run's modules load (see prestartPoolWorker); a run
        // that needs no pool ends it.
        const { prestartPoolWorker } = await import("../engine/kernel/worker_pool.ts");
        prestartPoolWorker();
      }
      const { runCommand } = await import("./run_command.ts");
      return await runCommand({
        file,
        dryRun: v["dry-run"] === undefined ? undefined : v["dry-run"] || "./out/dry-run",
        every: v.every,
        budgetMs,
        graceMs,
        waitLockMs,
        maxMemory,
        trace: v.trace,
        metrics: v.metrics,
        json: v.json,
        summaryJson: v["summary-json"],
        quiet: v.quiet,
        verbose: v.verbose,
        placement: v.placement as "loop" | undefined,
        sequential: v.sequential,
        poolSize,
        nats: v.nats,
      });
    }
  }
}

/**
 * Under Deno, runs this command line again in a thread whose V8 heap is sized by `limits` (a young
 * generation of a few MB: V8 grows the main thread's to 64 MB under a run's allocation, and only
 * `--v8-flags` can size the main thread's; see `run_thread_limits.ts`):
 * resolves with its exit code. Undefined when the run goes on here: Bun (whose collector is not V8's),
 * already in that thread, or `SLUICE_YOUNG_GENERATION_MB=0`. With `withPoolWorker`, this thread then starts
 * the pool's first worker for the run's thread (`prestartPoolWorker` there takes it): `new Worker` holds
 * the thread that calls it while the worker boots (80-450 ms measured), and this one has nothing else to do.
 */
async function runInHeapLimitedThread(
  withPoolWorker: boolean,
  limits: RunThreadLimits,
): Promise<number | undefined> {
  const { heapLimitedThreadArgs } = await import("../engine/runtime/mod.ts");
  if (!runtime.runHeapLimited || heapLimitedThreadArgs() !== undefined) return undefined;
  const setting = runtime.env("SLUICE_YOUNG_GENERATION_MB");
  const youngGenerationMb = setting ? Number(setting) : limits.youngGenerationMb;
  if (!(youngGenerationMb > 0)) return undefined;
  const pool = withPoolWorker && runtime.hasWorkers
    ? await import("../engine/kernel/pool_worker_spec.ts")
    : undefined;
  return await runtime.runHeapLimited(
    new URL("./run_thread.ts", import.meta.url),
    mainArgv,
    { youngGenerationMb, oldGenerationMb: limits.oldGenerationMb },
    pool
      ? { entry: pool.POOL_WORKER_ENTRY, limits: { youngGenerationMb: pool.POOL_WORKER_YOUNG_GENERATION_MB } }
      : undefined,
  );
}

/**
 * A first argument that is no pipeline file but a word (`chek`): nothing of that name exists and it has
 * no extension or path separator.
 */
async function looksLikeCommand(word: string): Promise<boolean> {
  if (word.startsWith("-") || /[./\\]/.test(word)) return false;
  const { stat } = await import("node:fs/promises");
  return await stat(word).then(() => false, () => true);
}

function usage(message: string, command: string): number {
  console.error(`error: ${message}\nrun "cli.ts help${command === "run" ? "" : " " + command}" for usage`);
  return EXIT.USAGE;
}

/**
 * Sets the `KEY=VALUE` lines of `file` that the environment does not set already: `#` comment lines,
 * `export KEY=...`, values in matching quotes taken as they are, and a ` #` comment after an unquoted
 * value dropped (as dotenv does).
 */
async function loadEnvFile(file: string): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const process = (await import("node:process")).default;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (permissionProblem(e)) throw e;
    throw new EnvFileError(`cannot read --env-file ${file}: ${(e as Error).message}`);
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    const quoted = /^(['"])(.*)\1$/.exec(m[2]);
    process.env[m[1]] ??= quoted ? quoted[2] : m[2].replace(/\s+#.*$/, "");
  }
}
