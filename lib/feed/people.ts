/**
 * Author names as feeds write them: RSS `<author>` is an email address, often with the name in
 * parentheses (`jo@ex.org (Jo Doe)`) or in the mail form (`Jo Doe <jo@ex.org>`); `dc:creator`,
 * `dc:author` and `itunes:author` hold a name.
 * @module
 */
import { singleLine } from "./plain_text.ts";

const EMAIL_THEN_NAME = /^\S+@\S+\s*\((.+)\)$/;
const NAME_THEN_EMAIL = /^(.+?)\s*<[^<>\s]+@[^<>\s]+>$/;

/**
 * The name in an author field: the name part of `email (Name)` or `Name <email>`, else the text itself
 * on one line; undefined when blank.
 *
 * @example
 * ```ts
 * import { personName } from "./people.ts";
 * personName("jo@ex.org (Jo Doe)"); // "Jo Doe"
 * personName('"Jo Doe" <jo@ex.org>'); // "Jo Doe"
 * personName("jo@ex.org"); // "jo@ex.org"
 * ```
 */
export function personName(text: string | undefined): string | undefined {
  const line = singleLine(text);
  if (line === undefined) return undefined;
  const name = EMAIL_THEN_NAME.exec(line)?.[1] ?? NAME_THEN_EMAIL.exec(line)?.[1];
  return name === undefined ? line : singleLine(name.replace(/^"(.*)"$/, "$1")) ?? line;
}
