/**
 * What the feed farm serves, as pure functions of (seed, base URL, feed, entry): feed documents in four
 * formats, entry HTML with images referenced in several ways, OPML. No I/O here.
 * @module
 */
import { seededRandom } from "./png_image.ts";

/** The feed formats the farm writes: RSS 2.0, Atom 1.0, RSS 1.0 (RDF), JSON Feed 1.1. */
export type FeedFormat = "rss" | "atom" | "rdf" | "json";

/** 20 feeds: 8 RSS 2.0, 6 Atom, 3 RSS 1.0, 3 JSON Feed (15%), as the shared harness rotates them. */
export const FORMAT_ROTATION: readonly FeedFormat[] = [
  "rss",
  "atom",
  "rss",
  "rdf",
  "json",
  "rss",
  "atom",
  "rss",
  "atom",
  "rss",
  "rdf",
  "json",
  "rss",
  "atom",
  "rss",
  "atom",
  "rss",
  "rdf",
  "json",
  "atom",
];

/** Content-Type per format. */
export const FORMAT_CONTENT_TYPE: Record<FeedFormat, string> = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  rdf: "application/rdf+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
};

/** File extension per format. */
export const FORMAT_EXTENSION: Record<FeedFormat, string> = {
  rss: "rss",
  atom: "atom",
  rdf: "rdf",
  json: "json",
};

/** The OPML folders feeds are spread over (feed i goes to `OPML_FOLDERS[i % 4]`). */
export const OPML_FOLDERS = ["News", "Tech", "Tech/Blogs", "Culture"] as const;

/** How an entry's HTML refers to one of its images. */
export type ImageReference = "absolute" | "root-relative" | "srcset" | "data-src";

/**
 * One entry as the farm writes it, for tests to compare against what arrived.
 *
 * @example
 * ```ts
 * import type { FarmEntry } from "./feed_farm_content.ts";
 * const e: FarmEntry = { index: 0, id: "urn:x", title: "T", link: "http://h/post/f0001/e0000",
 *   published: new Date(0), html: "<p>x</p>", summary: "x", imagePaths: [] };
 * ```
 */
export interface FarmEntry {
  /** 0 = the oldest entry of the feed. */
  index: number;
  /** The id the feed document carries (RSS guid, Atom id, JSON id; RSS 1.0 has only the link). */
  id: string;
  title: string;
  link: string;
  published: Date;
  html: string;
  summary: string;
  /** Farm paths (`/img/...png`) of the images the entry shows, in order. */
  imagePaths: string[];
}

/**
 * The parameters that determine everything the farm writes.
 *
 * @example
 * ```ts
 * const c: FarmContentConfig = { seed: "1", baseUrl: "http://127.0.0.1:8080", images: 2 };
 * ```
 */
export interface FarmContentConfig {
  seed: string;
  baseUrl: string;
  /** Images per entry. */
  images: number;
}

const WORDS = (
  "the of and a to in is you that it was for on are as with they at be this have from or one had by word " +
  "but not what all were we when your can said there use each which she do how their if will up other " +
  "about out many then them these so some her would make like him into time has look two more write go " +
  "see number no way could people my than first water been call who its now find long down day did get " +
  "come made may part system network server protocol mailbox archive kernel latency throughput garden " +
  "river mountain coffee library concert weather harbor bicycle telescope recipe festival museum journal " +
  "theory budget market policy science history design software hardware compiler database caching parser"
).split(" ");
const RICH = [
  "café",
  "naïve",
  "résumé",
  "Zürich",
  "São Paulo",
  "smörgåsbord",
  "“quoted”",
  "façade",
  "Øresund",
];
const AUTHORS = [
  "Ada Lovelace",
  "Grace Hopper",
  "Alan Turing",
  "Barbara Liskov",
  "Chloé Durand",
  "Jürgen Weiß",
];
/** A 1x1 transparent GIF: the placeholder lazy-loading pages put in `src` while `data-src` has the image. */
const PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const EPOCH = Date.UTC(2025, 0, 1, 0, 0, 0);
const HOUR = 3_600_000;

