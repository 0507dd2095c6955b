/**
 * The images a feed attaches to an entry outside its HTML: Media RSS `media:content` (of an image
 * type or `medium="image"`) and `media:thumbnail`, also inside `media:group`, and enclosures of an image
 * type. Podcast and photo feeds often carry their only picture there.
 * @module
 */
import type { Enclosure } from "./types.ts";
import type { XmlElement } from "./xml.ts";
import { attrOf, baseOf, childrenByKey } from "./xml_query.ts";
import { resolveUrl } from "./urls.ts";

/**
 * Absolute image URLs of an entry, in feed order without repeats; undefined when there is none.
 *
 * @param fields the entry's children by key (`media:content`, `media:thumbnail`, `media:group`)
 * @param enclosures the entry's enclosures, already resolved
 * @param base the base URL in effect inside the entry
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { childrenByKey } from "./xml_query.ts";
 * import { mediaImages } from "./media_images.ts";
 * const { root } = parseXml('<item xmlns:media="http://search.yahoo.com/mrss/"><media:thumbnail url="t.jpg"/></item>');
 * mediaImages(childrenByKey(root, ""), [], "https://ex.org/feed"); // ["https://ex.org/t.jpg"]
 * ```
 */
export function mediaImages(
  fields: Map<string, XmlElement[]>,
  enclosures: Enclosure[],
  base: string,
): string[] | undefined {
  // Most entries have none of these: no closures and no array for them.
  if (
    enclosures.length === 0 && !fields.has("media:content") && !fields.has("media:thumbnail") &&
    !fields.has("media:group")
  ) return undefined;
  const urls: string[] = [];
  const add = (url: string | undefined) => {
    if (url !== undefined && !urls.includes(url)) urls.push(url);
  };
  const read = (group: Map<string, XmlElement[]>, groupBase: string) => {
    for (const content of group.get("media:content") ?? []) {
      const type = attrOf(content, "type")?.toLowerCase();
      const medium = attrOf(content, "medium")?.toLowerCase();
      const url = attrOf(content, "url");
      if (url !== undefined && (medium === "image" || type?.startsWith("image/"))) {
        add(resolveUrl(url, baseOf(content, groupBase)));
      }
    }
    for (const thumbnail of group.get("media:thumbnail") ?? []) {
      const url = attrOf(thumbnail, "url");
      if (url !== undefined) add(resolveUrl(url, baseOf(thumbnail, groupBase)));
    }
  };
  if (fields.has("media:content") || fields.has("media:thumbnail")) read(fields, base);
  for (const group of fields.get("media:group") ?? []) read(childrenByKey(group, ""), baseOf(group, base));
  for (const enclosure of enclosures) {
    if (enclosure.type?.toLowerCase().startsWith("image/")) add(enclosure.url);
  }
  return urls.length > 0 ? urls : undefined;
}
