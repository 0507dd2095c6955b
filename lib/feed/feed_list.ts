/**
 * Reading the list of feeds: one URL a line, OPML (outlines map to folders), or the YAML's own
 * folder -> feeds map. A plain list puts each feed in a folder named after the feed.
 * @module
 */
import { isSecretQueryName, redactUrl, SluiceError } from "../../engine/errors.ts";
import type { FeedRef } from "./types.ts";
import { parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";

/**
 * The feed list could not be read or holds something that is not a feed URL.
 *
 * @example
 * ```ts
 * const error = new FeedListError("feeds.txt:3: `ftp://x` is not an http(s) URL", "fix or remove the line");
 * console.log(error.message, error.hint);
 * ```
 */
export class FeedListError extends SluiceError {
  /**
   * @param message what is wrong with the list, naming it (without credentials)
   * @param hint what to do
   * @param options `cause`
   */
  constructor(message: string, hint: string, options?: ErrorOptions) {
    super("E_FEED_LIST", message, hint, options);
  }
}

/**
 * Parses a feed list file's text: OPML when it looks like XML, otherwise one URL a line (`#` comments,
 * blank lines ignored; an optional folder after the URL: `https://x/feed.xml News`). A list fetched from
 * `listUrl` that is itself a feed (RSS, Atom, RDF, JSON Feed) is the list of that one feed; a list file
 * that is a feed is refused, saying what a list is.
 *
 * @example
 * ```ts
 * parseFeedList("https://example.org/feed.xml\n", "feeds.txt");
 * // [{ url: "https://example.org/feed.xml", folder: "example org feed xml", autoFolder: true }]
 * ```
 */
export function parseFeedList(text: string, source: string, listUrl?: string): FeedRef[] {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (isFeedDocument(trimmed)) {
    // FEEDS=https://example.org/feed.xml: the URL of one feed is a list of that feed.
    if (listUrl) return [{ url: listUrl, folder: folderFromUrl(listUrl), autoFolder: true }];
    throw new FeedListError(
      `${source} is a feed itself, not a list of feeds`,
      "FEEDS expects a file or URL listing feeds (one feed URL a line, or OPML), or the URL of one feed: " +
        "set FEEDS to the feed's URL, or write its URL into a list file",
    );
  }
  if (trimmed.startsWith("<")) return parseOpml(trimmed, source);
  const feeds: FeedRef[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const [url, ...rest] = line.split(/\s+/);
    checkUrl(url, `${source}:${i + 1}`);
    const folder = rest.join(" ");
    feeds.push(folder ? { url, folder } : { url, folder: folderFromUrl(url), autoFolder: true });
  });
  return dedupeFeeds(feeds);
}

/**
 * Feeds from the YAML's `folders:` map: folder name -> list of URLs or `{ url, title }`.
 *
 * @example
 * ```ts
 * feedsFromFolders({ News: ["https://example.org/feed.xml"] });
 * ```
 */
export function feedsFromFolders(folders: Record<string, unknown>): FeedRef[] {
  const feeds: FeedRef[] = [];
  for (const [folder, list] of Object.entries(folders)) {
    if (!Array.isArray(list)) {
      throw new FeedListError(
        `folder \`${folder}\`: expected a list of feed URLs`,
        "write `Folder: [url, url]`",
      );
    }
    for (const item of list) {
      const url = typeof item === "string" ? item : (item as { url?: string })?.url;
      if (typeof url !== "string") {
        throw new FeedListError(
          `folder \`${folder}\`: ${JSON.stringify(item)} is not a feed URL`,
          "use a URL",
        );
      }
      checkUrl(url, `folder \`${folder}\``);
      const title = typeof item === "object" ? (item as { title?: string }).title : undefined;
      feeds.push({ url, folder, ...(title ? { title } : {}) });
    }
  }
  return dedupeFeeds(feeds);
}

