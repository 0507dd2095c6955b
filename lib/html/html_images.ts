/**
 * Finds the images of an entry's HTML and rewrites their references. Pure, synchronous CPU work with no
 * top-level side effects, so the worker pool can run it (`FIND_IMAGES_TASK`, `REWRITE_IMAGE_REFS_TASK`)
 * as well as the event loop.
 * @module
 */
import { rewriteHtml, type TagAttributes } from "./html_pass.ts";
import { escapeAttribute, unescapeAttribute } from "./html_escape.ts";
import { bestCandidate, parseSrcset } from "./srcset.ts";

/**
 * What `findImages` returns: the sanitised HTML, every `<img>` pointing at one absolute URL, and the
 * distinct http(s) image URLs in order of first appearance.
 *
 * @example
 * ```ts
 * const found: FoundImages = { html: '<img src="https://example.org/a.png">', urls: ["https://example.org/a.png"] };
 * ```
 */
export interface FoundImages {
  /** The sanitised HTML, each `<img>` reduced to one absolute `src` (lazy-load and srcset picks applied). */
  html: string;
  /** Distinct absolute http(s) image URLs in order of first appearance; empty when there are none. */
  urls: string[];
}

/** Attributes lazy-loading scripts keep the real image URL in, in order of preference. */
const LAZY_SRC = ["data-src", "data-lazy-src", "data-original"];
const LAZY_SRCSET = ["srcset", "data-srcset", "data-lazy-srcset"];
/** Attributes that only matter to a browser's loader; useless (or misleading) once the image is inline. */
const LOADER_ATTRIBUTES = [...LAZY_SRC, ...LAZY_SRCSET, "sizes", "loading"];

/**
 * Sanitises `html` and writes it in canonical form, in one streaming pass (`html_pass.ts`, rules in
 * `sanitize.ts`), normalising its images on the way: lazy `data-src` / `data-lazy-src` / `data-original`
 * are promoted to `src`; of a `srcset` only the best candidate is kept, as `src`; `<picture>` sources are
 * dropped in favour of their `<img>`; image and link URLs are resolved against the first `<base href>`
 * (wherever it is) and `baseUrl`. Returns the HTML and the distinct http(s) image URLs (`data:` images
 * stay as they are and are not listed).
 *
 * @example
 * ```ts
 * import { findImages } from "./html_images.ts";
 * const found = findImages('<p><img data-src="a.png" src="spacer.gif"></p>', "https://example.org/post/");
 * found.html; // '<p><img src="https://example.org/post/a.png"></p>'
 * found.urls; // ["https://example.org/post/a.png"]
 * ```
 */
export function findImages(html: string, baseUrl: string): FoundImages {
  const finder = new ImageFinder(baseUrl);
  let out = rewriteHtml(html, finder);
  // The first `<base href>` came after URLs were resolved against the entry URL: once more with it.
  if (finder.lateBase !== undefined) {
    const again = new ImageFinder(finder.lateBase, finder.lateBase);
    out = rewriteHtml(html, again);
    return { html: out, urls: [...again.urls] };
  }
  return { html: out, urls: [...finder.urls] };
}

/**
 * The `findImages` edits during one pass: images normalised and listed, links made absolute, `<picture>`
 * sources dropped. The base URL is the first `<base href>`'s, which may come anywhere in the HTML; when
 * it comes after a URL was resolved, `lateBase` says so and the pass must run again.
 */
class ImageFinder {
  readonly urls = new Set<string>();
  lateBase: string | undefined;
  private base: string;
  private resolvedAny = false;

  /** `fixedBase`: the base is known already (a second pass), `<base>` tags are ignored. */
  constructor(private readonly baseUrl: string, private fixedBase?: string) {
    this.base = fixedBase ?? baseUrl;
  }

  onBaseHref = (href: string): void => {
    if (this.fixedBase !== undefined) return;
    const trimmed = href.trim();
    this.fixedBase = (trimmed && resolve(trimmed, this.baseUrl)) || this.baseUrl;
    if (this.fixedBase === this.base) return;
    if (this.resolvedAny) this.lateBase = this.fixedBase;
    else this.base = this.fixedBase;
  };

  edit = (name: string, attributes: TagAttributes, inside: (name: string) => boolean): boolean => {
    if (name === "img") {
      this.image(attributes);
    } else if (name === "a") {
      const href = attributes.get("href");
      if (href !== undefined && !href.startsWith("#")) { // in-page anchors stay in-page
        const absolute = this.resolve(href);
        if (absolute) attributes.set("href", absolute);
      }
    } else if (name === "source") {
      return !inside("picture");
    }
    return true;
  };

  /** One `<img>`: its best URL (srcset, lazy attribute, src) as an absolute `src`, loader attributes gone. */
  private image(attributes: TagAttributes): void {
    const srcset = firstNonBlank(attributes, LAZY_SRCSET);
    const lazy = firstNonBlank(attributes, LAZY_SRC);
    const chosen = (srcset ? bestCandidate(parseSrcset(srcset))?.url : undefined) ?? lazy ??
      attributes.get("src");
    for (const a of LOADER_ATTRIBUTES) attributes.delete(a);
    if (!chosen?.trim()) return;
    const absolute = this.resolve(chosen.trim());
    attributes.set("src", absolute ?? chosen);
    if (absolute && (absolute.startsWith("https:") || absolute.startsWith("http:"))) this.urls.add(absolute);
  }

