import { describe, expect, it } from 'vitest';
import { S3Error } from '../error';
import { MAX_XML_LENGTH, asArray, escapeXml, parseXml, xmlDocument } from './xml';

const expectMalformed = (text: string) => {
  try {
    parseXml(text);
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    expect((e as S3Error).code).toBe('MalformedXML');
    return;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
};

type DeleteBody = { Delete: { Object: { Key: string } | { Key: string }[] } };
const keysOf = (xml: string) => asArray((parseXml(xml) as DeleteBody).Delete.Object).map((o) => o.Key);

describe('parseXml', () => {
  it('parses a DeleteObjects body as the AWS SDK sends it', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n' +
      '  <Object>\n    <Key>a.txt</Key>\n  </Object>\n' +
      '  <Object>\n    <Key>b.txt</Key>\n    <VersionId>v1</VersionId>\n  </Object>\n' +
      '  <Quiet>true</Quiet>\n' +
      '</Delete>\n';
    expect(parseXml(body)).toEqual({
      Delete: { Object: [{ Key: 'a.txt' }, { Key: 'b.txt', VersionId: 'v1' }], Quiet: 'true' },
    });
  });

  it('keeps text exactly as sent: no number/boolean parsing, no trimming', () => {
    const keys = ['00123', '1e5', '0x1F', 'true', 'null', ' spaced ', ' ', '\t', ''];
    const body = `<Delete>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
    expect(keysOf(body)).toEqual(keys);
  });

  it('resolves the predefined entities and character references', () => {
    expect(keysOf('<Delete><Object><Key>a&amp;b&lt;c&gt;&quot;&apos;</Key></Object></Delete>')).toEqual([`a&b<c>"'`]);
    expect(keysOf('<Delete><Object><Key>&#13;&#x0D;&#10;&#x0A;&#9;&#x1F600;</Key></Object></Delete>')).toEqual([
      '\r\r\n\n\t😀',
    ]);
  });

  it('leaves CDATA content undecoded', () => {
    expect(keysOf('<Delete><Object><Key><![CDATA[a&amp;<b>]]></Key></Object></Delete>')).toEqual(['a&amp;<b>']);
  });

  it('normalizes literal line ends as XML requires (a CR must be sent as &#13;)', () => {
    expect(keysOf('<Delete><Object><Key>a\r\nb\rc</Key></Object></Delete>')).toEqual(['a\nb\nc']);
  });

  it('accepts a byte order mark and unicode text', () => {
    expect(keysOf('\uFEFF<Delete><Object><Key>日本語/ü/😀</Key></Object></Delete>')).toEqual(['日本語/ü/😀']);
  });

  it('ignores attributes, comments and processing instructions', () => {
    const body = '<?xml version="1.0"?><!-- c --><Delete xmlns="x" a="1"><!-- c --><Object><Key>k</Key></Object></Delete>';
    expect(parseXml(body)).toEqual({ Delete: { Object: { Key: 'k' } } });
  });

  it('rejects documents that are not well-formed', () => {
    for (const bad of [
      '',
      '   ',
      'not xml',
      '<Delete>',
      '<Delete></Remove>',
      '<a><b></a></b>',
      '<a>x & y</a>',
      '<a>&amp</a>',
      '<a>&nbsp;</a>',
      '<a>&#;</a>',
      '<a>&#0;</a>',
      '<a>&#x1;</a>',
      '<a>&#xD800;</a>',
      '<a>&#x110000;</a>',
      '<a>\u0001</a>',
      '<a>\uFFFF</a>',
      '<a/><b/>',
      '<a/><a/>',
      '<a/>trailing',
      '<a>text<b/></a>',
      '<1a/>',
    ]) {
      expectMalformed(bad);
    }
  });

  it('rejects DOCTYPE, so no entity can be declared or expanded', () => {
    expectMalformed('<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>');
    expectMalformed('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>');
    expectMalformed('<!doctype a><a/>');
  });

  it('rejects oversized input', () => {
    expectMalformed(`<a>${'x'.repeat(MAX_XML_LENGTH)}</a>`);
  });

  it('rejects prototype-polluting tag names', () => {
    expectMalformed('<a><__proto__><polluted>1</polluted></__proto__></a>');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('asArray', () => {
  it('normalizes absent, single and repeated elements', () => {
    expect(asArray(undefined)).toEqual([]);
    expect(asArray('a')).toEqual(['a']);
    expect(asArray(['a', 'b'])).toEqual(['a', 'b']);
  });
});

describe('xmlDocument', () => {
  it('writes the declaration, root namespace and children in order', () => {
    expect(xmlDocument('ListAllMyBucketsResult', { Owner: { ID: 'me' }, Buckets: { Bucket: [{ Name: 'a' }, { Name: 'b' }] } })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Owner><ID>me</ID></Owner><Buckets><Bucket><Name>a</Name></Bucket><Bucket><Name>b</Name></Bucket></Buckets>' +
        '</ListAllMyBucketsResult>',
    );
  });

  it('writes text bodies, extra root attributes, numbers and booleans; skips undefined', () => {
    expect(xmlDocument('LocationConstraint', 'eu-west-1')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>',
    );
    expect(xmlDocument('R', { N: 0, T: false, U: undefined, E: '', L: [] }, { 'xmlns:x': 'u&v' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/" xmlns:x="u&amp;v"><N>0</N><T>false</T><E></E></R>',
    );
  });

  it('repeats nested arrays with the same tag', () => {
    const body = { Contents: [{ Key: 'a', Tag: ['x', 'y'] }, { Key: 'b', Tag: [['z'], []] }] };
    expect(xmlDocument('R', body)).toContain(
      '<Contents><Key>a</Key><Tag>x</Tag><Tag>y</Tag></Contents><Contents><Key>b</Key><Tag>z</Tag></Contents>',
    );
  });

  it('escapes markup, CR and characters XML 1.0 cannot carry the way S3 does', () => {
    expect(escapeXml(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
    expect(escapeXml('a\r\nb\tc')).toBe('a&#13;\nb\tc');
    expect(escapeXml('\u0000\u0001\u001F\uFFFE')).toBe('&#x0;&#x1;&#x1F;&#xFFFE;');
    expect(escapeXml('日本語😀')).toBe('日本語😀');
  });

  it('round-trips awkward keys through a DeleteObjects-shaped document', () => {
    const keys = ['00123', '1e5', ' spaced ', 'a&b<c>', '"quoted"', "it's", '日本語/😀', 'line\r\nbreak', 'cr\r', '\ttab', 'x'];
    const xml = xmlDocument('Delete', { Object: keys.map((Key) => ({ Key })) });
    expect(keysOf(xml)).toEqual(keys);
  });
});