/** RSS, Atom, RSS 1.0 (RDF) or JSON Feed, judged by its root: what a feed list is not. */
function isFeedDocument(text: string): boolean {
  if (text.startsWith("{")) return /"version"\s*:\s*"https?:\/\/jsonfeed\.org\//.test(text.slice(0, 4096));
  if (!text.startsWith("<")) return false;
  // The root is the first element after the prolog (declaration, comments, doctype, processing instructions).
  const root = /^(?:\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*\s*<([\w:.-]+)/i.exec(text);
  return root !== null && /^(?:rss|feed|rdf:rdf)$/i.test(root[1]);
}

/** Outlines with `xmlUrl` are feeds; the titles of the outlines around them make the folder path. */
function parseOpml(xml: string, source: string): FeedRef[] {
  let root: XmlElement;
  try {
    root = parseXml(xml, { strict: true }).root;
  } catch (e) {
    if (!(e instanceof XmlSyntaxError)) throw e;
    throw new FeedListError(
      `${source}:${e.line}:${e.column}: malformed OPML: ${e.reason}`,
      "fix the OPML (a feed reader's export is well-formed XML), or give one feed URL a line",
    );
  }
  if (root.local.toLowerCase() !== "opml") {
    throw new FeedListError(
      `${source}: XML but neither OPML nor a feed`,
      "FEEDS expects a file or URL listing feeds (one feed URL a line, or OPML), or the URL of one feed",
    );
  }
  const feeds: FeedRef[] = [];
  const walk = (parent: XmlElement, path: string[]) => {
    for (const node of parent.children) {
      if (typeof node === "string") continue;
      if (node.local.toLowerCase() !== "outline") {
        walk(node, path);
        continue;
      }
      const a = lowerCaseAttributes(node);
      const url = a.xmlurl;
      const title = a.title ?? a.text;
      if (!url) {
        walk(node, title ? [...path, title] : path);
        continue;
      }
      checkUrl(url, source);
      feeds.push(
        path.length ? { url, folder: path.join("/"), ...(title ? { title } : {}) } : {
          url,
          folder: title ? sanitizeFolder(title) : folderFromUrl(url),
          autoFolder: !title,
          ...(title ? { title } : {}),
        },
      );
    }
  };
  walk(root, []);
  return dedupeFeeds(feeds);
}

/** OPML writers differ in case (`xmlUrl`, `xmlurl`). */
function lowerCaseAttributes(element: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(element.attrs)) out[name.toLowerCase()] = value;
  return out;
}

function checkUrl(url: string, where: string): void {
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(url).protocol);
  } catch { /* reported below */ }
  if (!ok) {
    throw new FeedListError(`${where}: \`${redactUrl(url)}\` is not an http(s) URL`, "fix or remove it");
  }
}

function dedupeFeeds(feeds: FeedRef[]): FeedRef[] {
  const seen = new Set<string>();
  return feeds.filter((f) => !seen.has(`${f.folder}\n${f.url}`) && seen.add(`${f.folder}\n${f.url}`));
}

/**
 * A folder name for a feed without one: host and path segments, e.g. `example org feed xml`.
 *
 * @example
 * ```ts
 * folderFromUrl("https://example.org/blog/feed.xml"); // "example org blog feed xml"
 * ```
 */
export function folderFromUrl(url: string): string {
  const u = new URL(url);
  const parts = [u.host, ...u.pathname.split("/").filter(Boolean)];
  // The query tells feeds of one path apart (`?category=...`), but a token in it must not name a folder.
  const query = [...u.searchParams].filter(([name]) => !isSecretQueryName(name));
  if (query.length) parts.push(query.map(([k, v]) => `${k}=${v}`).join("&"));
  return sanitizeFolder(parts.join(" "));
}

/**
 * A folder name safe for IMAP and Maildir++: no hierarchy separators or control characters, at most 80
 * characters.
 *
 * @example
 * ```ts
 * sanitizeFolder("News/Tech. Daily"); // "News-Tech Daily"
 * ```
 */
export function sanitizeFolder(name: string): string {
  const clean = name
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .replace(/[/\\.]+\s*/g, (m) => (m.trim() === "." ? " " : "-"))
    .replace(/[%*"]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^~+\s*/, "") // Dovecot refuses a name starting with `~` (a user's home)
    .slice(0, 80)
    .trim();
  return clean || "Feeds";
}