/**
 * Zero-padded feed or entry number as it appears in paths (`f0001`, `e0003`).
 *
 * @example
 * ```ts
 * import { pad } from "./feed_farm_content.ts";
 * pad(7); // "0007"
 * ```
 */
export function pad(n: number): string {
  return String(n).padStart(4, "0");
}

/**
 * The title of feed `f` (1-based). Every 7th title carries `&` and `<` to exercise escaping.
 *
 * @example
 * ```ts
 * import { feedTitle } from "./feed_farm_content.ts";
 * feedTitle({ seed: "1", baseUrl: "http://h", images: 0 }, 1);
 * ```
 */
export function feedTitle(c: FarmContentConfig, f: number): string {
  const r = seededRandom(`${c.seed}:feed:${f}`);
  const tail = f % 7 === 0 ? " & <Friends>" : r() < 0.3 ? ` ${pick(r, RICH)}` : "";
  return `Farm feed ${pad(f)}: ${capitalise(words(r, 3))}${tail}`;
}

/**
 * Entry `e` (0-based, 0 = oldest) of feed `f` (1-based). Later entries are newer.
 *
 * @example
 * ```ts
 * import { farmEntry } from "./feed_farm_content.ts";
 * farmEntry({ seed: "1", baseUrl: "http://h", images: 1 }, 1, 0, "rss").imagePaths.length; // 1
 * ```
 */
export function farmEntry(c: FarmContentConfig, f: number, e: number, format: FeedFormat): FarmEntry {
  const r = seededRandom(`${c.seed}:entry:${f}:${e}`);
  const feedOffset = Math.floor(seededRandom(`${c.seed}:offset:${f}`)() * 10 * HOUR);
  const published = new Date(Math.floor((EPOCH + feedOffset + e * 3 * HOUR + r() * 2 * HOUR) / 1000) * 1000);
  const title = capitalise(words(r, 4 + Math.floor(r() * 6))) + (r() < 0.15 ? ` ${pick(r, RICH)}` : "");
  const link = `${c.baseUrl}/post/f${pad(f)}/e${pad(e)}`;
  const id = format === "atom"
    ? `tag:farm.sluice.invalid,2025:${c.seed}:f${pad(f)}:e${pad(e)}`
    : format === "rdf"
    ? link
    : `urn:sluice-farm:${c.seed}:f${pad(f)}:e${pad(e)}`;
  const { html, imagePaths } = entryHtml(c, f, e);
  const summary = `${capitalise(words(seededRandom(`${c.seed}:summary:${f}:${e}`), 20))}.`;
  return { index: e, id, title, link, published, html, summary, imagePaths };
}

/**
 * The farm path of image `k` of entry `e` of feed `f`; `@2x` is the larger srcset candidate.
 *
 * @example
 * ```ts
 * import { imagePath } from "./feed_farm_content.ts";
 * imagePath(1, 2, 0); // "/img/f0001/e0002-0.png"
 * ```
 */
export function imagePath(f: number, e: number, k: number, double = false): string {
  return `/img/f${pad(f)}/e${pad(e)}-${k}${double ? "@2x" : ""}.png`;
}

/**
 * Renders feed `f` with the given entries (newest first in the document) in its format.
 *
 * @example
 * ```ts
 * import { renderFeed } from "./feed_farm_content.ts";
 * const xml = renderFeed({ seed: "1", baseUrl: "http://h", images: 0 }, 1, "rss", "http://h/feeds/f0001.rss", []);
 * ```
 */
