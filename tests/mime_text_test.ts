/**
 * The plain-text rendering (`stages/mime_text.ts`) on whitespace corner cases: `<pre>` with tabs and
 * no-break spaces, runs of blank lines, Unicode spaces, nested quotes, CR and CRLF in text. The expected
 * strings are what the renderer gave before its line-finishing was rewritten for speed, so the rewrite
 * changed no output.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { htmlToText } from "../lib/mime/text.ts";

const CASES: Array<[html: string, text: string]> = [
  [
    "<pre>\tindented\u00a0 \n  two  spaces\t\n\n\n\nafter blank lines  </pre><p>next</p>",
    "indented\ntwo spaces\n\nafter blank lines\n\nnext",
  ],
  ["<p>a\u3000b\u2028c</p>\n\n\n<p>   </p><div>x<br><br><br>y</div>", "a b c\n\nx\n\ny"],
  [
    "<blockquote><p>one</p><blockquote><p>two   words</p></blockquote></blockquote>",
    "> one\n>\n> > two words",
  ],
  [
    "<ul><li>  first </li><li><p>para</p></li></ul><hr><table><tr><td>a</td><td>b</td></tr></table>",
    "- first\n-\n\npara\n\n----\n\na b",
  ],
  [
    "text &nbsp;&nbsp; with\r\nCRLF\rand CR <a href='mailto:me@example.org'>me@example.org</a> " +
    "<a href='https://e.org/'>e</a>",
    "text with CRLF and CR me@example.org e <https://e.org/>",
  ],
];

describe("htmlToText whitespace", () => {
  test("lines trimmed, spaces collapsed, at most one blank line, none at the ends", async () => {
    for (const [html, text] of CASES) assert.equal(await htmlToText(html), text, JSON.stringify(html));
  });
});
