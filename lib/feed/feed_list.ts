/**
 * Reading the list of feeds: one URL a line, OPML (outlines map to folders), or the YAML's own
 * folder -> feeds map. A plain list puts each feed in a folder named after the feed.
 * @module
 */
import { isSecretQueryName, redactUrl, SluiceError } from "../../engine/errors.ts";
import type { FeedOptions, FeedRef } from "./types.ts";
import { FEED_OPTION_NAMES, layerFeedOptions, readFeedOptions } from "./feed_options.ts";
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
  const list = new PlainList(source);
  text.split(/\r?\n/).forEach((raw, i) => list.add(raw, i));
  return list.feeds();
}

/**
 * {@linkcode parseFeedList} for a long list on the event loop: `pause()` is called before each line of a
 * plain list, and a promise it returns is awaited before the line is read (`yieldWhenBusy` of the engine
 * lets other work run between slices of a few ms). A 2,000-line list took 50-250 ms in one piece on a
 * loaded 2-core machine, the longest task of a W4 run's event loop. Same result and errors as
 * `parseFeedList`; an OPML list is read in one piece.
 *
 * @example
 * ```ts
 * const feeds = await parseFeedListSliced("https://example.org/feed.xml\n", "feeds.txt", undefined, () => undefined);
 * // [{ url: "https://example.org/feed.xml", folder: "example org feed xml", autoFolder: true }]
 * ```
 */
export async function parseFeedListSliced(
  text: string,
  source: string,
  listUrl: string | undefined,
  pause: () => Promise<void> | undefined,
): Promise<FeedRef[]> {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (isFeedDocument(trimmed) || trimmed.startsWith("<")) return parseFeedList(text, source, listUrl);
  const list = new PlainList(source);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const wait = pause();
    if (wait) await wait;
    list.add(lines[i], i);
  }
  return list.feeds();
}

/** A plain list read line by line: its feeds, and options for whole folders (`[News] filter="..."`). */
class PlainList {
  readonly #source: string;
  readonly #feeds: FeedRef[] = [];
  readonly #folderOptions = new Map<string, FeedOptions>();
  constructor(source: string) {
    this.#source = source;
  }

  /** Reads line `i` (0-based) of the list. */
  add(raw: string, i: number): void {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const source = this.#source;
    const { rest, options } = plainListOptions(raw, `${source}:${i + 1}`);
    const folderLine = /^\[(.+)\]$/.exec(rest.trim());
    if (folderLine) {
      // `[News] filter="..."`: options for every feed of the folder `News`.
      const folder = folderLine[1].trim();
      this.#folderOptions.set(folder, layerFeedOptions(this.#folderOptions.get(folder), options)!);
      return;
    }
    const [url, ...words] = rest.trim().split(/\s+/);
    checkUrl(url, `${source}:${i + 1}`);
    const folder = words.join(" ");
    const feed: FeedRef = folder ? { url, folder } : { url, folder: folderFromUrl(url), autoFolder: true };
    this.#feeds.push(options ? { ...feed, options } : feed);
  }

