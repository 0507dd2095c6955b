/**
 * Appends/s of 500 messages (~5 KB) into a private Dovecot: MULTIAPPEND (batches of 50 and of 500),
 * pipelined plain APPENDs, one APPEND at a time; with mail_fsync optimized and never. Median of 3 runs.
 * Usage: deno run -A bench/imap_append.ts  |  bun bench/imap_append.ts
 * @module
 */
import { startDovecot } from "../tests/support/dovecot.ts";
import { type AppendMode, ImapClient } from "../lib/imap/client.ts";

const N = 500;
const enc = new TextEncoder();
const msgs = Array.from({ length: N }, (_, i) => ({
  raw: enc.encode(
    `From: f@example.org\r\nSubject: entry ${i}\r\nX-Sluice-Entry-Id: urn:${i}\r\n\r\n` +
      "lorem ipsum dolor sit amet, consectetur adipiscing\r\n".repeat(100),
  ),
  date: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
}));
const runs: [string, AppendMode, number][] = [
  ["MULTIAPPEND x50", "multiappend", 50],
  ["MULTIAPPEND x500", "multiappend", 500],
  ["pipelined APPEND", "pipelined", 500],
  ["one at a time", "sequential", 500],
];
const ROUNDS = 5;
console.log(
  `message size ${msgs[0].raw.length} B, ${N} messages, median of ${ROUNDS} rounds (methods interleaved)`,
);
for (const fsync of [true, false]) {
  const dove = await startDovecot({ fsync });
  try {
    const client = await ImapClient.connect(dove.url);
    const rates = new Map<string, number[]>(runs.map(([label]) => [label, []]));
    let box = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < runs.length; k++) {
        const [label, mode, batch] = runs[(k + round) % runs.length];
        const mailbox = `B${box++}`;
        await client.ensureMailbox(mailbox);
        const t0 = performance.now();
        for (let i = 0; i < N; i += batch) await client.append(mailbox, msgs.slice(i, i + batch), mode);
        const s = (performance.now() - t0) / 1000;
        if ((await client.status(mailbox)).messages !== N) throw new Error("count mismatch");
        rates.get(label)!.push(N / s);
      }
    }
    for (const [label, r] of rates) {
      r.sort((a, b) => a - b);
      console.log(
        `fsync=${fsync ? "optimized" : "never"}\t${label.padEnd(18)}\t${
          Math.round(r[r.length >> 1])
        } appends/s\t(min ${Math.round(r[0])}, max ${Math.round(r[r.length - 1])})`,
      );
    }
    await client.logout();
  } finally {
    await dove.stop();
  }
}
