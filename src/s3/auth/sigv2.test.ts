// SigV2 against AWS's worked examples ("Signing and Authenticating REST Requests", and query string
// authentication), plus the refusals.
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../error';
import { authenticateV2, isSigV2, stringToSignV2 } from './sigv2';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const secretFor = (id: string) => (id === AKID ? SECRET : undefined);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return 'ok';
}

describe('SigV2', () => {
  it('verifies the AWS header example (virtual-hosted GET)', async () => {
    const request = new Request('https://johnsmith.s3.amazonaws.com/photos/puppy.jpg', {
      headers: { date: 'Tue, 27 Mar 2007 19:36:42 +0000', authorization: `AWS ${AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
    });
    const url = new URL(request.url);
    expect(isSigV2(request, url)).toBe(true);
    expect(stringToSignV2(request, url, '/johnsmith/photos/puppy.jpg', 'Tue, 27 Mar 2007 19:36:42 +0000')).toBe(
      'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg',
    );
    const auth = await authenticateV2(request, url, '/johnsmith/photos/puppy.jpg', secretFor, new Date('2007-03-27T19:40:00Z'), true);
    expect(auth).toEqual({ accessKeyId: AKID, payload: { kind: 'unsigned' } });
  });

  it('verifies the AWS query-string example and refuses it once expired', async () => {
    const url = new URL(`https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=${AKID}&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620`);
    const request = new Request(url);
    expect(await code(authenticateV2(request, url, '/johnsmith/photos/puppy.jpg', secretFor, new Date('2007-03-28T00:00:00Z')))).toBe('ok');
    expect(await code(authenticateV2(request, url, '/johnsmith/photos/puppy.jpg', secretFor, new Date('2007-03-30T00:00:00Z')))).toBe('AccessDenied');
  });

  it('refuses wrong signatures, unknown keys, skewed dates and tampered resources', async () => {
    const at = new Date('2007-03-27T19:40:00Z');
    const signed = (authorization: string, date = 'Tue, 27 Mar 2007 19:36:42 +0000') =>
      new Request('https://johnsmith.s3.amazonaws.com/photos/puppy.jpg', { headers: { date, authorization } });
    const check = (r: Request, resource = '/johnsmith/photos/puppy.jpg', now = at) => code(authenticateV2(r, new URL(r.url), resource, secretFor, now, true));
    expect(await check(signed(`AWS ${AKID}:AAAAs1WEIj+Ydj0vQ697zp+IXMU=`))).toBe('SignatureDoesNotMatch');
    expect(await check(signed(`AWS ${AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`), '/johnsmith/photos/kitten.jpg')).toBe('SignatureDoesNotMatch');
    expect(await check(signed('AWS AKIDUNKNOWN:bWq2s1WEIj+Ydj0vQ697zp+IXMU='))).toBe('InvalidAccessKeyId');
    expect(await check(signed(`AWS ${AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`), undefined, new Date('2007-03-28T19:36:42Z'))).toBe('RequestTimeTooSkewed');
    expect(await check(signed(`AWS ${AKID}`))).toBe('InvalidArgument');
  });

  it('accepts only presigned GET and HEAD URLs valid for at most 7 days, unless ALLOW_SIGV2_HEADERS', async () => {
    const at = new Date('2007-03-27T19:40:00Z');
    const header = new Request('https://johnsmith.s3.amazonaws.com/photos/puppy.jpg', {
      headers: { date: 'Tue, 27 Mar 2007 19:36:42 +0000', authorization: `AWS ${AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=` },
    });
    expect(await code(authenticateV2(header, new URL(header.url), '/johnsmith/photos/puppy.jpg', secretFor, at))).toBe('InvalidRequest');
    const query = `AWSAccessKeyId=${AKID}&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620`;
    const put = new Request(`https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?${query}`, { method: 'PUT', body: 'x' });
    expect(await code(authenticateV2(put, new URL(put.url), '/johnsmith/photos/puppy.jpg', secretFor, at))).toBe('InvalidRequest');
    // Valid until 2007-03-29T03:40:20Z: more than 7 days ahead of a clock at 2007-03-21.
    const get = new Request(`https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?${query}`);
    expect(await code(authenticateV2(get, new URL(get.url), '/johnsmith/photos/puppy.jpg', secretFor, new Date('2007-03-21T00:00:00Z')))).toBe('AccessDenied');
    expect(await code(authenticateV2(get, new URL(get.url), '/johnsmith/photos/puppy.jpg', secretFor, new Date('2007-03-23T00:00:00Z')))).toBe('ok');
  });
});
