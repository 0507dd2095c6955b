/**
 * Fetching an enclosure (podcast audio, media) to attach it, under a size cap: a file the feed or the
 * server says is larger, or that turns out larger while read, is not fetched (it stays a link).
 * @module
 */
import { readLimited } from "./read_limited.ts";
import { SLUICE_USER_AGENT } from "./user_agent.ts";

/**
 * An enclosure's bytes and the type the server gave.
 *
 * @example
 * ```ts
 * const file: FetchedEnclosure = { content: new Uint8Array([1]), contentType: "audio/mpeg" };
 * ```
 */
export interface FetchedEnclosure {
  /** The file's bytes (at most the cap). */
  content: Uint8Array;
  /** The response's Content-Type without parameters; undefined when the server sent none. */
  contentType?: string;
}

/**
 * Fetches `url` when it is at most `maxBytes` (the `declaredLength`, the Content-Length and the bytes
 * read are each checked); undefined when it is larger, or on any failure (HTTP error, network, timeout):
 * the caller then leaves it as a link.
 *
 * @example
 * ```ts
 * import { fetchEnclosure } from "./fetch_enclosure.ts";
 * const file = await fetchEnclosure("https://example.org/ep1.mp3", { maxBytes: 1, declaredLength: 5_000_000 });
 * console.log(file); // undefined: the feed says it is larger than the cap (nothing is fetched)
 * ```
 */
export async function fetchEnclosure(
  url: string,
  options: { maxBytes: number; declaredLength?: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<FetchedEnclosure | undefined> {
  if (options.declaredLength !== undefined && options.declaredLength > options.maxBytes) return undefined;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { signal, headers: { "user-agent": SLUICE_USER_AGENT } });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    const content = await readLimited(response, options.maxBytes);
    const type = response.headers.get("content-type")?.split(";")[0].trim();
    return { content, ...(type ? { contentType: type } : {}) };
  } catch (e) {
    if (options.signal?.aborted) throw e;
    return undefined;
  }
}
