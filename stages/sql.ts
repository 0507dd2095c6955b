/**
 * `sql`: SQLite through the runtime's own driver (`node:sqlite`, engine/runtime/sqlite.ts): a `query`
 * source streaming rows, or an `insert` sink that commits items in batches (one transaction a batch).
 * @module
 */
import type { StageFactory } from "../engine/config/mod.ts";
import { setImmediate } from "node:timers";
import { source, type Stage } from "../engine/pipeline/mod.ts";
import { openSqlite, type SqliteDatabase, type SqliteValue } from "../engine/runtime/sqlite.ts";
import { SluiceError } from "../engine/errors.ts";

/**
 * The `sql` stage for YAML: `query:` (a source) or `insert:` (a sink), on the database file `db:`.
 *
 * @example
 * ```ts
 * import { sqlStage } from "./sql.ts";
 * const rows = sqlStage.create({ db: "stats.db", query: "SELECT * FROM hits" }, {});
 * ```
 */
export const sqlStage: StageFactory = {
  name: "sql",
  description:
    "SQLite: `query:` streams rows (source), `insert: TABLE` writes items in batched transactions (sink)",
  inType: "any",
  outType: "none",
  options: {
    db: {
      type: "string",
      required: true,
      path: true,
      description: "the SQLite database file (created if missing)",
    },
    query: { type: "string", description: "a SELECT whose rows become items (the stage is then a source)" },
    insert: {
      type: "string",
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      description: "the table items go into (the stage is then a sink)",
    },
    statement: {
      type: "string",
      description:
        "a statement run for each item, `:name` bound to the item's field (the stage is then a sink), " +
        "e.g. INSERT INTO counts(level, n) VALUES (:level, 1) ON CONFLICT(level) DO UPDATE SET n = n + 1",
    },
    columns: { type: "string[]", description: "insert: the columns (default: the first item's keys)" },
    setup: {
      type: "string",
      description: "SQL run once when the database opens, e.g. CREATE TABLE IF NOT EXISTS ...",
    },
    "on-conflict": {
      type: "string",
      enum: ["fail", "ignore", "replace"],
      default: "fail",
      description: "insert: what a duplicate key does",
    },
    batch: {
      type: "integer",
      min: 1,
      default: 500,
      description: "insert: items committed in one transaction, at most",
    },
  },
  placements: ["loop"],
  placementNote:
    "the database handle lives on the event loop, which commits a whole batch in one transaction",
  forOptions: (o) =>
    o.query !== undefined ? { inType: "none", outType: "any" } : { inType: "any", outType: "none" },
  checkOptions: (o) => {
    const given = ["query", "insert", "statement"].filter((k) => o[k] !== undefined);
    if (given.length === 1) return [];
    return [{
      option: given[1] ?? "query",
      message: given.length === 0
        ? "needs `query:` (a source), or `insert:` or `statement:` (a sink)"
        : `has ${given.map((k) => "`" + k + ":`").join(" and ")}; keep one`,
      hint: "`query: SELECT ...` reads rows; `insert: TABLE` or `statement: INSERT ... :field` writes items",
    }];
  },
  create: (o) =>
    o.query !== undefined
      ? sqlQuery(o.db as string, o.query as string, { setup: o.setup as string | undefined })
      : sqlInsert(
        o.db as string,
        (o.insert ?? { statement: o.statement }) as string | { statement: string },
        {
          columns: o.columns as string[] | undefined,
          setup: o.setup as string | undefined,
          onConflict: o["on-conflict"] as "fail" | "ignore" | "replace",
          batch: o.batch as number,
        },
      ),
};

/**
 * A source streaming the rows of `query` (plain objects by column name).
 *
 * @example
 * ```ts
 * import { sqlQuery } from "./sql.ts";
 * const rows = sqlQuery("stats.db", "SELECT level, count(*) AS n FROM lines GROUP BY level");
 * ```
 */
export function sqlQuery(db: string, query: string, options: { setup?: string } = {}): Stage<never, unknown> {
  return source(async function* (ctx) {
    const database = await openDatabase(db, options.setup);
    try {
      for (const row of prepare(database, db, query).iterate()) {
        if (ctx.stopSignal.aborted) return;
        yield { ...row };
      }
    } finally {
      database.close();
    }
  }, { name: "sql", outType: "any" });
}

/**
 * A sink inserting each item (an object) into `table`, or running `{ statement }` for each item with
 * `:name` bound to the item's field; items arriving together commit in one transaction, and an item
 * counts as done once its transaction committed.
 *
 * @example
 * ```ts
 * import { sqlInsert } from "./sql.ts";
 * const save = sqlInsert("stats.db", "hits", { setup: "CREATE TABLE IF NOT EXISTS hits(path, n)" });
 * ```
 */
