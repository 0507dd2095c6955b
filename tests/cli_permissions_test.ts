/**
 * `deno run cli.ts` without the `--allow-*` flags sluice needs (a cron job, where Deno cannot prompt):
 * one clear error naming the flags, no stack trace, no retries of something no retry can fix. The CLI
 * children are Deno's whichever runtime runs the test (Bun has no permissions); the feed comes from a
 * real HTTP server of the test's own.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { permissionProblem } from "../engine/permission_error.ts";
import { withRetry } from "../engine/pipeline/retry.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { networkFetchError } from "../lib/http/fetch_error.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const deno = path.join(repo, "node_modules", ".bin", "deno");
const pipeline = path.join(repo, "pipelines", "rss2imap.yaml");
const READ_ENV_WRITE = ["--allow-read", "--allow-env", "--allow-write"];

let dir = "";
let server: http.Server;
let feedUrl = "";
let feedRequests = 0;
let closedPort = 0;

const RSS = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Perm feed</title><link>http://example.org/</link>
<item><title>One</title><link>http://example.org/1</link><guid>urn:perm:1</guid>
<description>&lt;p&gt;Hello&lt;/p&gt;</description></item>
</channel></rss>`;

interface Ran {
  code: number;
  out: string;
}

/** Runs `deno run --no-prompt FLAGS cli.ts ARGS` with the test's feed list, state and mailbox. */
function cli(
  flags: string[],
  args: string[],
  name: string,
  extra: Record<string, string> = {},
): Promise<Ran> {
  const env = {
    ...process.env,
    NO_COLOR: "1",
    FEEDS: path.join(dir, "feeds.txt"),
    STATE_DIR: path.join(dir, `state-${name}`),
    IMAP_URL: `imap://u:p@127.0.0.1:${closedPort}`,
    ...extra,
  };
  return new Promise((resolve) => {
    execFile(deno, ["run", "--no-prompt", ...flags, path.join(repo, "cli.ts"), ...args], {
      cwd: repo,
      env,
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    }, (
      err,
      stdout,
      stderr,
    ) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

function assertFlagsHint(out: string): void {
  assert.match(out, /deno run -A cli\.ts/);
  for (const flag of ["--allow-read", "--allow-write", "--allow-net", "--allow-env"]) {
    assert.ok(out.includes(flag), flag);
  }
  assert.doesNotMatch(out, /Uncaught|^\s+at /m, "no stack trace");
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-perm-"));
  server = http.createServer((_req, res) => {
    feedRequests++;
    res.writeHead(200, { "content-type": "application/rss+xml" }).end(RSS);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  feedUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/feed.xml`;
  await writeFile(path.join(dir, "feeds.txt"), `${feedUrl}\n`);
  // A port nothing listens on: the mailbox is never reached unless a test means it to be.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe("cli.ts under Deno without the permissions it needs", () => {
  test("no --allow-env: one error naming the flags and exit 64, not an uncaught exception", async () => {
    const r = await cli(["--allow-read"], [pipeline], "env");
    assert.equal(r.code, 64, r.out);
    assert.match(r.out, /^error: Requires env access/m);
    assertFlagsHint(r.out);
  });

  test("a scoped --allow-env naming the file's settings is enough: the variables it leaves out read as unset", async () => {
    // rss2imap.yaml also names IMAP_SASL, IMAP_TOKEN_COMMAND...: refused, they take their defaults.
    const r = await cli(
      ["--allow-read", "--allow-env=FEEDS,IMAP_URL,MAILDIR,STATE_DIR"],
      ["check", pipeline],
      "scoped-env",
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /ok \(pipeline rss2imap/);
  });

  test("no --allow-read: the pipeline file's error says which flag, not 'check the path'", async () => {
    const r = await cli(["--allow-env", "--allow-write", "--allow-net"], ["check", pipeline], "read");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /cannot read pipeline file: Requires read access/);
    assert.doesNotMatch(r.out, /check the path/);
    assertFlagsHint(r.out);
  });

  test("an --allow-read that leaves out sluice's own files: the module refused and the flags (exit 64)", async () => {
    // deno.json's lazy-dynamic-imports: each command's modules load when it starts, and need --allow-read.
    const scoped = `--allow-read=${path.dirname(pipeline)}`;
    const r = await cli([scoped, "--allow-env"], ["check", pipeline], "read-scoped");
    assert.equal(r.code, 64, r.out);
    assert.match(r.out, /^error: Requires read access to ".*check_command\.ts"/m);
    assertFlagsHint(r.out);
  });

  test("no permissions at all: `stages` names the flag (exit 64), a mistyped command still gets its suggestion", async () => {
    const stages = await cli([], ["stages"], "stages");
    assert.equal(stages.code, 64, stages.out);
    assert.match(stages.out, /^error: Requires read access to ".*stages_command\.ts"/m);
    assertFlagsHint(stages.out);
    const typo = await cli([], ["chek", "x.yaml"], "typo");
    assert.equal(typo.code, 64, typo.out);
    assert.match(typo.out, /unknown command `chek`; did you mean `check`\?/);
  });

  test("no --allow-net: the run stops at the first refused fetch (exit 3), not item by item", async () => {
    const r = await cli(READ_ENV_WRITE, [pipeline], "net");
    // Without the stop, the feed would be retried with back-off and then counted as a failed item (exit 2).
    assert.equal(r.code, 3, r.out);
    assert.match(
      r.out,
      /stopped on an error: stage `fetch` on http:\/\/127\.0\.0\.1:\d+\/feed\.xml: Requires net access/,
    );
    assertFlagsHint(r.out);
  });

  test("a scoped --allow-net works for what it names; the mail server it leaves out stops the run", async () => {
    const feedHost = new URL(feedUrl).host;
    const before = feedRequests;
    const r = await cli([...READ_ENV_WRITE, `--allow-net=${feedHost}`], [pipeline], "scoped");
    assert.ok(feedRequests > before, "the feed was fetched under the scoped grant");
    assert.equal(r.code, 3, r.out);
    assert.match(
      r.out,
      new RegExp(`stage \`mailbox\`.*Requires net access to "127\\.0\\.0\\.1:${closedPort}"`),
    );
    assertFlagsHint(r.out);
  });
});

describe("cli.ts under Deno with exactly the permissions the README names", () => {
  test("read, write, net and env are enough for the default Maildir run (no --allow-sys)", async () => {
    const maildir = path.join(dir, "mail");
    const r = await cli(
      ["--allow-read", "--allow-write", "--allow-net", "--allow-env"],
      [pipeline],
      "maildir",
      {
        IMAP_URL: "",
        MAILDIR: maildir,
      },
    );
    assert.equal(r.code, 0, r.out);
    const folders = await readdir(maildir);
    const delivered = [];
    for (const f of folders.filter((f) => f.startsWith("."))) {
      delivered.push(...await readdir(path.join(maildir, f, "new")));
    }
    assert.equal(delivered.length, 1, `one message in ${folders.join(", ")}`);
  });
});

describe("permissionProblem", () => {
  test("finds the runtime's refusal in a cause chain (Deno); nothing is one where there are no permissions", async () => {
    const denoErrors = (globalThis as { Deno?: { errors: { NotCapable: new (m: string) => Error } } }).Deno
      ?.errors;
    if (!denoErrors) {
      assert.equal(runtime.isPermissionError, undefined);
      assert.equal(permissionProblem(new Error("Requires net access", { cause: new Error("x") })), undefined);
      return;
    }
    const refused = new denoErrors.NotCapable('Requires net access to "example.org:443"');
    const wrapped = new Error("fetching failed", {
      cause: new TypeError("fetch failed", { cause: refused }),
    });
    const found = permissionProblem(wrapped, "stage `fetch`");
    assert.equal(found?.code, "E_PERMISSION");
    assert.equal(found?.message, 'stage `fetch`: Requires net access to "example.org:443"');
    assert.match(found?.hint ?? "", /--allow-net/);
    assert.equal(permissionProblem(new Error("disk full")), undefined);
    let calls = 0;
    await assert.rejects(
      withRetry(() => {
        calls++;
        throw wrapped;
      }, { stage: "fetch", retry: { attempts: 3, backoffMs: 1 } }),
      /fetching failed/,
    );
    assert.equal(calls, 1, "a refused permission is not retried");
    assert.equal(networkFetchError("https://example.org/", wrapped).retryable, false);
    assert.equal(
      networkFetchError("https://example.org/", new TypeError("connection refused")).retryable,
      true,
    );
  });
});