  /** The feeds read, with folder options applied and duplicates dropped. */
  feeds(): FeedRef[] {
    return dedupeFeeds(withFolderOptions(this.#feeds, this.#folderOptions));
  }
}

/** A `key="value"` word of a plain list line (a global pattern: `replace` starts it from 0 each time). */
const OPTION_WORD = new RegExp(
  `(^|\\s)(${FEED_OPTION_NAMES.join("|")})=("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\\S+)`,
  "g",
);

/** `key="value"` (or `key='value'`, `key=word`) words of a plain list line; the rest is URL and folder. */
function plainListOptions(line: string, where: string): { rest: string; options?: FeedOptions } {
  if (!line.includes("=")) return { rest: line };
  const values: Record<string, string> = {};
  const columns: Record<string, number> = {};
  const rest = line.replace(OPTION_WORD, (whole, space: string, name: string, value: string, at: number) => {
    const quoted = value.startsWith('"') || value.startsWith("'");
    columns[name] = at + space.length + name.length + 2 + (quoted ? 1 : 0);
    values[name] = !quoted ? value : value.slice(1, -1).replace(/\\(.)/g, "$1");
    return whole.startsWith(" ") || whole.startsWith("\t") ? " " : "";
  });
  if (Object.keys(values).length === 0) return { rest: line };
  return { rest, options: readFeedOptions(values, (name) => `${where}:${columns[name]}`) };
}

/** Folder options under each feed's own (the feed's win). */
function withFolderOptions(feeds: FeedRef[], byFolder: Map<string, FeedOptions>): FeedRef[] {
  if (byFolder.size === 0) return feeds;
  return feeds.map((feed) => {
    const folder = byFolder.get(feed.folder);
    return folder ? { ...feed, options: layerFeedOptions(folder, feed.options) } : feed;
  });
}

/**
 * Options for whole folders, by folder name (the YAML's `folder-options:`), under each feed's own.
 *
 * @example
 * ```ts
 * import { applyFolderOptions } from "./feed_list.ts";
 * const feeds = applyFolderOptions([{ url: "https://x/f", folder: "News" }], { News: { filter: "true" } });
 * console.log(feeds[0].options); // { filter: "true" }
 * ```
 */
export function applyFolderOptions(feeds: FeedRef[], byFolder: Record<string, FeedOptions>): FeedRef[] {
  return withFolderOptions(feeds, new Map(Object.entries(byFolder)));
}

/**
 * Feeds from the YAML's `folders:` map: folder name -> list of URLs or `{ url, title, filter }`.
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
      const options = typeof item === "object"
        ? readFeedOptions(
          item as Record<string, unknown>,
          (name) => `folder \`${folder}\`, ${url}: \`${name}\``,
        )
        : undefined;
      feeds.push({ url, folder, ...(title ? { title } : {}), ...(options ? { options } : {}) });
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
    root = parseXml(xml, { strict: true }).root; // a list that only half parses would drop feeds silently
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
  const seen: Record<string, number> = {}; // each option's attributes so far, to find a bad one in the text
  const optionsOf = (a: Record<string, string>) => {
    const names = FEED_OPTION_NAMES.filter((name) => name in a);
    if (names.length === 0) return undefined;
    const nth: Record<string, number> = {};
    for (const name of names) nth[name] = seen[name] = (seen[name] ?? -1) + 1;
    return readFeedOptions(a, (name) => `${source}:${attributePosition(xml, name, nth[name])}`);
  };
  const walk = (parent: XmlElement, path: string[], inherited: FeedOptions | undefined) => {
    for (const node of parent.children) {
      if (typeof node === "string") continue;
      if (node.local.toLowerCase() !== "outline") {
        walk(node, path, inherited);
        continue;
      }
      const a = lowerCaseAttributes(node);
      const url = a.xmlurl;
      const title = a.title ?? a.text;
      // An outline's options hold for it and every feed inside it (a folder's), under each feed's own.
      const options = layerFeedOptions(inherited, optionsOf(a));
      if (!url) {
        walk(node, title ? [...path, title] : path, options);
        continue;
      }
      checkUrl(url, source);
      const feed: FeedRef = path.length ? { url, folder: path.join("/"), ...(title ? { title } : {}) } : {
        url,
        folder: title ? sanitizeFolder(title) : folderFromUrl(url),
        autoFolder: !title,
        ...(title ? { title } : {}),
      };
      feeds.push(options ? { ...feed, options } : feed);
    }
  };
  walk(root, [], undefined);
  return dedupeFeeds(feeds);
}

/** `line:col` of the value of the `nth` attribute named `name` (any case) in `xml`, for error messages. */
function attributePosition(xml: string, name: string, nth: number): string {
  const pattern = new RegExp(`\\s${name}\\s*=\\s*["']`, "gi");
  let match: RegExpExecArray | null = null;
  for (let i = 0; i <= nth; i++) match = pattern.exec(xml);
  if (!match) return "1:1";
  const offset = match.index + match[0].length;
  const before = xml.slice(0, offset);
  const line = before.split("\n").length;
  return `${line}:${offset - before.lastIndexOf("\n")}`;
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
  const query = u.search === "" ? [] : [...u.searchParams].filter(([name]) => !isSecretQueryName(name));
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
