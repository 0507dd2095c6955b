/**
 * The built-in stages of sluice, each usable on its own in a TypeScript pipeline, their registry (the
 * names a YAML pipeline uses) and the rss2imap pipeline built from them: feeds -> fetch -> parse ->
 * dedupe -> rewrite images -> mime -> mailbox (IMAP or Maildir).
 *
 * @example
 * ```ts
 * import { builtinStages, mime } from "./stages.ts";
 *
 * console.log(builtinStages().names().includes("fetch")); // true
 * const compose = mime({ from: "sluice <sluice@localhost>", to: "me@localhost" });
 * console.log(compose.options.name); // "mime"
 * ```
 * @module
 */
// The built-in stages (each usable on its own) and the rss2imap pipeline.
export { builtinStages } from "./stages/registry.ts";
export { feeds, type FeedsOptions, loadFeeds } from "./stages/feeds.ts";
export {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  FetchError,
  fetchFeeds,
  type FetchStageOptions,
  HostLimiter,
  type Validators,
} from "./stages/fetch.ts";
export { FeedParseError, parseFeed, type ParseFeedOptions, parseFeeds } from "./stages/parse.ts";
export { dedupe, type DedupeOptions } from "./stages/dedupe.ts";
export {
  findImages,
  type FoundImages,
  type HtmlImageWork,
  ImageCache,
  type ImageCacheOptions,
  type ImageCacheStats,
  rewriteEntryImages,
  rewriteImageRefs,
  rewriteImages,
  type RewriteImagesOptions,
  type SniffedImage,
  sniffImageType,
} from "./stages/rewrite_images.ts";
export { composeMessage, type ComposeOptions, messageIdFor, mime } from "./stages/mime.ts";
export {
  DryRunWriter,
  MaildirError,
  maildirFolderDir,
  MaildirWriter,
  type MessageWriter,
} from "./lib/maildir/writer.ts";
export { ImapUploader } from "./lib/imap/uploader.ts";
export {
  type ImapSinkOptions,
  mailbox,
  maildir,
  type MaildirSinkOptions,
  uploadImap,
} from "./stages/mailbox.ts";
export type * from "./stages/types.ts";
export { rss2imap, type Rss2ImapOptions } from "./pipelines/rss2imap.ts";
