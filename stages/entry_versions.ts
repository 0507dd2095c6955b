/**
 * What `on-update` remembers of each delivered entry of a feed: the content hash of the version its
 * mailbox holds, the folder, and the message's UID there when the server told (UIDPLUS). One JSON value
 * per feed on the state store's key/value part, under `versions/` + the URL without credentials, read
 * once per feed and run by `dedupe` and changed in one atomic update per delivered batch. Only feeds with
 * `on-update: replace` or `new` have one, so the others cost nothing.
 * @module
 */
import { scopeKey, type StateStore } from "../engine/state/mod.ts";

/** The key prefix of the version records in the store's key/value part. */
export const VERSION_KEY_PREFIX = "versions/";

/**
 * The version of one delivered entry.
 *
 * @example
 * ```ts
 * const v: StoredVersion = { hash: "9f86d081884c7d659a2feaa0c55ad015", folder: "News", uid: 7 };
 * ```
 */
export interface StoredVersion {
  /** Content hash of the version in the mailbox (`entryContentHash`). */
  hash: string;
  /** The folder it is in. */
  folder: string;
  /** Its UID in that folder (IMAP with UIDPLUS); undefined: found by its entry id when needed. */
  uid?: number;
}

/** A feed's record: entry id -> version. */
export type FeedVersions = Record<string, StoredVersion>;

/**
 * A feed's entry versions over a {@linkcode StateStore}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "../engine/state/mod.ts";
 * import { EntryVersionBook } from "./entry_versions.ts";
 * const store = new MemoryStore();
 * const book = new EntryVersionBook(store);
 * await book.record("https://x/feed", { "urn:1": { hash: "ab", folder: "News", uid: 3 } });
 * console.log((await book.read("https://x/feed"))["urn:1"].uid); // 3
 * await store.close();
 * ```
 */
export class EntryVersionBook {
  /**
   * @param store the run's state store
   */
  constructor(readonly store: StateStore) {}

  /** The feed's versions by entry id (empty when none is recorded). */
  async read(feedUrl: string): Promise<FeedVersions> {
    return (await this.store.get<FeedVersions>(versionRecordKey(feedUrl))) ?? {};
  }

  /**
   * Sets these entries' versions (one atomic update); with `keep`, the entries not in it (gone from the
   * feed) are dropped from the record, so it stays the size of the feed.
   */
  async record(feedUrl: string, versions: FeedVersions, keep?: ReadonlySet<string>): Promise<void> {
    await this.store.update<FeedVersions>(versionRecordKey(feedUrl), (current) => {
      const out: FeedVersions = {};
      for (const [id, v] of Object.entries(current ?? {})) if (!keep || keep.has(id)) out[id] = v;
      return Object.assign(out, versions);
    });
  }

  /** Drops the feed's record. */
  async forget(feedUrl: string): Promise<void> {
    await this.store.delete(versionRecordKey(feedUrl));
  }
}

/**
 * The key of a feed's version record: {@linkcode VERSION_KEY_PREFIX} and the URL without credentials.
 *
 * @example
 * ```ts
 * import { versionRecordKey } from "./entry_versions.ts";
 * versionRecordKey("https://bob:pw@x.org/feed"); // "versions/https://***:***@x.org/feed"
 * ```
 */
export function versionRecordKey(feedUrl: string): string {
  return VERSION_KEY_PREFIX + scopeKey(feedUrl);
}
