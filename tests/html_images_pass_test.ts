/**
 * The streaming HTML pass behind findImages and rewriteImageRefs: sanitising without a DOM (removed
 * elements lose their content, handlers and script URLs go), the canonical serialisation (escaping,
 * unclosed tags, duplicate and valueless attributes), `<base href>` anywhere, whole documents, and the
 * same element structure as htmlparser2's Parser on tag soup.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { Parser } from "npm:htmlparser2@^10.1.0";
import { findImages, REWRITE_IMAGE_REFS_TASK, rewriteImageRefs } from "../lib/html/html_images.ts";
import { rewriteHtml } from "../lib/html/html_pass.ts";
import { escapeAttribute, escapeText, unescapeAttribute } from "../lib/html/html_escape.ts";
import { PARSER_VOID_ELEMENTS } from "../lib/html/html_tree_rules.ts";
import { isScriptUrl } from "../lib/html/sanitize.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";

const BASE = "https://e.org/posts/1/";
const find = (html: string) => findImages(html, BASE);

describe("findImages sanitises in one pass", () => {
  test("removed elements lose their content, nested ones too", () => {
    assert.equal(find("<object><object>x</object>y</object>z").html, "z");
    assert.equal(find("<p>a<iframe><p>in frame</p></iframe>b</p>").html, "<p>ab</p>");
    assert.equal(find("<applet><embed src=x.swf><img src=in.png></applet><b>kept</b>").html, "<b>kept</b>");
    assert.deepEqual(find("<object><img src=hidden.png></object>").urls, []);
  });

  test("script text that looks like markup stays inside the removed script", () => {
    const found = find('<p>a<script>if (x) document.write("</p><img src=evil.png>")</script>b</p>');
    assert.equal(found.html, "<p>ab</p>");
    assert.deepEqual(found.urls, []);
  });

  test("escaped markup in text stays text: not an image, not listed, not rewritten", () => {
    const found = find("<p>&lt;img src=x.png&gt; &amp;lt; &lt;script&gt;alert(1)&lt;/script&gt;</p>");
    assert.equal(found.html, "<p>&lt;img src=x.png&gt; &amp;lt; &lt;script&gt;alert(1)&lt;/script&gt;</p>");
    assert.deepEqual(found.urls, []);
    assert.equal(rewriteImageRefs(found.html, { [new URL("x.png", BASE).href]: "c@sluice" }), found.html);
  });

  test("comments are dropped with the markup they hide", () => {
    const found = find('<p>a<!-- <img src="c.png"> -->b<!--[if mso]><img src="d.png"><![endif]-->c</p>');
    assert.equal(found.html, "<p>abc</p>");
    assert.deepEqual(found.urls, []);
    assert.equal(find("<!DOCTYPE html><?xml version='1.0'?><![CDATA[x]]><p>k</p>").html, "<p>k</p>");
  });

  test("unclosed tags are closed at the end, in order", () => {
    assert.equal(find("<div><p>open <b>bold <i>both").html, "<div><p>open <b>bold <i>both</i></b></p></div>");
    assert.equal(find("<ul><li>one<li>two</ul>").html, "<ul><li>one</li><li>two</li></ul>");
  });

  test("upper-case tags and attributes are read and written in lower case", () => {
    const found = find('<IMG SRC="A.png" ALT="x"><A HREF="Page.html">p</A>');
    assert.equal(found.html, `<img src="${BASE}A.png" alt="x"><a href="${BASE}Page.html">p</a>`);
    assert.deepEqual(found.urls, [`${BASE}A.png`]);
    assert.equal(find('<P ONCLICK="x()">y</P>').html, "<p>y</p>");
  });

  test("of duplicate attributes the first wins, as in browsers", () => {
    const found = find(
      '<img src="first.png" SRC="second.png" alt="a" alt="b"><a href="1.html" HREF="2.html">x</a>',
    );
    assert.equal(found.html, `<img src="${BASE}first.png" alt="a"><a href="${BASE}1.html">x</a>`);
    assert.deepEqual(found.urls, [`${BASE}first.png`]);
  });

  test("an attribute without a value is written with an empty one", () => {
    assert.equal(
      find("<input disabled><details open><summary>s</summary></details>").html,
      '<input disabled=""><details open=""><summary>s</summary></details>',
    );
  });

  test('attribute values are always double-quoted with & " < > escaped', () => {
    const found = find(`<p title='say "hi" & <b>bye</b>' data-x=a&amp;b>t</p>`);
    assert.equal(
      found.html,
      '<p title="say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;" data-x="a&amp;b">t</p>',
    );
    // In a noscript read as raw text, an attribute value can no longer end the element early.
    const noscript = find('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>');
    assert.equal(
      noscript.html,
      '<noscript><p title="&lt;/noscript&gt;&lt;img src=x onerror=alert(1)&gt;"></p></noscript>',
    );
  });

  test("names that would read differently when written back are dropped", () => {
    assert.equal(find('<p a"b="1" c=\'2\' d<e="3">x</p>').html, '<p c="2">x</p>');
    assert.equal(find('<x"y>kept</x"y>').html, "kept");
  });

  test("<base href> after the images still applies to them, and is dropped", () => {
    const found = find(
      '<img src="a.png"><a href="p.html">p</a><base href="https://cdn.example/m/"><base href="https://second.example/">',
    );
    assert.deepEqual(found.urls, ["https://cdn.example/m/a.png"]);
    assert.equal(
      found.html,
      '<img src="https://cdn.example/m/a.png"><a href="https://cdn.example/m/p.html">p</a>',
    );
    // A relative base resolves against the entry URL; a base inside a removed element counts too.
    assert.deepEqual(find('<object><base href="/media/"></object><img src="b.png">').urls, [
      "https://e.org/media/b.png",
    ]);
    // An empty base changes nothing.
    assert.deepEqual(find('<img src="c.png"><base href=" ">').urls, [`${BASE}c.png`]);
  });

  test("a whole document gives its body's content, a fragment itself", () => {
    const doc = [
      "<!DOCTYPE html>",
      "<html lang=en>",
      '<head><meta charset="utf-8"><title>T &amp; t</title><base href="https://doc.example/"><style>p{}</style></head>',
      '<body class="x">',
      '<p>Hello <img src="a.png"></p>',
      "</body>",
      "</html>",
    ].join("\n");
    const found = find(doc);
    assert.equal(found.html, '\n<p>Hello <img src="https://doc.example/a.png"></p>\n');
    assert.deepEqual(found.urls, ["https://doc.example/a.png"]);
    assert.equal(find("<html><p>x</p></html>").html, "<p>x</p>");
    assert.equal(find("  <p>fragment</p>  ").html, "  <p>fragment</p>  ");
  });

  test("srcset on a <picture> <source> is ignored; <source> outside <picture> stays", () => {
    const found = find(
      '<picture><source srcset="big.webp 2x" type="image/webp"><SOURCE srcset="x.avif"><img src="small.jpg"></picture>' +
        '<video><source src="clip.mp4" type="video/mp4"></video>',
    );
    assert.deepEqual(found.urls, [`${BASE}small.jpg`]);
    assert.equal(
      found.html,
      `<picture><img src="${BASE}small.jpg"></picture><video><source src="clip.mp4" type="video/mp4"></video>`,
    );
  });

  test("on* handlers go from every element, SVG included", () => {
    const found = find(
      '<div onmouseover="a()"><svg onload="b()"><circle OnClick="c()" r="1"/></svg><a onfocus=d() href="#top">t</a></div>',
    );
    assert.doesNotMatch(found.html, /\son/i);
    assert.equal(found.html, '<div><svg><circle r="1"></circle></svg><a href="#top">t</a></div>');
  });

  test("javascript: URLs go even when spelled with entities or control characters", () => {
    const found = find([
      '<a href="jav&#x09;ascript:alert(1)">1</a>',
      '<a href="&#106;avascript:alert(2)">2</a>',
      '<a href="javascript&colon;alert(3)">3</a>',
      '<a href=" JaVaScRiPt:alert(4)">4</a>',
      '<img src="vbscript:msgbox(5)">',
      '<a href="data:text/html;base64,PHNjcmlwdD4=">6</a>',
      '<form action="javascript:alert(7)"><button formaction="java\nscript:x">b</button></form>',
    ].join(""));
    assert.doesNotMatch(found.html, /script|data:text/i);
    assert.equal(found.html, "<a>1</a><a>2</a><a>3</a><a>4</a><img><a>6</a><form><button>b</button></form>");
    assert.equal(isScriptUrl("javas\tcript:x"), true);
    assert.equal(isScriptUrl("a.png 1x, javascript:x 2x"), true);
    assert.equal(isScriptUrl("/relative/javascript.png"), false);
  });

  test("raw-text elements keep their content and cannot be ended early", () => {
    assert.equal(find("<style>p > a { color: red }</style>").html, "<style>p > a { color: red }</style>");
    // htmlparser2 ends <style> only at "</style>" or "</style ", a browser also at "</style/".
    const found = find("<style>a{}</style/><img src=x onerror=alert(1)></style><p>after</p>");
    assert.equal(found.html, "<style>a{}<\\/style/><img src=x onerror=alert(1)></style><p>after</p>");
    assert.deepEqual(found.urls, []);
    // Inside SVG a browser parses <style> content as markup: there it is escaped like any text.
    assert.equal(
      find("<svg><style><img src=x onerror=alert(1)></style></svg>").html,
      "<svg><style>&lt;img src=x onerror=alert(1)&gt;</style></svg>",
    );
    assert.equal(
      find("<textarea></textarea/><b>x</textarea>").html,
      "<textarea>&lt;/textarea/>&lt;b>x</textarea>",
    );
  });

  test("entities are decoded once and escaped once; non-ASCII text is kept", () => {
    assert.equal(
      find("<p>caf&eacute; &amp;amp; &#x1F389; &nbsp;é 東京 AT&T</p>").html,
      "<p>café &amp;amp; 🎉 \u00a0é 東京 AT&amp;T</p>",
    );
    assert.equal(
      find('<a href="/q?a=1&amp;b=2&c=3">q</a>').html,
      '<a href="https://e.org/q?a=1&amp;b=2&amp;c=3">q</a>',
    );
  });
});

describe("escaping", () => {
  test("every occurrence of each special character is escaped, in text and in attribute values", () => {
    assert.equal(escapeText("a&b&c<d<e>f>g & <>"), "a&amp;b&amp;c&lt;d&lt;e&gt;f&gt;g &amp; &lt;&gt;");
    assert.equal(escapeText('plain "text"'), 'plain "text"');
    assert.equal(escapeAttribute('a&b"c"d<e>f&'), "a&amp;b&quot;c&quot;d&lt;e&gt;f&amp;");
    assert.equal(unescapeAttribute(escapeAttribute('&amp;"<>&quot;')), '&amp;"<>&quot;');
  });
});

describe("rewriteImageRefs on findImages' output", () => {
  const html = [
    '<p>See <a href="https://img.example/a.png">https://img.example/a.png</a></p>',
    '<img src="https://img.example/a.png?x=1&amp;y=2" alt="a">',
    '<img alt="b" src="https://img.example/b.png">',
    '<img src="data:image/png;base64,iVBOR">',
    '<img src="https://img.example/a.png?x=1&amp;y=2">',
  ].join("");

  test("exactly the fetched images point at their cid: parts", () => {
    const found = find(html);
    assert.deepEqual(found.urls, ["https://img.example/a.png?x=1&y=2", "https://img.example/b.png"]);
    const out = rewriteImageRefs(found.html, { "https://img.example/a.png?x=1&y=2": "img.a@sluice" });
    assert.equal(
      out,
      [
        '<p>See <a href="https://img.example/a.png">https://img.example/a.png</a></p>',
        '<img src="cid:img.a@sluice" alt="a">',
        '<img alt="b" src="https://img.example/b.png">',
        '<img src="data:image/png;base64,iVBOR">',
        '<img src="cid:img.a@sluice">',
      ].join(""),
    );
  });

  test("with a raw-text element the HTML is tokenized again, with the same result for real images", () => {
    const found = find('<style>/* <img src="https://img.example/b.png"> */</style>' + html);
    const cids = { "https://img.example/b.png": "img.b@sluice" };
    const out = rewriteImageRefs(found.html, cids);
    assert.equal(out.match(/cid:img\.b@sluice/g)?.length, 1, out);
    assert.match(out, /^<style>\/\* <img src="https:\/\/img\.example\/b\.png"> \*\/<\/style>/);
    assert.equal(
      out.slice(out.indexOf("</style>")),
      rewriteImageRefs(find(html).html, cids).replace(/^/, "</style>"),
    );
  });

  test("no cids leave the HTML as it is", () => {
    const found = find(html);
    assert.equal(rewriteImageRefs(found.html, {}), found.html);
  });

  test("rewriteImageRefs runs in the worker pool", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const out = await pool.run<string>(REWRITE_IMAGE_REFS_TASK, [
        '<img src="https://e.org/a.png">',
        { "https://e.org/a.png": "img.1@sluice" },
      ]);
      assert.equal(out, '<img src="cid:img.1@sluice">');
    } finally {
      await pool.close();
    }
  });
});

