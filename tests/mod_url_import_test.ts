/**
 * mod.ts must stay importable by URL from a Deno script that has no config of its own, with full static
 * types: serve the repository over HTTP the way a user's static host would, then `deno check` and
 * `deno run` a script in an empty folder that imports it.
 */
import { after, before, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import http from "node:http";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const deno = path.join(repo, "node_modules", ".bin", "deno");
let server: http.Server;
let base = "";
let dir = "";

function run(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(deno, args, { cwd, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

before(async () => {
  server = http.createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.join(repo, path.normalize(rel));
    if (!file.startsWith(repo)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": "application/typescript; charset=utf-8" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  dir = await mkdtemp(path.join(tmpdir(), "sluice-url-"));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

test("a config-less Deno script imports mod.ts by URL, type-checks it and runs channels", async () => {
  const script = path.join(dir, "script.ts");
  await writeFile(
    script,
    `import { chan } from "${base}/mod.ts";
const ch = chan<number>(1);
await ch.send(41);
const { value } = await ch.recv();
// @ts-expect-error the channel carries numbers: static types crossed the URL import
const wrong: string = value;
console.log("got", (value ?? 0) + 1, typeof wrong);
`,
  );
  const reload = `--reload=${base}`;
  const checked = await run(["check", "--allow-import", reload, script], dir);
  assert.equal(checked.code, 0, checked.out);
  const ran = await run(["run", "-A", reload, script], dir);
  assert.equal(ran.code, 0, ran.out);
  assert.match(ran.out, /got 42/);
});
