/**
 * Reads `srcset` attributes. Mail clients ignore `srcset`, so sluice keeps only the best candidate as
 * `src` and inlines that one image.
 * @module
 */

/** One `srcset` candidate: a URL and its width (`800w`) or density (`2x`) descriptor. */
export interface SrcsetCandidate {
  url: string;
  /** Width in pixels from a `w` descriptor. */
  width?: number;
  /** Pixel density from an `x` descriptor (1 when the candidate has no descriptor). */
  density?: number;
}

/**
 * Splits a `srcset` value into candidates, following the HTML parsing rules closely enough for real
 * feeds: URLs may contain commas (`w_100,h_50`), candidates are separated by a comma after whitespace or
 * after the descriptors.
 *
 * @example
 * ```ts
 * import { parseSrcset } from "./srcset.ts";
 * parseSrcset("a.png 1x, b.png 2x"); // [{ url: "a.png", density: 1 }, { url: "b.png", density: 2 }]
 * ```
 */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  let i = 0;
  const n = value.length;
  const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
  while (i < n) {
    while (i < n && (isSpace(value[i]) || value[i] === ",")) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(value[i])) i++;
    let url = value.slice(start, i);
    let descriptors = "";
    if (url.endsWith(",")) {
      url = url.replace(/,+$/, "");
    } else {
      const from = i;
      let depth = 0;
      while (i < n && (value[i] !== "," || depth > 0)) {
        if (value[i] === "(") depth++;
        else if (value[i] === ")") depth = Math.max(0, depth - 1);
        i++;
      }
      descriptors = value.slice(from, i).trim();
    }
    if (!url) continue;
    const candidate: SrcsetCandidate = { url };
    for (const d of descriptors.split(/\s+/).filter(Boolean)) {
      const m = /^(\d+(?:\.\d+)?)([wx])$/i.exec(d);
      if (!m) continue;
      if (m[2].toLowerCase() === "w") candidate.width = Number(m[1]);
      else candidate.density = Number(m[1]);
    }
    if (candidate.width === undefined && candidate.density === undefined) candidate.density = 1;
    out.push(candidate);
  }
  return out;
}

/**
 * The candidate a reader would want in a mail: the widest by `w` descriptor, else the densest by `x`;
 * undefined for an empty list.
 *
 * @example
 * ```ts
 * import { bestCandidate, parseSrcset } from "./srcset.ts";
 * bestCandidate(parseSrcset("s.jpg 320w, l.jpg 1024w, m.jpg 640w"))?.url; // "l.jpg"
 * ```
 */
export function bestCandidate(candidates: SrcsetCandidate[]): SrcsetCandidate | undefined {
  const widths = candidates.filter((c) => c.width !== undefined);
  if (widths.length) return widths.reduce((a, b) => (b.width! > a.width! ? b : a));
  return candidates.reduce<SrcsetCandidate | undefined>(
    (a, b) => (!a || (b.density ?? 1) > (a.density ?? 1) ? b : a),
    undefined,
  );
}
