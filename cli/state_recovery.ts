/**
 * Recovering a damaged state (`cli.ts state rebuild` and `cli.ts state reset --mark-seen`): the damaged
 * file is moved aside, and a new state is made either from what the mailbox already holds (every message
 * sluice wrote carries `X-Sluice-Feed` and `X-Sluice-Entry-Id`) or by marking every current entry seen.
 * @module
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import type { PipelineSpec } from "../engine/config/mod.ts";
import { parseStoreSpec } from "../engine/state/open_store.ts";
import type { StateStore } from "../engine/state/store.ts";
import { ImapClient } from "../lib/imap/client.ts";
import { headerValue } from "../lib/imap/header_value.ts";

const ENTRY_HEADER = "X-Sluice-Entry-Id";
const FEED_HEADER = "X-Sluice-Feed";

/**
 * Moves the state's file (with its `-wal` and `-shm`) aside as `<file>.damaged-<time>`; returns the new
 * name, or undefined when there is no file (memory:, a KV URL, nothing there).
 *
 * @example
 * ```ts
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * const dir = mkdtempSync(path.join(tmpdir(), "sluice-state-"));
 * writeFileSync(path.join(dir, "state.db"), "damaged");
 * console.log(moveStateAside(dir)); // ".../state.db.damaged-2026-12-06T21-00-00-000Z"
 * ```
 */
export function moveStateAside(location: string): string | undefined {
  const { kind, path: file } = parseStoreSpec(location);
  if (kind === "memory" || !file || /^https?:\/\//.test(file) || !existsSync(file)) return undefined;
  const aside = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  renameSync(file, aside);
  for (const suffix of ["-wal", "-shm"]) {
    if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  }
  return aside;
}

/** Where the pipeline delivers: its mailbox stage's IMAP URL, or its Maildir. */
export interface MailboxTarget {
  /** `imap://` or `imaps://` URL (with credentials), when the pipeline writes to IMAP. */
  imapUrl?: string;
  /** PEM text of an extra trusted CA (`ca-file`). */
  ca?: string;
  /** The Maildir root, when it writes to a Maildir. */
  maildir?: string;
}

/**
 * The mailbox the pipeline's sink (`mailbox`, `upload-imap` or `maildir`) writes to; undefined when it
 * has none.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "./load.ts";
 * const { spec } = await loadPipeline("pipelines/rss2imap.yaml");
 * console.log(mailboxTarget(spec)); // { maildir: "./mail" } without IMAP_URL; { imapUrl: ... } with it
 * ```
 */
export function mailboxTarget(spec: PipelineSpec): MailboxTarget | undefined {
  for (const s of spec.stages) {
    const w = s.with as Record<string, unknown>;
    const ca = typeof w["ca-file"] === "string" && w["ca-file"]
      ? readFileSync(w["ca-file"], "utf8")
      : undefined;
    if (
      (s.use === "mailbox" || s.use === "upload-imap") && typeof w.url === "string" && /^imaps?:/i.test(w.url)
    ) {
      return { imapUrl: w.url, ...(ca ? { ca } : {}) };
    }
    if (s.use === "mailbox") return { maildir: String(w.maildir ?? "./mail") };
    if (s.use === "maildir") return { maildir: String(w.path ?? "./mail") };
  }
  return undefined;
}

/**
 * Records as delivered every message of the mailbox that sluice wrote (by its `X-Sluice-Feed` and
 * `X-Sluice-Entry-Id` headers), folder by folder. Returns how many entries were recorded.
 *
 * @example Not run here: it needs a mailbox that sluice filled (`tests/state_recovery_test.ts` runs it).
 * ```ts ignore
 * const n = await rebuildFromMailbox(store, { imapUrl: "imap://bob:pw@127.0.0.1:143" });
 * ```
 */
export async function rebuildFromMailbox(store: StateStore, target: MailboxTarget): Promise<number> {
  const found = target.imapUrl ? await scanImap(target.imapUrl, target.ca) : scanMaildir(target.maildir!);
  let n = 0;
  for (const [feed, entries] of found) {
    await store.markDeliveredMany(feed, entries);
    n += entries.length;
  }
  return n;
}

type Found = Map<string, Array<{ id: string; folder: string }>>;

function add(found: Found, feed: string | undefined, id: string | undefined, folder: string): void {
  if (!feed || !id) return;
  let list = found.get(feed);
  if (!list) found.set(feed, list = []);
  list.push({ id, folder });
}

async function scanImap(url: string, ca?: string): Promise<Found> {
  const found: Found = new Map();
  const client = await ImapClient.connect(url, ca ? { ca } : {});
  try {
    for (const box of await client.list("*")) {
      if (box.flags.some((f) => f.toLowerCase() === "\\noselect")) continue;
      // An empty string matches every message that has the header (RFC 3501, SEARCH HEADER).
      const uids = await client.searchHeader(box.name, ENTRY_HEADER, "");
      if (uids.length === 0) continue;
      const ids = await client.headerValues(box.name, uids, ENTRY_HEADER);
      const feeds = await client.headerValues(box.name, uids, FEED_HEADER);
      for (const uid of uids) add(found, feeds.get(uid), ids.get(uid), box.name);
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return found;
}

function scanMaildir(root: string): Found {
  const found: Found = new Map();
  if (!existsSync(root)) return found;
  const folders = [
    root,
    ...readdirSync(root).filter((d) => d.startsWith(".")).map((d) => path.join(root, d)),
  ];
  for (const dir of folders) {
    const folder = dir === root ? "INBOX" : path.basename(dir).slice(1);
    for (const sub of ["cur", "new"]) {
      const where = path.join(dir, sub);
      if (!existsSync(where) || !statSync(where).isDirectory()) continue;
      for (const name of readdirSync(where)) {
        const text = readFileSync(path.join(where, name)).subarray(0, 64 * 1024).toString("latin1");
        const end = text.search(/\r?\n\r?\n/);
        const headers = end < 0 ? text : text.slice(0, end);
        add(found, headerValue(headers, FEED_HEADER), headerValue(headers, ENTRY_HEADER), folder);
      }
    }
  }
  return found;
}
