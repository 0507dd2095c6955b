/**
 * The HTML pass over entry HTML (one streaming htmlparser2 pass): sanitises it (`findImages`), lists its
 * images, points them at inline `cid:` parts (`rewriteImageRefs`, `inlineImages`), and fetches each
 * image once per run (`ImageCache`).
 *
 * @example
 * ```ts
 * import { findImages, rewriteImageRefs } from "./mod.ts";
 *
 * const found = findImages('<p onclick="x()"><img src="cat.png"></p>', "https://ex.org/post/");
 * console.log(found.urls); // ["https://ex.org/post/cat.png"]
 * console.log(rewriteImageRefs(found.html, { "https://ex.org/post/cat.png": "img1@sluice" }));
 * ```
 * @module
 */
export {
  FIND_IMAGES_TASK,
  findImages,
  type FoundImages,
  REWRITE_IMAGE_REFS_TASK,
  rewriteImageRefs,
} from "./html_images.ts";
export { type HtmlImageWork, inlineImages } from "./inline_images.ts";
export {
  DEFAULT_IMAGE_CACHE_OPTIONS,
  ImageCache,
  type ImageCacheOptions,
  type ImageCacheStats,
  type InlineImage,
} from "./image_cache.ts";
export { type SniffedImage, sniffImageType } from "./sniff.ts";
export { type ElementEditor, type HtmlPassOptions, rewriteHtml, type TagAttributes } from "./html_pass.ts";
export { escapeAttribute, escapeText } from "./html_escape.ts";