export function sqlInsert(
  db: string,
  table: string | { statement: string },
  options: {
    columns?: string[];
    setup?: string;
    onConflict?: "fail" | "ignore" | "replace";
    batch?: number;
  } = {},
): Stage<unknown, never> {
  let database: SqliteDatabase | undefined;
  let write: ((items: unknown[]) => void) | undefined;
  const max = options.batch ?? 500;
  let waiting: { item: unknown; resolve(): void; reject(e: unknown): void }[] = [];
  let scheduled = false;
  // One transaction for the items that arrived in the same turn of the event loop (up to `batch`): a
  // commit is a disk sync, so committing each item alone would cost a sync per item.
  const flush = () => {
    scheduled = false;
    const batch = waiting.splice(0, max);
    if (batch.length === 0) return;
    try {
      write!(batch.map((w) => w.item));
      for (const w of batch) w.resolve();
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
    if (waiting.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const verb = options.onConflict === "ignore"
    ? "INSERT OR IGNORE"
    : options.onConflict === "replace"
    ? "INSERT OR REPLACE"
    : "INSERT";
  return {
    options: {
      name: "sql",
      placement: "loop",
      concurrency: max,
      capacity: 2 * max,
      ordered: false,
      onError: "fail",
      outType: "none",
    },
    body: {
      kind: "transform",
      open: async () => {
        waiting = [];
        database = await openDatabase(db, options.setup);
        const d = database;
        let columns = options.columns;
        write = (items) => {
          let bind: (record: Record<string, unknown>) => SqliteValue[] | [Record<string, SqliteValue>];
          let sql: string;
          if (typeof table === "string") {
            const cols = columns ??= Object.keys(asRecord(items[0]));
            sql = `${verb} INTO "${table}" (${cols.map((c) => `"${c.replaceAll('"', '""')}"`).join(", ")}) ` +
              `VALUES (${cols.map(() => "?").join(", ")})`;
            bind = (record) => cols.map((c) => bindable(record[c]));
          } else {
            sql = table.statement;
            const names = [...new Set([...sql.matchAll(/[:@$]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
            bind = (record) => [Object.fromEntries(names.map((n) => [n, bindable(record[n])]))];
          }
          const statement = prepare(d, db, sql);
          d.exec("BEGIN");
          try {
            for (const item of items) {
              (statement.run as (...a: unknown[]) => unknown)(...bind(asRecord(item)));
            }
            d.exec("COMMIT");
          } catch (e) {
            d.exec("ROLLBACK");
            const into = typeof table === "string" ? `inserting into ${table}` : "the statement";
            throw new SluiceError(
              "E_SQL_INSERT",
              `${into} in ${db} failed: ${(e as Error).message}`,
              "check the table's columns and constraints (`setup:` can create the table)",
              { cause: e },
            );
          }
        };
      },
      handle: (item) =>
        new Promise((resolve, reject) => {
          waiting.push({ item, resolve: () => resolve({ none: true }), reject });
          if (waiting.length >= max) flush();
          else schedule();
        }),
      close: () => {
        database?.close();
        database = undefined;
      },
    },
  };
}

async function openDatabase(file: string, setup: string | undefined): Promise<SqliteDatabase> {
  let db: SqliteDatabase;
  try {
    db = await openSqlite(file);
  } catch (e) {
    throw new SluiceError(
      "E_SQL_OPEN",
      `cannot open the database ${file}: ${(e as Error).message}`,
      "check the path and that its folder exists",
      { cause: e },
    );
  }
  if (setup) {
    try {
      db.exec(setup);
    } catch (e) {
      db.close();
      throw new SluiceError(
        "E_SQL_SETUP",
        `the setup SQL failed on ${file}: ${(e as Error).message}`,
        "fix the `setup:` statement",
        { cause: e },
      );
    }
  }
  return db;
}

function prepare(db: SqliteDatabase, file: string, sql: string) {
  try {
    return db.prepare(sql);
  } catch (e) {
    throw new SluiceError(
      "E_SQL_STATEMENT",
      `${file}: ${(e as Error).message} in: ${sql}`,
      "fix the SQL (does the table exist? `setup:` can create it)",
      { cause: e },
    );
  }
}

function asRecord(item: unknown): Record<string, unknown> {
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    return item as Record<string, unknown>;
  }
  return { value: item };
}

function bindable(v: unknown): SqliteValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" || typeof v === "number" || typeof v === "bigint" || v instanceof Uint8Array) {
    return v;
  }
  return JSON.stringify(v);
}