export function renderFeed(
  c: FarmContentConfig,
  f: number,
  format: FeedFormat,
  url: string,
  entries: FarmEntry[],
): string {
  const newest = [...entries].reverse();
  const title = feedTitle(c, f);
  const site = `${c.baseUrl}/site/f${pad(f)}/`;
  const description = `${capitalise(words(seededRandom(`${c.seed}:desc:${f}`), 12))}.`;
  const updated = newest[0]?.published ?? new Date(EPOCH);
  const author = (e: FarmEntry) => AUTHORS[e.index % AUTHORS.length];
  if (format === "json") {
    return JSON.stringify(
      {
        version: "https://jsonfeed.org/version/1.1",
        title,
        home_page_url: site,
        feed_url: url,
        description,
        items: newest.map((e) => ({
          id: e.id,
          url: e.link,
          title: e.title,
          content_html: e.html,
          summary: e.summary,
          date_published: e.published.toISOString(),
          authors: [{ name: author(e) }],
        })),
      },
      null,
      1,
    ) + "\n";
  }
  if (format === "atom") {
    return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="${c.baseUrl}/">
<title>${xml(title)}</title>
<subtitle>${xml(description)}</subtitle>
<id>tag:farm.sluice.invalid,2025:${c.seed}:f${pad(f)}</id>
<updated>${updated.toISOString()}</updated>
<link rel="self" type="application/atom+xml" href="${url}"/>
<link rel="alternate" type="text/html" href="${site}"/>
${
      newest.map((e) =>
        `<entry>
<title>${xml(e.title)}</title>
<id>${e.id}</id>
<link rel="alternate" type="text/html" href="${e.link}"/>
<published>${e.published.toISOString()}</published>
<updated>${e.published.toISOString()}</updated>
<author><name>${xml(author(e))}</name></author>
<summary>${xml(e.summary)}</summary>
<content type="html">${xml(e.html)}</content>
</entry>`
      ).join("\n")
    }
</feed>
`;
  }
  if (format === "rdf") {
    return `<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" ` +
      `xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="${url}">
<title>${xml(title)}</title>
<link>${site}</link>
<description>${xml(description)}</description>
<dc:date>${updated.toISOString()}</dc:date>
<items><rdf:Seq>
${newest.map((e) => `<rdf:li rdf:resource="${e.link}"/>`).join("\n")}
</rdf:Seq></items>
</channel>
${
        newest.map((e) =>
          `<item rdf:about="${e.link}">
<title>${xml(e.title)}</title>
<link>${e.link}</link>
<description>${xml(e.summary)}</description>
<content:encoded>${cdata(e.html)}</content:encoded>
<dc:date>${e.published.toISOString()}</dc:date>
<dc:creator>${xml(author(e))}</dc:creator>
</item>`
        ).join("\n")
      }
</rdf:RDF>
`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${xml(title)}</title>
<link>${site}</link>
<description>${xml(description)}</description>
<atom:link href="${url}" rel="self" type="application/rss+xml"/>
<lastBuildDate>${updated.toUTCString()}</lastBuildDate>
${
    newest.map((e) =>
      `<item>
<title>${xml(e.title)}</title>
<link>${e.link}</link>
<guid isPermaLink="false">${e.id}</guid>
<pubDate>${e.published.toUTCString()}</pubDate>
<dc:creator>${xml(author(e))}</dc:creator>
<description>${cdata(e.html)}</description>
</item>`
    ).join("\n")
  }
</channel>
</rss>
`;
}

/**
 * OPML 2.0 with the feeds grouped into nested folder outlines (`Tech/Blogs` is `Blogs` inside `Tech`).
 *
 * @example
 * ```ts
 * import { renderOpml } from "./feed_farm_content.ts";
 * renderOpml([{ url: "http://h/feeds/f0001.rss", title: "A", folder: "News", site: "http://h/" }]);
 * ```
 */
export function renderOpml(
  feeds: Array<{ url: string; title: string; folder: string; site: string }>,
): string {
  interface Node {
    children: Map<string, Node>;
    feeds: typeof feeds;
  }
  const root: Node = { children: new Map(), feeds: [] };
  for (const feed of feeds) {
    let node = root;
    for (const level of feed.folder.split("/")) {
      let next = node.children.get(level);
      if (!next) node.children.set(level, next = { children: new Map(), feeds: [] });
      node = next;
    }
    node.feeds.push(feed);
  }
  const render = (node: Node, indent: string): string[] => [
    ...node.feeds.map((f) =>
      `${indent}<outline type="rss" text="${xml(f.title)}" title="${xml(f.title)}" xmlUrl="${
        xml(f.url)
      }" htmlUrl="${xml(f.site)}"/>`
    ),
    ...[...node.children].flatMap(([name, child]) => [
      `${indent}<outline text="${xml(name)}" title="${xml(name)}">`,
      ...render(child, indent + "  "),
      `${indent}</outline>`,
    ]),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>sluice feed farm</title></head>
