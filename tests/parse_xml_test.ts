/**
 * The XML reader under parseFeed: namespaces, recovery of common sloppiness, positions in errors, and the
 * HTML serialisation of XHTML content.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { parseXml, type XmlElement, XmlSyntaxError } from "../lib/feed/xml.ts";
import { attrOf, baseOf, keyOf, serializeHtml, textOf } from "../lib/feed/xml_query.ts";
import { decodeEntities } from "../lib/feed/entities.ts";
import { parseFeed } from "../lib/feed/mod.ts";

const elements = (e: XmlElement) => e.children.filter((c): c is XmlElement => typeof c !== "string");

function syntaxError(xml: string): XmlSyntaxError {
  try {
    parseXml(xml, { strict: true });
  } catch (error) {
    assert.ok(error instanceof XmlSyntaxError);
    return error;
  }
  assert.fail("expected an XmlSyntaxError");
}

describe("the tree", () => {
  test("elements without attributes or children read as empty ones, each with its own", () => {
    const { root } = parseXml('<a><b/><c x="1">t</c><d></d><c>u<e/></c></a>');
    const [b, c, d, c2] = elements(root);
    assert.deepEqual(b.attrs, {});
    assert.deepEqual(b.children, []);
    assert.deepEqual(d.children, []);
    assert.deepEqual(c.attrs, { x: "1" });
    assert.deepEqual(c.children, ["t"]);
    assert.equal(c2.children.length, 2);
    assert.deepEqual(c2.attrs, {});
    assert.notEqual(c.children, c2.children);
  });

  test("the text of an element: one CDATA between blank lines, or texts joined, trimmed", () => {
    assert.equal(textOf(parseXml("<x>\n  <![CDATA[ <p>a</p> ]]>\n</x>").root), "<p>a</p>");
    assert.equal(textOf(parseXml("<x> a <![CDATA[b]]> c\u00a0</x>").root), "a b c");
    assert.equal(textOf(parseXml("<x> <![CDATA[ ]]>\n</x>").root), undefined);
    assert.equal(textOf(parseXml("<x>\n<![CDATA[a]]><y>b</y></x>").root), "a" + "b");
  });

  test("&quot; and &apos; are the predefined characters whatever a DTD declares", () => {
    const { root } = parseXml(
      '<!DOCTYPE a [<!ENTITY quot "x"><!ENTITY who "you">]><a t="&quot;&apos;">&quot;&who;&apos;</a>',
    );
    assert.equal(root.attrs.t, `"'`);
    assert.equal(textOf(root), `"you'`);
  });
});

describe("namespaces", () => {
  test("prefixes resolve to URIs, redeclared prefixes are scoped, default namespace inherited", () => {
    const { root } = parseXml(
      '<a xmlns="urn:default" xmlns:p="urn:one"><p:b><p:c xmlns:p="urn:two"/></p:b><d/></a>',
    );
    const [b, d] = elements(root);
    assert.equal(root.ns, "urn:default");
    assert.equal(b.ns, "urn:one");
    assert.equal(elements(b)[0].ns, "urn:two");
    assert.equal(d.ns, "urn:default");
    assert.equal(b.local, "b");
  });

  test("keys use the conventional prefix whatever the feed wrote, and tolerate https / no trailing slash", () => {
    const { root } = parseXml(
      '<item xmlns:foo="https://purl.org/dc/elements/1.1" xmlns:c="http://purl.org/rss/1.0/modules/content/">' +
        "<foo:creator/><c:encoded/><PubDate/></item>",
    );
    assert.deepEqual(elements(root).map((e) => keyOf(e, "")), ["dc:creator", "content:encoded", "pubdate"]);
  });

  test("attributes are found by local name; xml:base stacks", () => {
    const { root } = parseXml(
      '<f xml:base="https://a.example/x/"><e xml:base="y/" r:about="u" xmlns:r="urn:r"/></f>',
    );
    const [e] = elements(root);
    assert.equal(attrOf(e, "about"), "u");
    assert.equal(baseOf(e, baseOf(root, "https://feed.example/")), "https://a.example/x/y/");
  });
});

describe("recovery", () => {
  test("a lone &, unknown entities, HTML names, numeric and windows-1252 references", () => {
    assert.equal(
      decodeEntities("AT&T &foo; &eacute; &#233; &#xE9; &#150; &#0; & ;"),
      "AT&T &foo; é é é – &#0; & ;",
    );
  });

  test("a '<' that cannot start a tag is text", () => {
    assert.equal(textOf(parseXml("<t>1 < 2 <= 3</t>").root), "1 < 2 <= 3");
  });

  test("comments, processing instructions and a DOCTYPE with an internal subset are skipped", () => {
    const doc = parseXml(
      '<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY x "y"> ]>\n<!-- c --><rss><?pi x?><t>a<!-- c -->b</t></rss>',
    );
    assert.equal(doc.doctype, "rss");
    assert.equal(textOf(elements(doc.root)[0]), "ab");
  });

  test("CDATA is kept verbatim, markup included", () => {
    assert.equal(textOf(parseXml("<t><![CDATA[<p>a & b</p>]]></t>").root), "<p>a & b</p>");
  });
});

describe("positions in errors", () => {
  test("line and column count from 1, CRLF line ends included", () => {
    const error = syntaxError("<rss>\r\n  <channel>\r\n    <item></itme>\r\n  </channel>\r\n</rss>");
    assert.equal(error.line, 3);
    assert.equal(error.column, 11);
    assert.match(error.reason, /<\/itme> does not match <item> opened at line 3 column 5/);
  });

  test("absurd nesting is refused with a position, not a stack overflow", () => {
    const error = syntaxError("<a>".repeat(600));
    assert.match(error.reason, /nested deeper than 512 levels/);
    assert.equal(error.column, 512 * 3 + 1);
  });

  test("text before the root element is ignored; a missing root is an error", () => {
    assert.equal(parseXml("junk <rss/>", { strict: true }).root.name, "rss");
    assert.match(syntaxError("<!-- only a comment -->").reason, /no root element/);
    assert.throws(() => parseXml("no markup at all"), XmlSyntaxError);
  });
});

describe("XHTML serialised as HTML", () => {
  test("prefixes and xmlns dropped, void elements unclosed, empty elements closed, text re-escaped", () => {
    const { root } = parseXml(
      '<div xmlns:h="http://www.w3.org/1999/xhtml"><h:p h:class="x" xml:lang="en">a &lt; b<h:br/></h:p>' +
        '<h:span/><h:img src="i.png" alt="&quot;q&quot;"/></div>',
    );
    assert.equal(
      serializeHtml(root.children),
      '<p h:class="x">a &lt; b<br></p><span></span><img src="i.png" alt="&quot;q&quot;">',
    );
  });
});

describe("titles", () => {
  test("line breaks and runs of spaces in titles and authors fold to one space", () => {
    const xml = '<rss version="2.0"><channel><title>\n  Multi\n  line\n</title><item><guid>1</guid>' +
      "<title>A\n\tB</title><author>  Ann\n Author </author></item></channel></rss>";
    const feed = parseFeed(new TextEncoder().encode(xml), { url: "https://t.example/" });
    assert.equal(feed.title, "Multi line");
    assert.equal(feed.entries[0].title, "A B");
    assert.equal(feed.entries[0].author, "Ann Author");
  });
});
