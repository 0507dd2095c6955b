/**
 * One entry point that turns a state spec (from `STATE_DIR`, the CLI or the config) into a store.
 * @module
 */
import { join } from "node:path";
import { KvStore } from "./kv_store.ts";
import { MemoryStore } from "./memory_store.ts";
import { SqliteStore } from "./sqlite_store.ts";
import { type StateStore, StateStoreError } from "./store.ts";

/** The kinds of store sluice has. */
export type StoreKind = "sqlite" | "kv" | "memory" | "nats";

/**
 * Where state lives: a string (see {@linkcode parseStoreSpec}) or an explicit kind and path.
 *
 * @example
 * ```ts
 * const specs: StoreSpec[] = ["/var/lib/sluice", "kv:/data/state.kv", "kv:", "memory:", { kind: "memory" }];
 * ```
 */
export type StoreSpec = string | { kind: StoreKind; path?: string };

/** Options for {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** sqlite only: how long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** sqlite only: "full" (default, survives a power cut) or "normal" (faster); see SqliteStoreOptions. */
  durability?: "full" | "normal";
  /** sqlite only: WAL pages between automatic checkpoints (default 1000); see SqliteStoreOptions. */
  walCheckpointPages?: number;
}

/** A spec resolved to a kind and the exact file, URL or "" (KV default database). */
export interface ResolvedStoreSpec {
  /** Which adapter opens it. */
  kind: StoreKind;
  /**
   * sqlite: the database file (`<dir>/state.db` for a directory); kv: a path or URL, "" for the default
   * database; memory: ""; nats: the whole spec.
   */
  path: string;
}

const SQLITE_FILE = /\.(db|sqlite3?)$/i;
const SPEC_HINT =
  "use a directory (sqlite at <dir>/state.db), sqlite:<dir or file.db>, kv:<path>, kv:, memory: or " +
  "nats://HOST:4222[/BUCKET]";

/**
 * Resolves a spec. Strings: `memory:`; `kv:` (the runtime's default Deno KV) or `kv:<path or URL>`;
 * `nats://HOST:PORT[/BUCKET]` (a JetStream KV bucket, several servers joined with commas);
 * `sqlite:<path>` or a bare path. A sqlite path ending in `.db`, `.sqlite` or `.sqlite3` is the file;
 * any other path is a directory holding `state.db`.
 *
 * @throws StateStoreError E_STATE_SPEC for an empty spec or an unknown `scheme:`
 * @example
 * ```ts
 * import { parseStoreSpec } from "./open_store.ts";
 * parseStoreSpec("/var/lib/sluice"); // { kind: "sqlite", path: "/var/lib/sluice/state.db" }
 * parseStoreSpec("kv:");             // { kind: "kv", path: "" }
 * ```
 */
export function parseStoreSpec(spec: StoreSpec): ResolvedStoreSpec {
  if (typeof spec !== "string") return resolve(spec.kind, spec.path ?? "", JSON.stringify(spec));
  const text = spec.trim();
  // Two letters at least, so a Windows drive (`C:\state`) stays a path.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(text);
  if (!scheme) return resolve("sqlite", text, spec);
  const kind = scheme[1].toLowerCase();
  const rest = text.slice(scheme[0].length);
  if (kind === "memory" || kind === "kv" || kind === "sqlite") return resolve(kind, rest, spec);
  // A NATS KV bucket: the whole spec is the server list (and bucket), see NatsKvStore.open.
  if (kind === "nats" || kind === "tls") return { kind: "nats", path: text };
  throw new StateStoreError("E_STATE_SPEC", `unknown state store \`${spec}\``, SPEC_HINT);
}

function resolve(kind: StoreKind, path: string, spec: string): ResolvedStoreSpec {
  switch (kind) {
    case "memory":
      return { kind, path: "" };
    case "kv":
    case "nats":
      return { kind, path };
    case "sqlite":
      if (!path) {
        throw new StateStoreError("E_STATE_SPEC", `state store \`${spec}\` names no directory`, SPEC_HINT);
      }
      return { kind, path: SQLITE_FILE.test(path) ? path : join(path, "state.db") };
    default:
      throw new StateStoreError(
        "E_STATE_SPEC",
        `unknown state store kind \`${kind}\` in \`${spec}\``,
        SPEC_HINT,
      );
  }
}

/**
 * Opens the store a spec names.
 *
 * @throws StateStoreError with a code and hint when the spec is wrong or the store cannot be opened
 * @example
 * ```ts
 * import { openStore } from "./open_store.ts";
 * const store = await openStore("memory:");
 * await store.markDelivered("https://x/feed", "id-1");
 * await store.close();
 * ```
 */
export async function openStore(spec: StoreSpec, options: OpenStoreOptions = {}): Promise<StateStore> {
  const { kind, path } = parseStoreSpec(spec);
  if (kind === "memory") return new MemoryStore();
  if (kind === "kv") return await KvStore.open(path);
  if (kind === "nats") {
    // Loaded on demand: a local run never loads the NATS client.
    const { NatsKvStore } = await import("./nats_kv_store.ts");
    return await NatsKvStore.open(path);
  }
  return await SqliteStore.open(path, options);
}