<body>
${render(root, "  ").join("\n")}
</body>
</opml>
`;
}

function entryHtml(c: FarmContentConfig, f: number, e: number): { html: string; imagePaths: string[] } {
  const r = seededRandom(`${c.seed}:html:${f}:${e}`);
  const blocks: string[] = [];
  const imagePaths: string[] = [];
  const paragraphs = 2 + Math.floor(r() * 3);
  // Text blocks with the images spread between them, one image after each of the first blocks.
  for (let k = 0; k < paragraphs + c.images; k++) {
    blocks.push(k % 3 === 2 ? `<ul>${listItems(r)}</ul>` : `<p>${sentences(r, f)}</p>`);
    if (k < c.images) {
      const reference = imageReference(f, e, k);
      imagePaths.push(imagePath(f, e, k));
      blocks.push(`<p>${imageTag(c, f, e, k, reference, capitalise(words(r, 3)))}</p>`);
    }
  }
  return { html: blocks.join("\n"), imagePaths };
}

/**
 * How image `k` of entry `e` is referenced; rotates so every feed shows every kind.
 *
 * @example
 * ```ts
 * import { imageReference } from "./feed_farm_content.ts";
 * imageReference(1, 0, 0); // "root-relative"
 * ```
 */
export function imageReference(f: number, e: number, k: number): ImageReference {
  return (["absolute", "root-relative", "srcset", "data-src"] as const)[(f + e + k) % 4];
}

function imageTag(
  c: FarmContentConfig,
  f: number,
  e: number,
  k: number,
  reference: ImageReference,
  alt: string,
): string {
  const relative = imagePath(f, e, k);
  const absolute = c.baseUrl + relative;
  switch (reference) {
    case "absolute":
      return `<img src="${absolute}" alt="${alt}">`;
    case "root-relative":
      return `<img src="${relative}" alt="${alt}">`;
    case "srcset":
      return `<img src="${relative}" srcset="${relative} 1x, ${imagePath(f, e, k, true)} 2x" alt="${alt}">`;
    case "data-src":
      return `<img src="${PLACEHOLDER}" data-src="${absolute}" class="lazy" alt="${alt}">`;
  }
}

function sentences(r: () => number, f: number): string {
  const out: string[] = [];
  const n = 2 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    let s = capitalise(words(r, 8 + Math.floor(r() * 10)));
    const x = r();
    if (x < 0.15) {
      s = s.replace(/^(\S+ \S+)/, (m) => `<a href="https://example.org/${Math.floor(r() * 1e6)}">${m}</a>`);
    } else if (x < 0.25) s = s.replace(/(\S+)$/, (m) => `<a href="/site/f${pad(f)}/">${m}</a>`);
    else if (x < 0.35) s = s.replace(/ (\S+) /, (_, w) => ` <em>${w}</em> `);
    else if (x < 0.4) s += " &amp; more";
    else if (x < 0.5) s = s.replace(/ (\S+)$/, () => ` ${pick(r, RICH)}`);
    out.push(`${s}.`);
  }
  return out.join(" ");
}

function listItems(r: () => number): string {
  const n = 2 + Math.floor(r() * 3);
  return Array.from({ length: n }, () => `<li>${capitalise(words(r, 4))}</li>`).join("");
}

function words(r: () => number, n: number): string {
  return Array.from({ length: n }, () => pick(r, WORDS)).join(" ");
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function cdata(s: string): string {
  return `<![CDATA[${s.replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}
