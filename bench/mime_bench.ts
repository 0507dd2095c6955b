/**
 * Composing messages (`stages/mime.ts` `composeMessage`) on one thread: N representative entries (about
 * 10 KB of HTML, English with one non-ASCII word in eight (`--rich <fraction>` changes that), links; two
 * inline images of about 7 KB of random bytes) after a warm-up, printing milliseconds per message (wall
 * and process CPU). With `--baseline <module>` another module exporting `composeMessage` (for example an
 * older copy of `stages/mime.ts`) is measured in the same run, alternating rounds, and the ratio is
 * printed. Nothing is asserted.
 *
 * @example
 * ```sh
 * deno run -A bench/mime_bench.ts                 # or: bun bench/mime_bench.ts
 * deno run -A bench/mime_bench.ts --messages 1000 --rich 0.5 --baseline /tmp/mime_old.ts
 * ```
 * @module
 */
import process from "node:process";
import { composeMessage } from "../lib/mime/mod.ts";
import type { EntryItem, MailMessage } from "../lib/mime/mod.ts";
import type { InlineImage } from "../lib/html/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

type Compose = (item: EntryItem, options?: { now?: () => Date }) => Promise<MailMessage>;

const MESSAGES = numberArg("--messages", 500);
const ROUNDS = numberArg("--rounds", 3);
const RICH_FRACTION = numberArg("--rich", 0.125);
const baselinePath = stringArg("--baseline");

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

function stringArg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

/** A small deterministic generator, so every run composes the same bytes. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** English words, as most feeds are written (the W1 feed farm's vocabulary, shortened). */
const WORDS = (
  "the of and a to in is you that it was for on are as with they at be this have from or one had by word " +
  "but not what all were we when your can said there use each which she do how their if will up other " +
  "system network server protocol mailbox archive kernel latency throughput garden river mountain coffee"
).split(" ");
/** Non-ASCII words (accents, typographic quotes and dashes, a non-Latin script), `--rich` of all words. */
const RICH = ["café", "naïve", "Zürich", "smörgåsbord", "“quoted”", "—", "Øresund", "日本語", "straße"];

function image(rand: () => number, n: number): InlineImage {
  const content = new Uint8Array(6_500 + Math.floor(rand() * 1_000));
  for (let i = 0; i < content.length; i++) content[i] = Math.floor(rand() * 256);
  return {
    cid: `img${n}.${Math.floor(rand() * 1e9).toString(16)}@sluice`,
    url: `https://example.org/img/${n}.png`,
    contentType: "image/png",
    filename: `${n}.png`,
    content,
  };
}

function entryItem(index: number): EntryItem {
  const rand = random(index + 1);
  const images = [image(rand, 1), image(rand, 2)];
  let html = "";
  while (html.length < 10_000) {
    const words: string[] = [];
    for (let w = 0; w < 40 + rand() * 60; w++) {
      words.push(
        rand() < RICH_FRACTION
          ? RICH[Math.floor(rand() * RICH.length)]
          : WORDS[Math.floor(rand() * WORDS.length)],
      );
    }
    html += `<p>${
      words.join(" ")
    } <a href="https://example.org/post/${index}/${html.length}">link</a>.</p>\n`;
    if (html.length > 3_000 && html.length < 3_400) {
      html += `<p><img src="cid:${images[0].cid}" alt="one"></p>`;
    }
    if (html.length > 6_000 && html.length < 6_400) {
      html += `<p><img src="cid:${images[1].cid}" alt="two"></p>`;
    }
  }
  return {
    feed: { url: `https://example.org/feeds/${index % 20}.xml`, folder: "News" },
    feedTitle: `Blog numéro ${index % 20}`,
    entry: {
      id: `urn:bench:${index}`,
      title: `Entry ${index}: über die Straße — a title long enough to be folded across header lines`,
      link: `https://example.org/post/${index}`,
      published: "2025-01-02T03:04:05Z",
      enclosures: [],
    },
    html,
    images,
  };
}

const FIXED_NOW = new Date("2030-06-01T00:00:00Z");

/** Composes every item once; returns wall and CPU milliseconds per message and the total bytes. */
async function measure(compose: Compose, items: EntryItem[]) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (const item of items) bytes += (await compose(item, { now: () => FIXED_NOW })).raw.byteLength;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: wall / items.length, cpuMs: (cpu.user + cpu.system) / 1000 / items.length, bytes };
}

const items = Array.from({ length: MESSAGES }, (_, i) => entryItem(i));
const candidates: Array<[string, Compose]> = [["stages/mime.ts", composeMessage]];
if (baselinePath) {
  const url = new URL(baselinePath, `file://${process.cwd()}/`);
  candidates.push([`baseline ${baselinePath}`, (await import(url.href)).composeMessage as Compose]);
}
// Warm-up: modules loaded, JIT warm for every candidate.
for (const [, compose] of candidates) await measure(compose, items.slice(0, Math.min(100, MESSAGES)));

const best = new Map<string, { wallMs: number; cpuMs: number; bytes: number }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, compose] of candidates) {
    const r = await measure(compose, items);
    const prev = best.get(name);
    if (!prev || r.cpuMs < prev.cpuMs) best.set(name, r);
  }
}

const htmlKb = items.reduce((n, it) => n + (it.html?.length ?? 0), 0) / items.length / 1024;
console.log(
  `composeMessage (${runtime.name}), ${MESSAGES} messages (${htmlKb.toFixed(1)} KB HTML, ` +
    `${RICH_FRACTION} non-ASCII words, 2 images each), best of ${ROUNDS} rounds`,
);
console.log("| composer | wall ms/msg | CPU ms/msg | KB/msg |\n|---|---:|---:|---:|");
for (const [name, r] of best) {
  console.log(
    `| ${name} | ${r.wallMs.toFixed(3)} | ${r.cpuMs.toFixed(3)} | ${
      (r.bytes / MESSAGES / 1024).toFixed(1)
    } |`,
  );
}
if (baselinePath) {
  const ours = best.get("stages/mime.ts")!;
  const base = best.get(`baseline ${baselinePath}`)!;
  console.log(
    `baseline / stages/mime.ts: ${(base.cpuMs / ours.cpuMs).toFixed(2)}x CPU, ` +
      `${(base.wallMs / ours.wallMs).toFixed(2)}x wall`,
  );
}