  private resolve(url: string): string | undefined {
    this.resolvedAny = true;
    return resolve(url, this.base);
  }
}

function firstNonBlank(attributes: TagAttributes, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = attributes.get(name);
    if (value?.trim()) return value;
  }
  return undefined;
}

/**
 * Points every `<img>` whose `src` is a key of `cids` (absolute URLs, as `findImages` wrote them) at the
 * inline part: `src="cid:<cid>"`. Other images keep their remote URL. Pass HTML `findImages` returned.
 *
 * @example
 * ```ts
 * import { rewriteImageRefs } from "./html_images.ts";
 * rewriteImageRefs('<img src="https://e.org/a.png">', { "https://e.org/a.png": "img.1f2e@sluice" });
 * // '<img src="cid:img.1f2e@sluice">'
 * ```
 */
export function rewriteImageRefs(html: string, cids: Record<string, string>): string {
  if (Object.keys(cids).length === 0) return html;
  return rewriteSerialized(html, cids) ?? rewriteHtml(html, {
    edit: (name, attributes) => {
      const src = name === "img" ? attributes.get("src") : undefined;
      if (src !== undefined && Object.hasOwn(cids, src)) attributes.set("src", `cid:${cids[src]}`);
      return true;
    },
  });
}

/**
 * `rewriteImageRefs` on HTML as `rewriteHtml` writes it, in place: only the `src` values of `<img>` tags
 * change. There text cannot hide an `<img` (it escapes `<`) and an attribute value holds no `"` or `>`,
 * so a tag ends at the first `>` and ` src="` inside it is the `src` attribute. Undefined when `<img` may
 * be text (a raw-text element, or a comment or script in HTML that did not come from findImages): then
 * the caller tokenizes the HTML again.
 */
function rewriteSerialized(html: string, cids: Record<string, string>): string | undefined {
  let out = "";
  let copied = 0;
  // One walk over the tags (indexOf is fast in V8 and JSC): far cheaper than a regex or a tokenizer.
  for (let at = html.indexOf("<"); at >= 0; at = html.indexOf("<", at + 1)) {
    const c = html.charCodeAt(at + 1);
    if (c === 105 /* i */) {
      if (!html.startsWith("img", at + 1)) continue;
      const next = html.charCodeAt(at + 4);
      if (next !== 32 && next !== 62) continue; // "<img " or "<img>", not "<imgx"
      const end = html.indexOf(">", at);
      if (end < 0) break;
      const src = html.indexOf(' src="', at);
      if (src < 0 || src > end) continue;
      const valueStart = src + 6;
      const valueEnd = html.indexOf('"', valueStart);
      const url = unescapeAttribute(html.slice(valueStart, valueEnd));
      if (!Object.hasOwn(cids, url)) continue;
      out += html.slice(copied, valueStart) + escapeAttribute(`cid:${cids[url]}`);
      copied = valueEnd;
    } else if (
      c === 33 /* ! */ || (c >= 65 && c <= 90) || (c >= 115 && c <= 120 && mayHideImg(html, at + 1))
    ) {
      return undefined; // a comment, upper-case markup, or a raw-text element
    }
  }
  return copied === 0 ? html : out + html.slice(copied);
}

/** Elements whose content is raw text, where `<img` is no tag. */
const RAW_TEXT_ELEMENTS = ["style", "script", "xmp", "textarea", "title"];

function mayHideImg(html: string, nameAt: number): boolean {
  for (const name of RAW_TEXT_ELEMENTS) if (html.startsWith(name, nameAt)) return true;
  return false;
}

/**
 * How the worker pool names `findImages`: `pool.run(FIND_IMAGES_TASK, [html, baseUrl])`.
 *
 * @example
 * ```ts
 * import { FIND_IMAGES_TASK } from "./html_images.ts";
 * FIND_IMAGES_TASK.export; // "findImages"
 * ```
 */
export const FIND_IMAGES_TASK: { readonly module: string; readonly export: "findImages" } = {
  module: import.meta.url,
  export: "findImages",
};

/**
 * How the worker pool names `rewriteImageRefs`: `pool.run(REWRITE_IMAGE_REFS_TASK, [html, cids])`.
 *
 * @example
 * ```ts
 * import { REWRITE_IMAGE_REFS_TASK } from "./html_images.ts";
 * REWRITE_IMAGE_REFS_TASK.export; // "rewriteImageRefs"
 * ```
 */
export const REWRITE_IMAGE_REFS_TASK: { readonly module: string; readonly export: "rewriteImageRefs" } = {
  module: import.meta.url,
  export: "rewriteImageRefs",
};

/** `url` made absolute against `base`; undefined when it is no URL (URL.parse does not throw: cheaper). */
function resolve(url: string, base: string): string | undefined {
  return URL.parse(url, base || undefined)?.href;
}
