/**
 * The IMAP sink under a write fence (what a cluster's mailbox holder sets, engine/cluster/owner_fence.ts),
 * against a private Dovecot behind a proxy that counts APPEND commands: a closed fence lets no APPEND out
 * and leaves the messages in doubt; a fence that cuts an APPEND off mid-message leaves it in doubt too, and
 * it is looked for (by the retry, or by the next holder's run) before it is sent again: stored once.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { uploadImap } from "../stages/mailbox.ts";
import { runStage } from "../engine/pipeline/run_stage.ts";
import { FencedWrite, RunResources, type WriteFence } from "../engine/pipeline/mod.ts";
import type { MailMessage } from "../lib/mime/mod.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp_proxy.ts";
import { OwnerFence } from "../engine/cluster/owner_fence.ts";

const enc = new TextEncoder();
/** How long a look for doubts waits after a cut or a take-over here (a sixth of a 6 s lease). */
const SETTLE_MS = 1_000;

function mail(entryId: string, bodyBytes = 200): MailMessage {
  const raw = enc.encode(
    `From: feed@example.org\r\nSubject: ${entryId}\r\nX-Sluice-Entry-Id: ${entryId}\r\n` +
      `Message-ID: <${entryId}@sluice>\r\n\r\n${"x".repeat(bodyBytes - 2)}\r\n`,
  );
  return {
    folder: "News",
    raw,
    date: new Date("2023-04-05T06:07:08Z"),
    feedUrl: "https://example.org/feed.xml",
    entryId,
    messageId: `<${entryId}@sluice>`,
  };
}

/** Message files Dovecot stored in the folder `News`. */
async function storedInNews(mailRoot: string): Promise<number> {
  let n = 0;
  for (const sub of ["new", "cur"]) {
    n += (await readdir(path.join(mailRoot, ".News", sub)).catch(() => [])).length;
  }
  return n;
}

/** A fence that never closes: the next holder's run. */
const open: WriteFence = { check: () => {}, watch: () => () => {}, settled: () => Promise.resolve() };

function resourcesWith(fence: WriteFence): RunResources {
  const resources = new RunResources();
  resources.fence = fence;
  return resources;
}

describe("IMAP sink under a write fence", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let proxy: TcpProxy;
  let dir = "";
  let url = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-mailbox-fence-"));
    dove = await startDovecot({ fsync: false });
    proxy = await startTcpProxy(dove.port, { watchAppends: true });
    url = dove.url.replace(`:${dove.port}`, `:${proxy.port}`);
  });
  after(async () => {
    await proxy?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a closed fence lets no APPEND out; the next holder sends the messages once", async () => {
    const state = path.join(dir, "closed");
    const closed: WriteFence = {
      check: () => {
        throw new FencedWrite("imap://test", 0);
      },
      watch: () => () => {},
      settled: () => Promise.resolve(),
    };
    const before = proxy.appends.commands;
    const first = await runStage(uploadImap({ url, state }), [mail("c1"), mail("c2")], {
      resources: resourcesWith(closed),
    });
    assert.equal(proxy.appends.commands, before, "an APPEND went out through a closed fence");
    assert.equal(first.summary.failures.length, 2);
    assert.match(first.summary.failures[0].error, /lease on it has 0 ms left/);
    await runStage(uploadImap({ url, state }), [mail("c1"), mail("c2")], { resources: resourcesWith(open) });
    assert.equal(await storedInNews(dove.mailRoot), 2);
  });

  test("an APPEND the fence cuts off mid-message is looked for before it is sent again: stored once", async () => {
    const state = path.join(dir, "cut");
    const already = await storedInNews(dove.mailRoot);
    // Cuts the connection once the proxy has seen 64 kB more from the client, mid-way through a 2 MB
    // message; from then on it refuses, as a lease past its margin does, and a look for doubts waits a
    // second after the cut (rule 3 of owner_fence.ts: the server may still be storing what it received).
    let cutAt: number | undefined;
    const cutting: WriteFence = {
      check: () => {
        if (cutAt !== undefined) throw new FencedWrite("imap://test", 0);
      },
      watch: (sever) => {
        const from = proxy.clientBytes;
        const timer = setInterval(() => {
          if (cutAt !== undefined || proxy.clientBytes - from < 64 * 1024) return;
          cutAt = performance.now();
          clearInterval(timer);
          sever();
        }, 1);
        return () => clearInterval(timer);
      },
      settled: async () => {
        const left = cutAt === undefined ? 0 : cutAt + SETTLE_MS - performance.now();
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      },
    };
    const big = () => mail("k1", 2 * 1024 * 1024);
    const before = proxy.appends.commands;
    const first = await runStage(uploadImap({ url, state }), [big()], { resources: resourcesWith(cutting) });
    assert.notEqual(cutAt, undefined, "the fence never cut the APPEND");
    assert.ok(proxy.appends.commands > before, "no APPEND started");
    // Cut before Dovecot had it all (not stored: it fails, in doubt) or after (stored: its retry finds it,
    // it is recorded as delivered, and the next holder's `done` check would skip it: not sent again here).
    const again = first.summary.failures.length > 0 ? [big()] : [];
    // The next holder's fence, a real one: it waits the settle margin from when it took the lease.
    const next = new OwnerFence("imap://test", { remainingMs: () => 60_000 }, {
      stopMs: 2_000,
      severMs: 1_000,
      settleMs: SETTLE_MS,
    });
    await runStage(uploadImap({ url, state }), again, { resources: resourcesWith(next) });
    assert.equal(await storedInNews(dove.mailRoot), already + 1);
  });
});
