/**
 * The built-in stages of sluice, each usable on its own in a TypeScript pipeline, their registry (the
 * names a YAML pipeline uses) and the rss2imap pipeline built from them: feeds -> fetch -> parse ->
 * dedupe -> digest -> rewrite images -> mime -> mailbox (IMAP or Maildir).
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
export { feeds, type FeedsOptions } from "./stages/feeds.ts";
export { fetchFeeds, type FetchStageOptions } from "./stages/fetch.ts";
export { parseFeeds } from "./stages/parse.ts";
export { dedupe, type DedupeOptions } from "./stages/dedupe.ts";
export { digest } from "./stages/digest.ts";
export { rewriteEntryImages, rewriteImages, type RewriteImagesOptions } from "./stages/rewrite_images.ts";
export { mime } from "./stages/mime.ts";
// What the feed stages remember of each feed, on the state store's key/value part.
export { FEED_KEY_PREFIX, type FeedListing, feedRecordKey, FeedStateBook } from "./stages/feed_state.ts";
export {
  applyFailure,
  applySuccess,
  backoffMs,
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  type FeedState,
  type FetchDecision,
  fetchDecision,
  type FetchSuccess,
  mergeState,
} from "./stages/feed_health.ts";
export {
  type ImapSinkOptions,
  mailbox,
  maildir,
  type MaildirSinkOptions,
  uploadImap,
} from "./stages/mailbox.ts";
// The libraries the stages call (each also usable on its own, from lib/<name>/mod.ts).
export { FetchError, HostLimiter } from "./lib/http/mod.ts";
export {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  type FeedListSource,
  FeedParseError,
  loadFeeds,
  parseFeed,
  type ParseFeedOptions,
  type Validators,
} from "./lib/feed/mod.ts";
export {
  findImages,
  type FoundImages,
  type HtmlImageWork,
  ImageCache,
  type ImageCacheOptions,
  type ImageCacheStats,
  inlineImages,
  rewriteImageRefs,
  type SniffedImage,
  sniffImageType,
} from "./lib/html/mod.ts";
export { composeMessage, type ComposeOptions, messageIdFor } from "./lib/mime/mod.ts";
export {
  DryRunWriter,
  MaildirError,
  maildirFolderDir,
  MaildirWriter,
  type MessageWriter,
} from "./lib/maildir/mod.ts";
export { ImapUploader, type OAuthMechanism, type OAuthTokenSource } from "./lib/imap/mod.ts";
export type * from "./stages/types.ts";
// The stages of the general pipeline language (read, write, http, serve, sql, html).
export { writeRecords } from "./stages/write.ts";
export { httpRequests, type HttpResult, type HttpStageOptions } from "./stages/http.ts";
export { type ServeOptions, serveRequests } from "./stages/serve.ts";
export { sqlInsert, sqlQuery } from "./stages/sql.ts";
export { htmlDocuments } from "./stages/html.ts";
export { readRecords, type ReadRecordsOptions, type RecordFormat } from "./lib/records/mod.ts";
export { compileExpression, compileTemplate } from "./lib/expr/mod.ts";
export { rss2imap, type Rss2ImapOptions } from "./pipelines/rss2imap.ts";
