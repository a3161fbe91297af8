// S3 XML bodies in and out. Parsing is strict XML 1.0 (S3 answers MalformedXML otherwise) and keeps every
// text value as the exact string sent ("00123", " spaced ", "true"); building escapes what XML 1.0 cannot carry.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../error';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Longest body parsed, in UTF-16 code units. The largest legitimate one is DeleteObjects: 1000 keys of
 * 1024 bytes, each byte possibly escaped as `&#x0D;`, is about 6.2M characters.
 */
export const MAX_XML_LENGTH = 8 * 1024 * 1024;

export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [tag: string]: XmlValue;
}

// XML 1.0 Char production, with astral code points matched whole (u flag).
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

const PREDEFINED_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);
const REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([^;&]*));|&/g;

/** Resolves the five predefined entities and character references; anything else is not well-formed. */
function decodeReferences(text: string): string {
  return text.replace(REFERENCE, (_, hex?: string, decimal?: string, name?: string) => {
    if (name !== undefined) {
      const char = PREDEFINED_ENTITIES.get(name);
      if (char === undefined) throw new Error(`undefined entity &${name};`);
      return char;
    }
    if (hex === undefined && decimal === undefined) throw new Error('bare &');
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(decimal!, 10);
    if (!isXmlChar(code)) throw new Error(`reference to a character XML cannot carry: ${code}`);
    return String.fromCodePoint(code);
  });
}

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Our own decoder, so only predefined entities and character references are ever expanded. DOCTYPE is
  // rejected before parsing, so there are no declared entities to add.
  entityDecoder: {
    decode: decodeReferences,
    setExternalEntities: () => {},
    addInputEntities: () => {},
    reset: () => {},
    setXmlVersion: () => {},
  },
});

const malformed = () =>
  new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');

/**
 * Parses an S3 request body into nested objects: `{ Root: { Child: 'text', Repeated: [...] } }`. Every
 * value is a string or an object; an element that repeats becomes an array (use asArray: one occurrence
 * is not). Attributes (xmlns) are ignored.
 */
export function parseXml(text: string): unknown {
  if (text.length > MAX_XML_LENGTH) throw malformed();
  const xml = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // The parser silently drops text after the root element, so check the document ends in markup.
  const wellFormed =
    !xml.includes('<!DOCTYPE') && !NOT_XML_CHAR.test(xml) && xml.trimEnd().endsWith('>') && XMLValidator.validate(xml) === true;
  if (!wellFormed) throw malformed();
  let document: Record<string, unknown>;
  try {
    document = dropLayoutWhitespace(parser.parse(xml)) as Record<string, unknown>;
  } catch {
    throw malformed();
  }
  const roots = Object.keys(document);
  if (roots.length !== 1 || Array.isArray(document[roots[0]!])) throw malformed();
  return document;
}

/** With trimValues off, the indentation between elements comes back as '#text'; it is not data. */
function dropLayoutWhitespace(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropLayoutWhitespace);
  if (typeof node !== 'object' || node === null) return node;
  const object = node as Record<string, unknown>;
  if ('#text' in object) {
    // S3 bodies never mix text with child elements.
    if (typeof object['#text'] !== 'string' || !/^[ \t\r\n]*$/.test(object['#text'])) throw new Error('mixed content');
    delete object['#text'];
  }
  for (const key of Object.keys(object)) object[key] = dropLayoutWhitespace(object[key]);
  return object;
}

/** A parsed element that may repeat, as a list: absent → [], one → [it], several → them. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A literal CR would be read back as LF (XML end-of-line handling); S3 sends it as a reference.
  '\r': '&#13;',
};
const NEEDS_ESCAPE = /[&<>"'\r]|[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Escapes text for element content or attribute values. Characters XML 1.0 cannot carry (keys may hold
 * control characters) become `&#xN;` as S3 sends them; strict parsers reject those, which is why S3
 * clients ask for encoding-type=url.
 */
export function escapeXml(text: string): string {
  return text.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`);
}

/**
 * A complete S3 response document. Object keys become child elements in their order, arrays repeat
 * their tag, undefined is skipped; the root carries the S3 namespace plus any attrs given.
 */
export function xmlDocument(root: string, body: XmlObject | string, attrs: Record<string, string> = {}): string {
  const attributes = Object.entries({ xmlns: S3_XMLNS, ...attrs })
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attributes}>${content(body)}</${root}>`;
}

function element(tag: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element(tag, item)).join('');
  return `<${tag}>${content(value)}</${tag}>`;
}

function content(value: string | number | boolean | XmlObject): string {
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([tag, child]) => element(tag, child))
      .join('');
  }
  return escapeXml(String(value));
}
