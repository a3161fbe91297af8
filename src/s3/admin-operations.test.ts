import { describe, expect, it } from 'vitest';
import { parseAddress } from './address';
import { parseOperation } from './operation';

const parse = (method: string, path: string) => {
  const url = new URL(`http://127.0.0.1${path}`);
  return parseOperation(method, parseAddress(url.href, url.host, []), url.searchParams, new Headers());
};

describe('administrative operations', () => {
  it('parse each read under /_admin/', () => {
    expect(parse('GET', '/_admin/audit/verify?limit=10')).toEqual({ kind: 'AdminAuditVerify' });
    expect(parse('GET', '/_admin/audit?bucket=b&key=k&since=0')).toEqual({ kind: 'AdminAuditList' });
    expect(parse('GET', '/_admin/erasure-report?kmsKeyId=k')).toEqual({ kind: 'AdminErasureReport' });
    expect(parse('GET', '/_admin/health')).toEqual({ kind: 'AdminHealth' });
  });

  it('answer NotImplemented for anything else, inherited object properties included', () => {
    for (const [method, path] of [['POST', '/_admin/health'], ['GET', '/_admin/constructor'], ['GET', '/_admin/__proto__'], ['GET', '/_admin/health?acl']]) {
      expect(() => parse(method!, path!)).toThrow(expect.objectContaining({ code: 'NotImplemented' }));
    }
  });
});
