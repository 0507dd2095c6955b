/**
 * cli.ts as a user meets it: a real child process (the same runtime as the test) running check, plan and
 * run on YAML pipelines of module stages, with exit codes, JSON summaries, the trace file, and a
 * graceful stop on SIGINT.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const stagesModule = path.join(repo, "tests", "fixtures", "cli", "stages.ts");
let dir = "";

/** argv that runs cli.ts under the runtime running this test. */
function cliCommand(): string[] {
  const exe = process.execPath;
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return isDeno ? [exe, "run", "-A", path.join(repo, "cli.ts")] : [exe, path.join(repo, "cli.ts")];
}

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    onStderr?: (all: string, kill: (s: NodeJS.Signals) => void) => void;
  } = {},
): Promise<Ran> {
  const [cmd, ...pre] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, ...args], {
      cwd: repo,
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      // process.kill, not child.kill: Deno's child_process sends only the first kill() of a child.
      opts.onStderr?.(stderr, (s) => process.kill(child.pid!, s));
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function pipelineFile(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, body.replaceAll("STAGES", stagesModule));
  return file;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("cli.ts", () => {
  test("--help lists the commands and the exit codes", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const word of ["check FILE", "plan FILE", "state FILE", "Exit codes", "130"]) {
      assert.ok(r.stdout.includes(word), word);
    }
    const run = await runCli(["help", "run"]);
    assert.match(run.stdout, /--dry-run/);
  });

  test("check: a valid file passes; every error is listed with file:line:column and exit 1", async () => {
    const good = await pipelineFile(
      "good.yaml",
      `name: good
stages:
  - use: STAGES#numbers
  - use: STAGES#double
  - use: STAGES#lines
    with:
      file: ${dir}/out.txt
`,
    );
    const ok = await runCli(["check", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok \(pipeline good, 3 stages\)/);

    const bad = await pipelineFile(
      "bad.yaml",
      `name: bad
stages:
  - use: STAGES#numbers
    concurency: 2
  - use: STAGES#shout
  - use: STAGES#lines
    with:
      file: \${NOT_SET_ANYWHERE}
`,
    );
    const r = await runCli(["check", bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`bad.yaml:4:5: .*concurency`));
    assert.match(r.stderr, /did you mean `concurrency`/);
    assert.match(r.stderr, /NOT_SET_ANYWHERE/);
    assert.match(r.stderr, /takes `string`/);
  });

  test("plan prints placements, and --format mermaid a flowchart", async () => {
    const file = await pipelineFile(
      "plan.yaml",
      `name: planned
stages:
  - use: STAGES#numbers
  - use: STAGES#double
    concurrency: 4
    placement: loop
  - use: STAGES#lines
    with: { file: /dev/null }
`,
    );
    const text = await runCli(["plan", file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /double\s+loop\s+4/);
    const mermaid = await runCli(["plan", file, "--format", "mermaid"]);
    assert.match(mermaid.stdout, /^flowchart LR/);
    assert.match(mermaid.stdout, /s0 -->\|"number \(cap \d+\)"\| s1/);
  });

  test("run: failed items give exit 2 and are named in the JSON summary; the trace is valid", async () => {
    const out = path.join(dir, "run-out.txt");
    const file = await pipelineFile(
      "run.yaml",
      `name: counted
stages:
  - use: STAGES#numbers
    with: { count: 5 }
  - use: STAGES#double
    on-error: drop
    with: { fail-on: ["3"] }
  - use: STAGES#lines
    with: { file: ${out} }
`,
    );
    const summaryFile = path.join(dir, "summary.json");
    const traceFile = path.join(dir, "trace.json");
    const r = await runCli([file, "--quiet", "--summary-json", summaryFile, "--trace", traceFile]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual((await readFile(out, "utf8")).trim().split("\n").map(Number).sort((a, b) => a - b), [
      0,
      2,
      4,
      8,
    ]);
    const summary = JSON.parse(await readFile(summaryFile, "utf8"));
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0].error, /cannot double 3/);
    const trace = JSON.parse(await readFile(traceFile, "utf8"));
    assert.ok(Array.isArray(trace.traceEvents));
    const spans = trace.traceEvents.filter((e: { ph: string; name: string }) =>
      e.ph === "X" && e.name === "double"
    );
    assert.equal(spans.length, 5);
  });

  test("--dry-run without a directory means ./out/dry-run, written before or after the file", async () => {
    const out = path.join(dir, "dry-out.txt");
    const file = await pipelineFile(
      "dry.yaml",
      `name: dry
stages:
  - use: STAGES#numbers
    with: { count: 2 }
  - use: STAGES#lines
    with: { file: ${out} }
`,
    );
    for (const args of [[file, "--dry-run"], ["--dry-run", file], [file, "--dry-run", "--json"]]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(r.stderr.includes(path.join(repo, "out", "dry-run")), `${args.join(" ")}: ${r.stderr}`);
    }
  });

  test("--env-file: a comment after an unquoted value is dropped; a missing file is a usage error", async () => {
    const file = await pipelineFile(
      "envfile.yaml",
      `name: envfile
stages:
  - use: STAGES#numbers
    with: { count: "\${COUNT}" }
  - use: STAGES#lines
    with: { file: "\${OUT}" }
`,
    );
    const envFile = path.join(dir, "settings.env");
    await writeFile(envFile, '# settings\nexport COUNT=3 # three numbers\nOUT="/tmp/a #b.txt"\n');
    const ok = await runCli(["check", file, "--env-file", envFile]);
    assert.equal(ok.code, 0, ok.stderr); // with the comment kept, COUNT would be "3 # three numbers": not an integer
    const missing = await runCli(["check", file, "--env-file", path.join(dir, "nope.env")]);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /^error: cannot read --env-file .*nope\.env/m);
  });

  test("an error sluice explains (a state store it cannot open) is its message and hint, exit 3", async () => {
    const r = await runCli(["state", "pipelines/rss2imap.yaml"], {
      env: { STATE_DIR: `kv:${dir}/state.kv` },
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: kv:.*state\.kv: Deno KV is not available/m);
    assert.match(r.stderr, /^ {2}hint: /m);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  });

  test("SIGINT stops the sources, drains in-flight items, and exits 130", async () => {
    const out = path.join(dir, "endless.txt");
    const summaryFile = path.join(dir, "endless.json");
    const file = await pipelineFile(
      "endless.yaml",
      `name: endless
stages:
  - use: STAGES#numbers
    with: { count: 0 }
  - use: STAGES#double
  - use: STAGES#lines
    with: { file: ${out} }
`,
    );
    let sent = false;
    const r = await runCli([file, "--json", "--summary-json", summaryFile], {
      onStderr: (all, kill) => {
        // The first progress line means items are flowing: interrupt then.
        if (!sent && all.includes('"progress":true')) {
          sent = true;
          kill("SIGINT");
        }
      },
    });
    assert.equal(sent, true, r.stderr);
    // Deno's node:child_process reports an exit status of 128+2 as the signal SIGINT; the summary file
    // (written after the drain) shows that the child handled the signal rather than died of it.
    assert.ok(
      r.code === 130 || (r.code === null && r.signal === "SIGINT"),
      `exit ${r.code} ${r.signal}\n${r.stderr}`,
    );
    const summary = JSON.parse(await readFile(summaryFile, "utf8"));
    assert.equal(summary.stopped, true);
    const [src, , sinkStage] = summary.stages;
    assert.ok(src.itemsOut > 0);
    assert.equal(sinkStage.itemsIn, src.itemsOut, "every produced item reached the sink");
    assert.equal((await readFile(out, "utf8")).trim().split("\n").length, src.itemsOut);
  });

  test("a second SIGINT aborts items that do not finish, and the summary says aborted", async () => {
    const summaryFile = path.join(dir, "stalled.json");
    const file = await pipelineFile(
      "stalled.yaml",
      `name: stalled
stages:
  - use: STAGES#numbers
    with: { count: 0 }
  - use: STAGES#stall
`,
    );
    let signals = 0;
    const r = await runCli([file, "--json", "--summary-json", summaryFile], {
      onStderr: (all, kill) => {
        if (signals === 0 && all.includes('"progress":true')) {
          signals++;
          kill("SIGINT");
        } else if (signals === 1 && all.includes("finishing items in flight")) {
          signals++;
          kill("SIGINT");
        }
      },
    });
    assert.equal(signals, 2, r.stderr);
    assert.ok(
      r.code === 130 || (r.code === null && r.signal === "SIGINT"),
      `exit ${r.code} ${r.signal}\n${r.stderr}`,
    );
    const summary = JSON.parse(await readFile(summaryFile, "utf8"));
    assert.equal(summary.aborted, true);
    assert.match(summary.error, /second SIGINT/);
  });
});
