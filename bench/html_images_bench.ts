/**
 * The HTML work of the `rewrite-images` stage per entry: `findImages` then `rewriteImageRefs` (both of
 * the entry's images inlined) over N generated entries like a blog feed's (3-20 KB of paragraphs, links,
 * entities, non-ASCII text, two images with srcset or lazy-loading attributes). Prints microseconds per
 * entry, the median of several rounds after a warm-up; nothing is asserted.
 *
 * `--compare <module>` measures another implementation of the same two functions in the same run (for
 * instance the previous one, written out with `git show`) and prints the ratio.
 *
 * @example
 * ```sh
 * deno run -A bench/html_images_bench.ts            # or: bun bench/html_images_bench.ts
 * deno run -A bench/html_images_bench.ts --entries 500 --compare /tmp/old/html_images.ts
 * ```
 * @module
 */
import process from "node:process";
import { findImages, type FoundImages, rewriteImageRefs } from "../lib/html/html_images.ts";

interface HtmlImagesModule {
  findImages(html: string, baseUrl: string): FoundImages;
  rewriteImageRefs(html: string, cids: Record<string, string>): string;
}

const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ENTRIES = Number(option("--entries") ?? 500);
const ROUNDS = Number(option("--rounds") ?? 7);
const COMPARE = option("--compare");

/** A small deterministic PRNG (mulberry32), so every run measures the same entries. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ("the feed carries a long post about café culture, naïve tests & «quoted» words; résumé " +
  "München Zürich 東京 emoji 🎉 pipeline channel worker mailbox image inline message sluice")
  .split(" ");

/** One entry's HTML: about `kb` KB of paragraphs with links and entities, two images among them. */
function entryHtml(n: number, kb: number, next: () => number): string {
  const word = () => WORDS[Math.floor(next() * WORDS.length)];
  const sentence = (words: number) => Array.from({ length: words }, word).join(" ");
  const parts: string[] = [];
  let size = 0;
  let p = 0;
  while (size < kb * 1024) {
    const link = `<a href="/posts/${n}/${p}.html" title="see &quot;${word()}&quot;">${sentence(3)}</a>`;
    const para = `<p class="body">${sentence(25)} &amp; ${sentence(10)} ${link} &mdash; ${
      sentence(20)
    }&nbsp;<em>${sentence(4)}</em> <strong>${sentence(3)}</strong>.</p>\n`;
    parts.push(para);
    size += para.length;
    p++;
  }
  const img1 =
    `<figure><img src="data:image/gif;base64,R0lGODlhAQABAIAAAP" data-src="/media/${n}/hero.jpg" ` +
    `data-srcset="/media/${n}/hero-480.jpg 480w, /media/${n}/hero-1024.jpg 1024w" loading="lazy" ` +
    `alt="hero ${n}" width="1024" height="576"><figcaption>${sentence(6)}</figcaption></figure>\n`;
  const img2 = `<img src="https://cdn.example.net/${n}/chart.png" ` +
    `srcset="https://cdn.example.net/${n}/chart.png 1x, https://cdn.example.net/${n}/chart@2x.png 2x" ` +
    `alt="chart" class="wp-image-${n}" onload="track(${n})">\n`;
  parts.splice(1, 0, img1);
  parts.splice(Math.ceil(parts.length / 2), 0, img2);
  return `<div class="entry-content">\n${parts.join("")}</div>`;
}

const next = random(42);
const entries = Array.from({ length: ENTRIES }, (_, n) => entryHtml(n, 3 + next() * 17, next));
const averageKb = entries.reduce((a, e) => a + e.length, 0) / entries.length / 1024;

/** Runs both functions over every entry once; returns µs per entry for find, rewrite and both. */
function round(m: HtmlImagesModule): { find: number; rewrite: number } {
  let find = 0;
  let rewrite = 0;
  let images = 0;
  for (let n = 0; n < entries.length; n++) {
    const t0 = performance.now();
    const found = m.findImages(entries[n], `https://blog.example.org/posts/${n}/`);
    const t1 = performance.now();
    const cids = Object.fromEntries(found.urls.map((url, i) => [url, `img.${n}.${i}@sluice`]));
    const html = m.rewriteImageRefs(found.html, cids);
    const t2 = performance.now();
    find += t1 - t0;
    rewrite += t2 - t1;
    images += (html.match(/src="cid:/g) ?? []).length;
  }
  if (images !== 2 * entries.length) {
    throw new Error(`expected ${2 * entries.length} cid images, got ${images}`);
  }
  return { find: (find * 1000) / entries.length, rewrite: (rewrite * 1000) / entries.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const implementations: Array<[string, HtmlImagesModule]> = [["current", { findImages, rewriteImageRefs }]];
if (COMPARE) {
  const url = COMPARE.includes("://") ? COMPARE : new URL(COMPARE, `file://${process.cwd()}/`).href;
  implementations.push(["compared", (await import(url)) as HtmlImagesModule]);
}

console.log(`${entries.length} entries, ${averageKb.toFixed(1)} KB of HTML on average, ${ROUNDS} rounds`);
for (const [, m] of implementations) for (let i = 0; i < 3; i++) round(m); // warm-up: JIT and caches
// Rounds alternate between the implementations, so a machine busy with something else for a while
// slows both alike and the ratio stays fair.
const results = implementations.map(() => [] as Array<{ find: number; rewrite: number }>);
for (let r = 0; r < ROUNDS; r++) implementations.forEach(([, m], i) => results[i].push(round(m)));

console.log("implementation  findImages µs  rewriteImageRefs µs  total µs/entry");
const totals = results.map((rounds, i) => {
  const find = median(rounds.map((r) => r.find));
  const rewrite = median(rounds.map((r) => r.rewrite));
  const total = median(rounds.map((r) => r.find + r.rewrite));
  console.log(
    `${implementations[i][0].padEnd(14)}  ${find.toFixed(0).padStart(13)}  ${
      rewrite.toFixed(0).padStart(19)
    }  ${total.toFixed(0).padStart(14)}`,
  );
  return total;
});
if (totals.length === 2) console.log(`compared / current: ${(totals[1] / totals[0]).toFixed(2)}x`);
