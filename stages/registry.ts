/**
 * The built-in stages by the name YAML uses (`use: fetch`). A new stage is a new file plus one line here.
 *
 * @example
 * ```ts
 * import { builtinStages } from "./registry.ts";
 * console.log(builtinStages().names().includes("fetch")); // true
 * ```
 * @module
 */
import { StageRegistry } from "../engine/config/stage_factory.ts";
import { feedsStage } from "./feeds.ts";
import { fetchStage } from "./fetch.ts";
import { parseStage } from "./parse.ts";
import { dedupeStage } from "./dedupe.ts";
import { digestStage } from "./digest.ts";
import { rewriteImagesStage } from "./rewrite_images.ts";
import { mimeStage } from "./mime.ts";
import { mailboxStage, maildirStage, uploadImapStage } from "./mailbox_factories.ts";
import { execStage } from "./exec.ts";
import { mapStage } from "./map.ts";
import { filterStage } from "./filter.ts";
import { readStage } from "./read.ts";
import { writeStage } from "./write.ts";
import { httpStage } from "./http.ts";
import { serveStage } from "./serve.ts";
import { sqlStage } from "./sql.ts";
import { htmlStage } from "./html.ts";

/** A registry holding every built-in stage (module stages load on demand). */
export function builtinStages(): StageRegistry {
  return new StageRegistry([
    feedsStage,
    fetchStage,
    parseStage,
    dedupeStage,
    digestStage,
    rewriteImagesStage,
    mimeStage,
    uploadImapStage,
    maildirStage,
    mailboxStage,
    execStage,
    mapStage,
    filterStage,
    readStage,
    writeStage,
    httpStage,
    serveStage,
    sqlStage,
    htmlStage,
  ]);
}