/** htmlparser2's Parser serialised the way the pass writes (no sanitising): the reference structure. */
function parserReference(html: string): string {
  let out = "";
  new Parser({
    onopentag(name, attributes) {
      out += `<${name}${
        Object.entries(attributes).map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join("")
      }>`;
    },
    onclosetag(name) {
      if (!PARSER_VOID_ELEMENTS.has(name)) out += `</${name}>`;
    },
    ontext(text) {
      out += escapeText(text);
    },
  }, { decodeEntities: true }).end(html);
  return out;
}

describe("the pass builds the elements htmlparser2's Parser builds", () => {
  const TOKENS = [
    "<p>",
    "</p>",
    "<P class=A>",
    "<li>",
    "<ul>",
    "</ul>",
    "<ol>",
    "</li>",
    "<table>",
    "<tr>",
    "<td>",
    "</td>",
    "<th>",
    "</tr>",
    "</table>",
    "<tbody>",
    "<thead>",
    "<tfoot>",
    "<div id=d>",
    "</div>",
    "<DIV>",
    "<span/>",
    "</span>",
    "<svg>",
    "<path d='M0 0'/>",
    "</svg>",
    "<math>",
    "<mi>",
    "</mi>",
    "</math>",
    "<foreignObject>",
    "</foreignObject>",
    "<desc>",
    "</desc>",
    "<br>",
    "</br>",
    "<br/>",
    "<select>",
    "<option>",
    "<optgroup>",
    "</select>",
    "<input type=text>",
    "<button>",
    "</button>",
    "<dd>",
    "<dt>",
    "<dl>",
    "</dl>",
    "<h1>",
    "</h1>",
    "<h2>",
    "<B>",
    "</b>",
    "<i>",
    "</I>",
    "<img src=a.png alt='x'>",
    "<hr>",
    "<pre>",
    "</pre>",
    "<rt>",
    "<rp>",
    "<ruby>",
    "</ruby>",
    "<blockquote>",
    "</blockquote>",
    "<title>t &amp; u</title>",
    "text & more ",
    "x &lt; y ",
    "&eacute;",
    "<a href=#x>",
    "</a>",
    "<form>",
    "</form>",
    "<section>",
    "</section>",
    "<wbr>",
    "</img>",
    "<col>",
  ];

  test("on 400 random tag soups", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let n = 0; n < 400; n++) {
      const html = Array.from(
        { length: 5 + Math.floor(random() * 40) },
        () => TOKENS[Math.floor(random() * TOKENS.length)],
      ).join("");
      assert.equal(rewriteHtml(html), parserReference(html), html);
    }
  });

  test("an end tag looks for its element at most 512 levels down, so hostile nesting stays linear", () => {
    const deep = (levels: number) => "<i>" + "<b>".repeat(levels) + "</i>x";
    // Within reach the </i> closes everything down to the <i>, as in the Parser; beyond it, it is ignored.
    assert.equal(rewriteHtml(deep(511)), "<i>" + "<b>".repeat(511) + "</b>".repeat(511) + "</i>x");
    assert.equal(rewriteHtml(deep(512)), "<i>" + "<b>".repeat(512) + "x" + "</b>".repeat(512) + "</i>");
    // 40,000 open elements and as many stray end tags: each end tag looks at 512 entries, not 40,000.
    const hostile = "<b>".repeat(40_000) + "</i>".repeat(40_000) + "<picture>" + "<source>".repeat(1000);
    assert.equal(find(hostile).html.length, 40_000 * 7 + "<picture></picture>".length);
  });

  test("a tag cut off by the end of the input is dropped", () => {
    assert.equal(rewriteHtml('<p>a<img src="x.png'), "<p>a</p>");
    assert.equal(rewriteHtml('<p>a<div class="x'), "<p>a</p>");
  });
});
