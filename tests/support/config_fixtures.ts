/**
 * Fixtures shared by the pipeline-config tests: the fixture YAML files, a fake stage catalog (the
 * built-in stages of rss2imap plus a module stage `shout`), and helpers that collect the `ConfigErrors`
 * a pipeline text produces.
 * @module
 */
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  catalogOf,
  type ConfigError,
  ConfigErrors,
  parseModuleSpecifier,
  parsePipelineConfig,
  type StageCatalog,
  type StageCatalogEntry,
} from "../../engine/config/mod.ts";

/**
 * The folder of the config fixture files (`tests/fixtures/config`).
 *
 * @example
 * ```ts
 * import path from "node:path";
 * import { fixtures } from "./config_fixtures.ts";
 * path.join(fixtures, "failed.jsonl");
 * ```
 */
export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "config");

/**
 * The path of one config fixture file.
 *
 * @example
 * ```ts
 * import { fixture } from "./config_fixtures.ts";
 * fixture("valid.yaml");
 * ```
 */
export const fixture = (name: string) => path.join(fixtures, name);

/**
 * The built-in stages of the fake catalog, shaped like rss2imap's: feeds, fetch, parse, dedupe, mime, tap,
 * upload-imap.
 *
 * @example
 * ```ts
 * import { entries } from "./config_fixtures.ts";
 * entries.map((e) => e.name);
 * ```
 */
export const entries: StageCatalogEntry[] = [
  {
    name: "feeds",
    inType: "none",
    outType: "FeedRef",
    description: "reads the feed list",
    options: {
      list: { type: "string", default: "", description: "file or URL of the feed list" },
      folders: {
        type: "object",
        description: "folder -> feed URLs",
        additional: { type: "string[]", description: "feed URLs" },
      },
    },
  },
  {
    name: "fetch",
    inType: "FeedRef",
    outType: "FetchedFeed",
    description: "downloads feeds",
    options: {
      timeout: { type: "duration", default: "30s", description: "per request" },
      "max-bytes": { type: "integer", default: 5_000_000, min: 1, description: "largest body" },
    },
  },
  { name: "parse", inType: "FetchedFeed", outType: "ParsedFeedItem", description: "parses", options: {} },
  {
    name: "dedupe",
    inType: "ParsedFeedItem",
    outType: "EntryItem",
    description: "drops entries already delivered",
    options: { state: { type: "string", default: "./.sluice", description: "state location" } },
  },
  {
    name: "mime",
    inType: "EntryItem",
    outType: "MailMessage",
    description: "builds the email",
    options: { from: { type: "string", default: "sluice@localhost", description: "From: address" } },
  },
  { name: "tap", inType: "any", outType: "any", description: "looks at items", options: {} },
  {
    name: "upload-imap",
    inType: "MailMessage",
    outType: "none",
    description: "appends to IMAP folders",
    options: {
      url: { type: "string", required: true, description: "imap:// URL of the server" },
      password: { type: "string", required: true, secret: true, description: "IMAP password" },
      mode: { type: "string", enum: ["append", "multiappend"], default: "multiappend", description: "how" },
      batch: { type: "integer", default: 50, min: 1, max: 1000, description: "messages per command" },
    },
  },
];

/**
 * The module stage the fake loader knows (export `shout` of any module).
 *
 * @example
 * ```ts
 * import { shout } from "./config_fixtures.ts";
 * shout.name; // "shout"
 * ```
 */
export const shout: StageCatalogEntry = {
  name: "shout",
  inType: "EntryItem",
  outType: "EntryItem",
  description: "upper-cases titles",
  options: { volume: { type: "integer", default: 11, description: "how loud" } },
};

/** The fake registry's module loader: knows the export `shout` of any module, like a real one would. */
const loadModule = (specifier: string, fromFile: string): Promise<StageCatalogEntry> => {
  const { exportName, file } = parseModuleSpecifier(specifier, fromFile);
  if (exportName === "shout") return Promise.resolve(shout);
  return Promise.reject(new Error(`${file} does not provide an export named "${exportName}"`));
};

/**
 * The fake catalog: the built-in `entries` plus module stages through `loadModule`.
 *
 * @example
 * ```ts
 * import { catalog } from "./config_fixtures.ts";
 * import { parsePipelineConfig } from "../../engine/config/mod.ts";
 * await parsePipelineConfig("stages:\n  - use: feeds\n", "x.yaml", { env: {}, catalog });
 * ```
 */
export const catalog: StageCatalog = catalogOf(entries, loadModule);

/**
 * The built-in catalog entry of that name.
 *
 * @example
 * ```ts
 * import { byName } from "./config_fixtures.ts";
 * byName("fetch").outType; // "FetchedFeed"
 * ```
 */
export const byName = (name: string) => entries.find((e) => e.name === name)!;

/**
 * Parses `text` with the fake catalog and returns the `ConfigErrors` it throws; fails the test if it loads.
 *
 * @example
 * ```ts
 * import { errorsOf } from "./config_fixtures.ts";
 * const { errors } = await errorsOf("name: a\n");
 * ```
 */
export async function errorsOf(
  text: string,
  env: Record<string, string> = {},
  file = "x.yaml",
): Promise<ConfigErrors> {
  try {
    await parsePipelineConfig(text, file, { env, catalog });
  } catch (e) {
    if (e instanceof ConfigErrors) return e;
    throw e;
  }
  assert.fail("expected ConfigErrors");
}

/**
 * The one error `text` produces; fails the test if there are more or none.
 *
 * @example
 * ```ts
 * import { only } from "./config_fixtures.ts";
 * (await only("name: a\n")).code; // "E_CONFIG_MISSING_STAGES"
 * ```
 */
export async function only(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  const { errors } = await errorsOf(text, env);
  assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
  return errors[0];
}

/**
 * An error's position as `line:column`.
 *
 * @example
 * ```ts
 * import { at, only } from "./config_fixtures.ts";
 * at(await only("name: a\nstages: []\n")); // "2:1"
 * ```
 */
export function at(e: ConfigError): string {
  return `${e.pos.line}:${e.pos.column}`;
}
